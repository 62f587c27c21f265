package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hookferry/hookferry/sdk"
	sdkplugin "github.com/hookferry/hookferry/sdk/plugin"
)

// BinaryPrefix names discoverable plugin binaries: hookferry-plugin-NAME.
const BinaryPrefix = "hookferry-plugin-"

// Restart limits.
const (
	MaxRestartsPerMinute = 5
	restartBackoffMax    = 10 * time.Second
	startTimeout         = 15 * time.Second
)

// Spec says which binary to run.
type Spec struct {
	Name string
	Path string
	// SHA256 (hex) of the binary; checked before it runs when set.
	SHA256 string
	// Reattach connects to a plugin already running (started by hand
	// under a debugger) instead of starting Path. It is neither killed
	// nor restarted by the host.
	Reattach *goplugin.ReattachConfig
}

// ErrChecksum means the binary is not the one the config pinned.
var ErrChecksum = errors.New("the plugin binary's sha256 does not match the configuration")

// Plugin is one running plugin binary.
type Plugin struct {
	spec   Spec
	log    *slog.Logger
	conn   *sdkplugin.Client // long-lived; Swap on restart
	desc   *sdkplugin.Description
	mu     sync.Mutex
	client *goplugin.Client
	cmd    *exec.Cmd // nil when reattached
	closed bool
	done   chan struct{}
	// gen counts restarts; restarted is closed (and replaced) on each.
	gen       uint64
	restarted chan struct{}
	crashed   map[uint64]bool // generation -> it ended on its own
}

// Start runs the binary, checks its handshake and asks what it provides.
func Start(ctx context.Context, spec Spec, log *slog.Logger) (*Plugin, error) {
	p := &Plugin{spec: spec, log: log.With("plugin", spec.Name), done: make(chan struct{}), restarted: make(chan struct{}), crashed: map[uint64]bool{}}
	client, cmd, conn, err := p.launch()
	if err != nil {
		return nil, err
	}
	desc, err := conn.Describe(ctx)
	if err != nil {
		p.kill(client, cmd)
		return nil, fmt.Errorf("plugin %s: describe: %w", spec.Name, err)
	}
	if !slices.Contains(sdkplugin.ProtocolVersions, desc.ProtocolVersion) {
		p.kill(client, cmd)
		return nil, &IncompatibleError{Plugin: spec.Name, Path: spec.Path, PluginProtocol: desc.ProtocolVersion, HostProtocols: sdkplugin.ProtocolVersions}
	}
	p.client, p.cmd, p.conn, p.desc = client, cmd, conn, desc
	p.log.Info("plugin started", "version", desc.Version, "sdk", desc.SDKVersion, "components", len(desc.Components), "pid", p.Pid())
	go p.supervise()
	return p, nil
}

// launch starts the process (cmd is nil when reattaching to one started by
// hand) and connects to it.
func (p *Plugin) launch() (*goplugin.Client, *exec.Cmd, *sdkplugin.Client, error) {
	var secure *goplugin.SecureConfig
	if p.spec.SHA256 != "" {
		sum, err := hex.DecodeString(p.spec.SHA256)
		if err != nil || len(sum) != sha256.Size {
			return nil, nil, nil, fmt.Errorf("plugin %s: sha256 %q is not 64 hex digits", p.spec.Name, p.spec.SHA256)
		}
		secure = &goplugin.SecureConfig{Checksum: sum, Hash: sha256.New()}
	}
	cc := &goplugin.ClientConfig{
		HandshakeConfig:  sdkplugin.Handshake,
		VersionedPlugins: sdkplugin.PluginSet(),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		StartTimeout:     startTimeout,
		Logger:           hclogToSlog(p.log),
		GRPCDialOptions:  sdkplugin.DialOptions(),
	}
	var cmd *exec.Cmd
	if p.spec.Reattach != nil {
		// A plugin in debug mode may not report its protocol version;
		// give go-plugin the unversioned set too.
		cc.Reattach = p.spec.Reattach
		cc.Plugins = sdkplugin.PluginSet()[sdkplugin.ProtocolVersion]
	} else {
		cmd = exec.Command(p.spec.Path)
		cmd.Env = []string{} // nothing of the host's environment (secrets) reaches the plugin
		ownGroup(cmd)
		cc.Cmd, cc.SkipHostEnv, cc.SecureConfig, cc.AutoMTLS = cmd, true, secure, true
	}
	client := goplugin.NewClient(cc)
	rpc, err := client.Client()
	if err != nil {
		p.kill(client, cmd)
		if errors.Is(err, goplugin.ErrChecksumsDoNotMatch) {
			return nil, nil, nil, fmt.Errorf("plugin %s (%s): %w; it was not run", p.spec.Name, p.spec.Path, ErrChecksum)
		}
		if v, ok := incompatibleVersion(err); ok {
			return nil, nil, nil, &IncompatibleError{Plugin: p.spec.Name, Path: p.spec.Path, PluginProtocol: v, HostProtocols: sdkplugin.ProtocolVersions}
		}
		return nil, nil, nil, fmt.Errorf("plugin %s (%s): %w", p.spec.Name, p.spec.Path, err)
	}
	raw, err := rpc.Dispense(sdkplugin.PluginName)
	if err != nil {
		p.kill(client, cmd)
		return nil, nil, nil, fmt.Errorf("plugin %s: %w", p.spec.Name, err)
	}
	conn, ok := raw.(*sdkplugin.Client)
	if !ok {
		p.kill(client, cmd)
		return nil, nil, nil, fmt.Errorf("plugin %s: unexpected client %T", p.spec.Name, raw)
	}
	return client, cmd, conn, nil
}

