package core_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
	sdkplugin "github.com/hookferry/hookferry/sdk/plugin"
)

var (
	pluginOnce sync.Once
	pluginPath string
	pluginErr  error
)

// examplePlugin builds plugins/examples/mattermost once per test binary.
func examplePlugin(t testing.TB) (path, sum string) {
	t.Helper()
	pluginOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hookferry-plugins-")
		if err != nil {
			pluginErr = err
			return
		}
		pluginPath = filepath.Join(dir, "hookferry-plugin-mattermost")
		// The example is its own module: build it in its folder.
		build := exec.Command("go", "build", "-o", pluginPath, ".")
		build.Dir = "../plugins/examples/mattermost"
		build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		out, err := build.CombinedOutput()
		if err != nil {
			pluginErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	if pluginErr != nil {
		t.Fatal(pluginErr)
	}
	b, err := os.ReadFile(pluginPath)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return pluginPath, hex.EncodeToString(h[:])
}

func alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }

func mattermostConfig(path, sum, url string) string {
	return fmt.Sprintf(`
plugin "mattermost" {
  path   = %q
  sha256 = %q
}
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "mattermost" "out" {
    webhook_url = %q
    channel     = "ops"
    retry {
      max_attempts = 50
      initial      = "20ms"
      max          = "200ms"
    }
    breaker { enabled = false }
  }
}`, path, sum, url)
}

func TestPluginPipeline(t *testing.T) {
	path, sum := examplePlugin(t)
	var mu sync.Mutex
	var posts []map[string]any
	dest := newDestinationFunc(t, func(r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		posts = append(posts, m)
		mu.Unlock()
	})
	var logs bytes.Buffer
	var logMu sync.Mutex
	e := startEngineWithLogger(t, mattermostConfig(path, sum, dest.URL+"/hooks/abc"), slog.New(slog.NewJSONHandler(&lockedWriter{w: &logs, mu: &logMu}, nil)))
	plugins := e.Plugins()
	if len(plugins) != 1 {
		t.Fatalf("%d plugins running", len(plugins))
	}
	pid := plugins[0].Pid()
	if !alive(pid) {
		t.Fatalf("plugin pid %d not running", pid)
	}

	// Deliver through the plugin process.
	post(t, e, "/in", []byte(`"first"`), map[string]string{"Content-Type": "application/json", "Idempotency-Key": "k0"})
	waitStats(t, e, "p", "out", 1, 0)
	mu.Lock()
	if len(posts) != 1 || posts[0]["text"] != "first" || posts[0]["channel"] != "ops" {
		t.Fatalf("posts %v", posts)
	}
	mu.Unlock()

	// Kill the plugin mid-stream: nothing is lost, the next events go
	// through after the restart.
	const n = 30
	for i := 1; i <= n; i++ {
		if i == 10 {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
		post(t, e, "/in", []byte(fmt.Sprintf(`"event %d"`, i)), map[string]string{"Content-Type": "application/json", "Idempotency-Key": fmt.Sprint("k", i)})
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, _, f, _ := e.SinkStats("p", "out")
		if f != 0 {
			t.Fatalf("%d deliveries failed", f)
		}
		if d == n+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d of %d after the plugin was killed", d, n+1)
		}
		time.Sleep(20 * time.Millisecond)
	}
	newPid := plugins[0].Pid()
	if newPid == pid || !alive(newPid) {
		t.Fatalf("plugin not restarted: pid %d -> %d", pid, newPid)
	}
	mu.Lock()
	seen := map[string]bool{}
	for _, p := range posts {
		seen[fmt.Sprint(p["text"])] = true
	}
	mu.Unlock()
	for i := 1; i <= n; i++ {
		if !seen[fmt.Sprintf("event %d", i)] {
			t.Errorf("event %d never delivered", i)
		}
	}
	logMu.Lock()
	if !strings.Contains(logs.String(), `"plugin":"mattermost"`) || !strings.Contains(logs.String(), "plugin restarted") {
		t.Errorf("plugin lines not in the host log:\n%s", logs.String())
	}
	logMu.Unlock()

	// Host shutdown leaves no plugin process behind.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if alive(newPid) {
		t.Fatalf("plugin process %d still running after shutdown", newPid)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func validateDiags(t *testing.T, cfg string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "c.hcl")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := core.Validate(context.Background(), core.Options{ConfigPath: p, Components: all.Definitions(all.Options{})})
	var ce *core.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("want a config error, got %v", err)
	}
	var buf bytes.Buffer
	_ = ce.Write(&buf, false)
	return strings.ReplaceAll(buf.String(), dir+"/", "")
}

