// Command testplugin is a test-only plugin for pluginhost's tests. Built
// with -ldflags "-X main.protocol=N" it speaks only (fake) protocol
// version N, as a plugin built with an older or newer SDK would; with
// "-X main.children=1" it starts a child process of its own first.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/plugin"
	"github.com/hookferry/hookferry/sdk/schema"
)

var (
	protocol = ""
	children = ""
)

type nop struct{}

func (nop) Transform(_ context.Context, m sdk.Message) ([]sdk.Message, error) {
	return []sdk.Message{m}, nil
}
func (nop) Close(context.Context) error { return nil }

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		time.Sleep(time.Hour) // a worker the plugin started; must not outlive it
		return
	}
	defs := []sdk.Definition{sdk.DefineTransform("nop", "passes messages on", schema.Block{},
		func(context.Context, sdk.Config) (nop, error) { return nop{}, nil })}
	if children != "" {
		if err := exec.Command(os.Args[0], "child").Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if protocol == "" {
		if err := plugin.Serve(plugin.ServeOpts{Name: "testplugin", Version: "test", Components: defs}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	// A plugin built against another protocol version: the same
	// handshake cookie, a different version.
	v, err := strconv.Atoi(protocol)
	if err != nil {
		os.Exit(2)
	}
	impl, err := plugin.NewTestPlugin("testplugin", "test", defs)
	if err != nil {
		os.Exit(2)
	}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  plugin.Handshake,
		VersionedPlugins: map[int]goplugin.PluginSet{v: {plugin.PluginName: impl}},
		GRPCServer:       plugin.GRPCServer,
	})
}
