package plugin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
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

// Serve runs the plugin; call it from main:
//
//	func main() {
//		if err := plugin.Serve(plugin.ServeOpts{...}); err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//	}
//
// It returns nil when the host disconnects, and an error when the
// definitions are invalid or the binary was not started by hookferry
// (run by hand, it says what it is instead of serving).
func Serve(opts ServeOpts) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{ReplaceAttr: hclogShape}))
	}
	srv, err := newServer(opts.Name, opts.Version, opts.Components, log)
	if err != nil {
		return fmt.Errorf("hookferry plugin %s: %w", opts.Name, err)
	}
	cfg := &goplugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: map[int]goplugin.PluginSet{ProtocolVersion: {PluginName: &GRPCPlugin{server: srv}}},
		GRPCServer:       GRPCServer,
	}
	defer srv.closeSocket()
	if os.Getenv(DebugEnv) != "" {
		return serveDebug(opts.Name, cfg)
	}
	if os.Getenv(Handshake.MagicCookieKey) != Handshake.MagicCookieValue {
		// go-plugin would print its own explanation and os.Exit(1).
		return ErrNotStartedByHost
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go endWithHost(ctx, os.Getppid(), srv.closeSocket)
	goplugin.Serve(cfg)
	return nil
}

// ErrNotStartedByHost is Serve's answer when the binary is run by hand.
var ErrNotStartedByHost = errors.New("this is a hookferry plugin: hookferry starts it (put it on the plugin path or declare it in a plugin block); to debug it, run it with " + DebugEnv + "=1")

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

// endWithHost ends the plugin when the host process is gone (killed with
// SIGKILL, so it could not stop its plugins): the plugin is re-parented
// and its parent pid changes. The host starts each plugin as the leader
// of its own process group, so the plugin ends the group first: the
// processes it started itself do not outlive it either.
func endWithHost(ctx context.Context, ppid int, cleanup func()) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if os.Getppid() != ppid {
			cleanup()
			endProcessGroup()
			os.Exit(0)
		}
	}
}

// GRPCServer builds the plugin's gRPC server with hookferry's limits.
func GRPCServer(opts []grpc.ServerOption) *grpc.Server {
	opts = append(opts, grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize),
		grpc.InitialWindowSize(windowSize), grpc.InitialConnWindowSize(windowSize),
		// A fixed set of goroutines runs the calls instead of a new one
		// per call, whose stack grows (and is copied) on every call.
		grpc.NumStreamWorkers(uint32(max(runtime.GOMAXPROCS(0), 2))))
	return grpc.NewServer(opts...)
}

// windowSize is the HTTP/2 flow-control window of every plugin stream and
// connection. Setting it turns off gRPC's bandwidth-delay estimation,
// which sends a PING (and waits for its ACK) alongside the data frames of
// a call: on a local socket that is two more writes and wake-ups per call
// for nothing.
const windowSize = 4 << 20

// DialOptions are the host side's connection options; they match
// GRPCServer's.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(CallOptions()...),
		grpc.WithInitialWindowSize(windowSize), grpc.WithInitialConnWindowSize(windowSize)}
}

// GRPCPlugin is the go-plugin glue for both sides.
type GRPCPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	server *server
}

var _ goplugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the plugin's service (plugin side); the broker
// reaches the host's services.
func (p *GRPCPlugin) GRPCServer(broker *goplugin.GRPCBroker, s *grpc.Server) error {
	p.server.mu.Lock()
	p.server.broker = broker
	p.server.mu.Unlock()
	pb.RegisterPluginServer(s, p.server)
	return nil
}

// GRPCClient returns a *Client (host side).
func (p *GRPCPlugin) GRPCClient(_ context.Context, broker *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &Client{conn: &connection{rpc: pb.NewPluginClient(c), broker: broker}}, nil
}

// ProtocolVersions are the plugin protocol versions a host built with
// this SDK accepts, newest first. go-plugin offers them all to the plugin,
// which picks the newest it speaks; a plugin that speaks none of them is
// refused at start (see docs/plugins.md, Compatibility).
var ProtocolVersions = []int{ProtocolVersion}

// PluginSet is what the host hands go-plugin's client config: one entry
// per accepted protocol version.
func PluginSet() map[int]goplugin.PluginSet {
	set := make(map[int]goplugin.PluginSet, len(ProtocolVersions))
	for _, v := range ProtocolVersions {
		set[v] = goplugin.PluginSet{PluginName: &GRPCPlugin{}}
	}
	return set
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

// Close releases what the plugin side holds beyond its gRPC server: the
// render socket and its directory (a served plugin does so when Serve
// returns; a test plugin from NewTestPlugin should be closed).
func (p *GRPCPlugin) Close() { p.server.closeSocket() }