func TestPluginWrongChecksumRefused(t *testing.T) {
	path, _ := examplePlugin(t)
	out := validateDiags(t, mattermostConfig(path, strings.Repeat("0", 64), "https://mm.example.test/hooks/x"))
	if !strings.Contains(out, "c.hcl:2:1: error: Plugin \"mattermost\" did not start") || !strings.Contains(out, "sha256 does not match") || !strings.Contains(out, "it was not run") {
		t.Fatalf("diagnostics:\n%s", out)
	}
}

func TestPluginConfigErrorAtItsLine(t *testing.T) {
	path, sum := examplePlugin(t)
	out := validateDiags(t, mattermostConfig(path, sum, "not a url"))
	// webhook_url is on line 12 of mattermostConfig's text. The plugin's
	// schema marks it sensitive, so the line itself is not shown.
	if !strings.Contains(out, "c.hcl:12:5: error: Invalid webhook_url") || strings.Contains(out, "not a url") || !strings.Contains(out, "holds a secret") {
		t.Fatalf("diagnostics:\n%s", out)
	}
}

// TestPluginReattach: a plugin started by hand in debug mode prints how to
// reattach; hookferry connects to it instead of starting one, delivers
// through it, and leaves it running on shutdown.
func TestPluginReattach(t *testing.T) {
	path, _ := examplePlugin(t)
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(), sdkplugin.DebugEnv+"=1")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	v, ok := strings.CutPrefix(strings.TrimSpace(line), sdkplugin.ReattachEnv+"=")
	if !ok {
		t.Fatalf("debug line %q", line)
	}
	reattach, err := sdkplugin.ParseReattach(strings.Trim(v, "'"))
	if err != nil || reattach["mattermost"].Pid != cmd.Process.Pid {
		t.Fatalf("reattach %v %v", reattach, err)
	}

	dest := newDestination(t)
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "config.hcl"), []byte(`
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "mattermost" "out" { webhook_url = "`+dest.URL+`/hooks/x" }
}`), 0o644)
	e, err := core.Load(context.Background(), core.Options{ConfigPath: filepath.Join(dir, "config.hcl"), DataDir: filepath.Join(dir, "data"),
		Components: all.Definitions(all.Options{}), Listen: "127.0.0.1:0", Reattach: reattach})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	post(t, e, "/in", []byte(`"via the debugger"`), map[string]string{"Content-Type": "application/json"})
	waitStats(t, e, "p", "out", 1, 0)
	if err := e.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !alive(cmd.Process.Pid) {
		t.Fatal("hookferry killed the plugin it only reattached to")
	}
}

// TestPluginGetsNoHostEnvironment: a variable set in hookferry's
// environment is not visible to the plugin process.
func TestPluginGetsNoHostEnvironment(t *testing.T) {
	t.Setenv("HOOKFERRY_TEST_HOST_SECRET", "do-not-leak")
	bin := filepath.Join(t.TempDir(), "hookferry-plugin-env")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/envplugin").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var mu sync.Mutex
	var names []string
	dest := newDestinationFunc(t, func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		_ = json.NewDecoder(r.Body).Decode(&names)
	})
	e := startEngineWithLogger(t, `
plugin "env" { path = "`+bin+`" }
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  transform "env" {}
  sink "http" "out" { url = "`+dest.URL+`" }
}`, slog.New(slog.DiscardHandler))
	post(t, e, "/in", []byte(`{}`), nil)
	waitStats(t, e, "p", "out", 1, 0)
	mu.Lock()
	defer mu.Unlock()
	if len(names) == 0 {
		t.Fatal("the plugin reported no environment at all (go-plugin's own variables are expected)")
	}
	for _, n := range names {
		if n == "HOOKFERRY_TEST_HOST_SECRET" || n == "PATH" || n == "HOME" {
			t.Fatalf("the plugin sees the host's %s; its environment: %v", n, names)
		}
	}
}