// kill stops a plugin process and, when the host started it, whatever
// processes it started (its process group).
func (p *Plugin) kill(client *goplugin.Client, cmd *exec.Cmd) {
	client.Kill()
	endGroup(groupOf(cmd))
}

// groupOf is the process group a started plugin leads (its pid), or 0.
func groupOf(cmd *exec.Cmd) int {
	if cmd == nil || cmd.Process == nil {
		return 0
	}
	return cmd.Process.Pid
}

// IncompatibleError is a plugin built for a protocol version this host
// does not speak (an older or a newer SDK).
type IncompatibleError struct {
	Plugin, Path   string
	PluginProtocol int
	HostProtocols  []int
}

func (e *IncompatibleError) Error() string {
	hint := "rebuild the plugin with an SDK that speaks one of these versions"
	if len(e.HostProtocols) > 0 && e.PluginProtocol > slices.Max(e.HostProtocols) {
		hint = "the plugin is newer than this hookferry: upgrade hookferry, or use a plugin release built for protocol " + fmt.Sprint(slices.Max(e.HostProtocols))
	} else if len(e.HostProtocols) > 0 {
		hint = "the plugin is older than this hookferry: rebuild it with a current SDK (github.com/hookferry/hookferry/sdk)"
	}
	return fmt.Sprintf("plugin %s (%s) speaks hookferry plugin protocol %d; this hookferry accepts protocol %s: %s",
		e.Plugin, e.Path, e.PluginProtocol, joinInts(e.HostProtocols), hint)
}

// ErrIncompatible is matched by every *IncompatibleError.
var ErrIncompatible = errors.New("incompatible plugin protocol")

func (e *IncompatibleError) Is(target error) bool { return target == ErrIncompatible }

func joinInts(vs []int) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, " or ")
}

// incompatibleVersion reads go-plugin's version mismatch ("incompatible API
// version with plugin. Plugin version: N, Client versions: [...]").
func incompatibleVersion(err error) (int, bool) {
	m := versionMismatch.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, false
	}
	v, convErr := strconv.Atoi(m[1])
	return v, convErr == nil
}

var versionMismatch = regexp.MustCompile(`(?i)incompatible API version with plugin\. Plugin version: (-?\d+)`)

// supervise restarts the process when it dies: after 250ms while it has
// restarted fewer than MaxRestartsPerMinute times in the last minute, then
// with a delay that doubles up to 10s (a crash loop). It does not wall the
// plugin off for a minute: deliveries wait on it, and a message that keeps
// crashing it is dead-lettered by the delivery worker.
func (p *Plugin) supervise() {
	defer close(p.done)
	var restarts []time.Time
	backoff := 250 * time.Millisecond
	for {
		time.Sleep(100 * time.Millisecond)
		p.mu.Lock()
		closed, client, cmd := p.closed, p.client, p.cmd
		p.mu.Unlock()
		if closed {
			return
		}
		if !client.Exited() {
			backoff = 250 * time.Millisecond
			continue
		}
		p.noteExit()
		endGroup(groupOf(cmd)) // what the dead process started dies with it
		if p.spec.Reattach != nil {
			p.log.Error("the plugin being debugged exited; it is not restarted (start it again, then hookferry)")
			return
		}
		now := time.Now()
		for len(restarts) > 0 && now.Sub(restarts[0]) > time.Minute {
			restarts = restarts[1:]
		}
		wait := backoff
		if over := len(restarts) - MaxRestartsPerMinute; over >= 0 {
			wait = min(backoff<<(over+1), restartBackoffMax)
			p.log.Error("plugin keeps dying; backing off", "restarts_last_minute", len(restarts), "wait", wait)
		} else {
			p.log.Warn("plugin process exited; restarting", "backoff", wait)
		}
		time.Sleep(wait)
		backoff = min(backoff*2, restartBackoffMax)
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		restarts = append(restarts, time.Now())
		newClient, newCmd, conn, err := p.launch()
		if err != nil {
			p.log.Error("plugin restart failed", "error", err)
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			p.kill(newClient, newCmd)
			return
		}
		p.client, p.cmd = newClient, newCmd
		p.conn.Swap(conn)
		p.gen++
		close(p.restarted)
		p.restarted = make(chan struct{})
		p.mu.Unlock()
		p.log.Info("plugin restarted", "pid", p.Pid())
	}
}

