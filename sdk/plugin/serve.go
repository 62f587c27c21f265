package plugin

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/hookferry/hookferry/sdk/internal/proto/hookferry/v1"

	"github.com/hookferry/hookferry/sdk"
)

// ProtocolVersion is the wire version this SDK speaks (hookferry.v1).
const ProtocolVersion = 1

// PluginName is the name the one plugin is dispensed under.
const PluginName = "hookferry"

// MaxMessageSize bounds one gRPC message either way. It is above the
// largest body hookferry accepts (server.max_body_size, 5 MiB by default)
// with room for headers; a larger reply fails cleanly with
// ResourceExhausted instead of hanging.
const MaxMessageSize = 64 << 20

// Handshake is checked before anything else. The magic cookie is a UX
// guard, so that running a plugin binary by hand says what it is; it is
// not a security measure (the checksum in the host's plugin block is).
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "HOOKFERRY_PLUGIN",
	MagicCookieValue: "c8b1f0e2-hookferry-webhook-bridge-plugin",
}

// ServeOpts describe a plugin binary.
type ServeOpts struct {
	// Name and Version identify the plugin in `hookferry plugins list`.
	Name    string
	Version string
	// Components the plugin provides.
	Components []sdk.Definition
	// Logger for the components; nil logs JSON to stderr, which the host
	// copies into its own log tagged with the plugin's name.
	Logger *slog.Logger
}

// Serve runs the plugin; call it from main. It returns when the host
// disconnects. Run by hand (not by hookferry), it explains and exits.
func Serve(opts ServeOpts) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{ReplaceAttr: hclogShape}))
	}
	srv, err := newServer(opts.Name, opts.Version, opts.Components, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hookferry plugin:", err)
		os.Exit(1)
	}
	cfg := &goplugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: map[int]goplugin.PluginSet{ProtocolVersion: {PluginName: &GRPCPlugin{server: srv}}},
		GRPCServer:       GRPCServer,
	}
	if os.Getenv(DebugEnv) != "" {
		serveDebug(opts.Name, cfg)
		return
	}
	go exitWithHost(os.Getppid())
	goplugin.Serve(cfg)
}

// hclogShape names slog's JSON fields the way hclog does (@level,
// @message, @timestamp), so go-plugin re-logs each line through the host's
// logger at its level, tagged with the plugin.
func hclogShape(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		return slog.String("@level", strings.ToLower(a.Value.String()))
	case slog.MessageKey:
		return slog.Attr{Key: "@message", Value: a.Value}
	case slog.TimeKey:
		return slog.Attr{Key: "@timestamp", Value: a.Value}
	}
	return a
}

// exitWithHost ends the plugin when the host process is gone (killed with
// SIGKILL, so it could not stop its plugins): the plugin is re-parented
// and its parent pid changes.
func exitWithHost(ppid int) {
	for {
		time.Sleep(time.Second)
		if os.Getppid() != ppid {
			os.Exit(0)
		}
	}
}

// GRPCServer builds the plugin's gRPC server with hookferry's limits.
func GRPCServer(opts []grpc.ServerOption) *grpc.Server {
	opts = append(opts, grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize))
	return grpc.NewServer(opts...)
}

// GRPCPlugin is the go-plugin glue for both sides.
type GRPCPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	server *server
}

var _ goplugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the plugin's service (plugin side).
func (p *GRPCPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterPluginServer(s, p.server)
	return nil
}

// GRPCClient returns a *Client (host side).
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &Client{rpc: pb.NewPluginClient(c)}, nil
}

// PluginSet is what the host hands go-plugin's client config.
func PluginSet() map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{ProtocolVersion: {PluginName: &GRPCPlugin{}}}
}

// CallOptions raise the host side's message limits to match the plugin's.
func CallOptions() []grpc.CallOption {
	return []grpc.CallOption{grpc.MaxCallRecvMsgSize(MaxMessageSize), grpc.MaxCallSendMsgSize(MaxMessageSize)}
}

// NewTestPlugin returns the plugin side for defs without a process, for
// go-plugin's in-process test connections (sdk/sdktest uses it).
func NewTestPlugin(name, version string, defs []sdk.Definition) (*GRPCPlugin, error) {
	srv, err := newServer(name, version, defs, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	return &GRPCPlugin{server: srv}, nil
}
