package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"

	goplugin "github.com/hashicorp/go-plugin"
)

// Debugging a plugin: run it yourself, under a debugger, with
// HOOKFERRY_PLUGIN_DEBUG=1. It prints a line
//
//	HOOKFERRY_REATTACH_PLUGINS='{"NAME":{...}}'
//
// to set in hookferry's environment; hookferry then connects to the
// running process instead of starting one (and does not kill or restart
// it).
const (
	DebugEnv    = "HOOKFERRY_PLUGIN_DEBUG"
	ReattachEnv = "HOOKFERRY_REATTACH_PLUGINS"
)

// Reattach says where a plugin started by hand listens.
type Reattach struct {
	Protocol        string `json:"protocol"`
	ProtocolVersion int    `json:"protocol_version"`
	Pid             int    `json:"pid"`
	Network         string `json:"network"`
	Address         string `json:"address"`
}

// Config is the go-plugin form of r.
func (r Reattach) Config() (*goplugin.ReattachConfig, error) {
	var addr net.Addr
	var err error
	switch r.Network {
	case "unix":
		addr, err = net.ResolveUnixAddr("unix", r.Address)
	case "tcp":
		addr, err = net.ResolveTCPAddr("tcp", r.Address)
	default:
		err = fmt.Errorf("unknown network %q", r.Network)
	}
	if err != nil {
		return nil, err
	}
	return &goplugin.ReattachConfig{Protocol: goplugin.Protocol(r.Protocol), ProtocolVersion: r.ProtocolVersion, Addr: addr, Pid: r.Pid, Test: true}, nil
}

// ParseReattach reads HOOKFERRY_REATTACH_PLUGINS: plugin name to Reattach.
func ParseReattach(v string) (map[string]Reattach, error) {
	out := map[string]Reattach{}
	if v == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return nil, fmt.Errorf("%s: %w", ReattachEnv, err)
	}
	return out, nil
}

// serveDebug serves in go-plugin's test mode and prints how to reattach.
func serveDebug(name string, cfg *goplugin.ServeConfig) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ch := make(chan *goplugin.ReattachConfig, 1)
	closed := make(chan struct{})
	cfg.Test = &goplugin.ServeTestConfig{Context: ctx, ReattachConfigCh: ch, CloseCh: closed}
	go goplugin.Serve(cfg)
	rc := <-ch
	if rc == nil {
		return errors.New("hookferry plugin: debug serving failed")
	}
	b, _ := json.Marshal(map[string]Reattach{name: {
		Protocol: string(rc.Protocol), ProtocolVersion: rc.ProtocolVersion, Pid: rc.Pid,
		Network: rc.Addr.Network(), Address: rc.Addr.String(),
	}})
	fmt.Printf("%s='%s'\n", ReattachEnv, b)
	fmt.Fprintln(os.Stderr, "hookferry plugin: serving for a debugger; set the line above in hookferry's environment. Ctrl-C stops.")
	<-closed
	return nil
}