// Name is the plugin's name (its block label or binary suffix).
func (p *Plugin) Name() string { return p.spec.Name }

// Description is what the plugin said about itself.
func (p *Plugin) Description() *sdkplugin.Description { return p.desc }

// Definitions are the plugin's components, for a registry.
func (p *Plugin) Definitions() []sdk.Definition { return p.desc.Components }

// noteExit records how the current process ended: on its own (a crash:
// a panic, an exit status, a fault signal) or stopped from outside
// (SIGKILL, SIGTERM, SIGINT, SIGHUP: an operator, a supervisor).
func (p *Plugin) noteExit() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, done := p.crashed[p.gen]; done || p.cmd == nil || p.cmd.ProcessState == nil {
		return
	}
	crashed := !p.cmd.ProcessState.Success()
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		switch ws.Signal() {
		case syscall.SIGKILL, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP:
			crashed = false
		}
	}
	p.crashed[p.gen] = crashed
	delete(p.crashed, p.gen-16) // keep the recent ones
}

// Crashed reports whether generation gen of the process ended on its own
// rather than being stopped from outside; false while unknown.
func (p *Plugin) Crashed(gen uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.crashed[gen]
}

// Exited reports whether the current process has exited (it is being
// restarted).
func (p *Plugin) Exited() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.client != nil && p.client.Exited()
}

// Generation counts the restarts so far.
func (p *Plugin) Generation() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gen
}

// Restarted is closed once the plugin has restarted more than after times
// (already closed when it has).
func (p *Plugin) Restarted(after uint64) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gen > after {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	return p.restarted
}

// Unavailable reports whether err is a failure to reach the plugin
// process (it died, or is being restarted) rather than an answer from the
// component in it: components report their own errors inside the reply,
// so a gRPC status on the error chain is the transport's.
func (p *Plugin) Unavailable(err error) bool {
	return IsUnavailable(err)
}

// IsUnavailable: see Plugin.Unavailable.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	switch st.Code() {
	case codes.Unavailable, codes.Canceled, codes.Aborted:
		return true
	}
	return false
}

// Pid is the current process id (0 when not running).
func (p *Plugin) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == nil {
		return 0
	}
	if rc := p.client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// Close stops supervising and kills the process.
func (p *Plugin) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	client, cmd := p.client, p.cmd
	p.mu.Unlock()
	p.kill(client, cmd)
	<-p.done
	// A killed plugin leaves its render socket's directory behind.
	p.conn.Release()
}

// Discover finds hookferry-plugin-NAME executables in dirs (missing dirs
// are skipped). The first directory to hold a name wins.
func Discover(dirs []string) ([]Spec, error) {
	seen := map[string]bool{}
	var out []Spec
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name, ok := strings.CutPrefix(e.Name(), BinaryPrefix)
			if !ok || name == "" || e.IsDir() || seen[name] {
				continue
			}
			info, err := e.Info()
			if err != nil || info.Mode()&0o111 == 0 {
				continue
			}
			seen[name] = true
			out = append(out, Spec{Name: name, Path: filepath.Join(dir, e.Name())})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// hclogToSlog gives go-plugin an hclog logger whose lines (the plugin's
// own logs included) land in slog.
func hclogToSlog(log *slog.Logger) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       "plugin",
		Output:     &slogWriter{log: log},
		JSONFormat: true,
		Level:      hclog.Debug,
	})
}

// slogWriter parses hclog's JSON lines into slog records.
type slogWriter struct {
	log *slog.Logger
	mu  sync.Mutex
	buf []byte
}

func (w *slogWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			return len(b), nil
		}
		w.line(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
}

func (w *slogWriter) line(b []byte) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		w.log.Info(strings.TrimSpace(string(b)))
		return
	}
	level := slog.LevelInfo
	switch m["@level"] {
	case "trace", "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	msg, _ := m["@message"].(string)
	attrs := make([]any, 0, 2*len(m))
	for k, v := range m {
		if strings.HasPrefix(k, "@") {
			continue
		}
		attrs = append(attrs, k, v)
	}
	w.log.Log(context.Background(), level, msg, attrs...)
}

var _ io.Writer = (*slogWriter)(nil)
