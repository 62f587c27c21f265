package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childPids lists the direct children of pid (Linux /proc; children are
// listed per thread, so every thread is read).
func childPids(t *testing.T, pid int) []int {
	t.Helper()
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	var out []int
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(f)
			out = append(out, n)
		}
	}
	return out
}

func processGone(pid int, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if syscall.Kill(pid, 0) != nil {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// TestHostStopLeavesNoPlugin runs hookferry with a discovered plugin and
// stops it with SIGTERM, then (another run) with SIGKILL: either way the
// plugin process ends (with SIGKILL the plugin notices it lost its parent).
func TestHostStopLeavesNoPlugin(t *testing.T) {
	bin := buildBinary(t)
	plugDir := t.TempDir()
	// The example is its own module: build it in its folder.
	build := exec.Command("go", "build", "-o", filepath.Join(plugDir, "hookferry-plugin-mattermost"), ".")
	build.Dir = "../../plugins/examples/mattermost"
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build plugin: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			addr := freePort(t)
			cfg := filepath.Join(dir, "c.hcl")
			_ = os.WriteFile(cfg, []byte(`
server { listen = "`+addr+`" }
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "mattermost" "out" { webhook_url = "https://mm.example.test/hooks/x" }
}`), 0o644)
			cmd := exec.Command(bin, "run", "-c", cfg, "--data-dir", filepath.Join(dir, "data"), "--plugin-dir", plugDir, "--log-level", "error")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitListening(t, addr)
			kids := childPids(t, cmd.Process.Pid)
			if len(kids) != 1 {
				t.Fatalf("hookferry has children %v, want the one plugin", kids)
			}
			_ = cmd.Process.Signal(sig)
			_, _ = cmd.Process.Wait()
			if !processGone(kids[0], 5*time.Second) {
				_ = syscall.Kill(kids[0], syscall.SIGKILL)
				t.Fatalf("plugin %d still running 5s after the host got %s", kids[0], sig)
			}
		})
	}
}
