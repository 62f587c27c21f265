package pluginhost

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// testPlugin builds testdata/testplugin with the given -X flags, once per
// flag set.
func testPlugin(t *testing.T, flags string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[flags]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "pluginhost-test-")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "hookferry-plugin-testplugin")
	args := []string{"build", "-o", bin}
	if flags != "" {
		args = append(args, "-ldflags", flags)
	}
	if out, err := exec.Command("go", append(args, "./testdata/testplugin")...).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	built[flags] = bin
	return bin
}

func TestMain(m *testing.M) {
	if path := os.Getenv("PLUGINHOST_TEST_HOST"); path != "" {
		runHost(path) // a host process for TestPluginGroupEndsWhenTheHostIsKilled
		return
	}
	code := m.Run()
	for _, p := range built {
		_ = os.RemoveAll(filepath.Dir(p))
	}
	os.Exit(code)
}

// runHost starts the plugin, says its pid, and waits to be killed.
func runHost(path string) {
	p, err := Start(context.Background(), Spec{Name: "testplugin", Path: path}, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("pid", p.Pid())
	time.Sleep(time.Hour)
}

// TestIncompatiblePluginFailsAtStartNamingBothVersions: a plugin built for
// an older or a newer protocol is refused at start with an error that
// names its version and the ones this host accepts.
func TestIncompatiblePluginFailsAtStartNamingBothVersions(t *testing.T) {
	tests := []struct {
		protocol int
		says     string
	}{
		{0, "older than this hookferry"},
		{2, "newer than this hookferry"},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.protocol), func(t *testing.T) {
			bin := testPlugin(t, "-X main.protocol="+strconv.Itoa(tt.protocol))
			p, err := Start(context.Background(), Spec{Name: "old", Path: bin}, slog.New(slog.DiscardHandler))
			if err == nil {
				p.Close()
				t.Fatal("an incompatible plugin started")
			}
			var inc *IncompatibleError
			if !errors.As(err, &inc) || !errors.Is(err, ErrIncompatible) || inc.PluginProtocol != tt.protocol {
				t.Fatalf("err = %v (%T)", err, err)
			}
			want := fmt.Sprintf("speaks hookferry plugin protocol %d; this hookferry accepts protocol 1", tt.protocol)
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), "plugin old (") {
				t.Fatalf("error %q does not say %q and %q", err, want, tt.says)
			}
		})
	}
}

// groupMembers lists the live processes of process group pgid.
func groupMembers(t *testing.T, pgid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("no /proc")
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces; cut at ')'.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 3 || fields[0] == "Z" {
			continue
		}
		if g, _ := strconv.Atoi(fields[2]); g == pgid {
			out = append(out, pid)
		}
	}
	return out
}

// waitGroupGone waits (bounded) until group pgid has no live member.
func waitGroupGone(t *testing.T, pgid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		left := groupMembers(t, pgid)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range left {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			t.Fatalf("processes %v of the plugin's group outlived it", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPluginGroupEndsWithThePlugin: the host starts a plugin in a process
// group of its own; closing the plugin ends the processes it started too.
func TestPluginGroupEndsWithThePlugin(t *testing.T) {
	bin := testPlugin(t, "-X main.children=1")
	p, err := Start(context.Background(), Spec{Name: "kids", Path: bin}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	pid := p.Pid()
	if members := groupMembers(t, pid); len(members) < 2 {
		p.Close()
		t.Fatalf("group %d has %v; want the plugin and its child", pid, members)
	}
	p.Close()
	waitGroupGone(t, pid, 10*time.Second)
}

// TestPluginGroupEndsWhenTheHostIsKilled: a host killed with SIGKILL cannot
// stop its plugins; the plugin notices it lost its parent and ends its
// whole group, its own child included.
func TestPluginGroupEndsWhenTheHostIsKilled(t *testing.T) {
	bin := testPlugin(t, "-X main.children=1")
	host := exec.Command(os.Args[0], "-test.run=^$")
	host.Env = append(os.Environ(), "PLUGINHOST_TEST_HOST="+bin)
	stdout, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = host.Process.Kill(); _ = host.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("host: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "pid ")))
	if err != nil || pid <= 0 {
		t.Fatalf("host said %q", line)
	}
	if members := groupMembers(t, pid); len(members) < 2 {
		t.Fatalf("group %d has %v; want the plugin and its child", pid, members)
	}
	if err := host.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = host.Wait()
	// The plugin checks its parent every second.
	waitGroupGone(t, pid, 15*time.Second)
}
