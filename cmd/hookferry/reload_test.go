package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const reloadScript = `function transform(event) { return { key: event.body.key, version: %q }; }
`

const reloadHCL = `pipeline "p" {
  source "http" {
    path                  = "/in"
    id_header             = "X-Key"
    allow_unauthenticated = true
  }
  transform "javascript" {
    file = "t.js"
  }
  sink "http" "out" {
    url = %q
  }
}
`

// syncBuffer is a process's stderr, read while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// reloadRig runs the binary on a config whose script stamps a version,
// sends one event every 10ms and records what the destination got.
type reloadRig struct {
	t        *testing.T
	dir      string
	addr     string
	stderr   *syncBuffer
	mu       sync.Mutex
	versions map[string]string // key -> version delivered
	sentAt   map[string]time.Time
	failed   []string
	stop     chan struct{}
	done     chan struct{}
	hup      func()
}

func startReloadRig(t *testing.T, args ...string) *reloadRig {
	bin := buildBinary(t)
	r := &reloadRig{t: t, dir: t.TempDir(), addr: freePort(t), stderr: &syncBuffer{}, versions: map[string]string{}, sentAt: map[string]time.Time{},
		stop: make(chan struct{}), done: make(chan struct{})}
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var m struct{ Key, Version string }
		_ = json.NewDecoder(req.Body).Decode(&m)
		r.mu.Lock()
		r.versions[m.Key] = m.Version
		r.mu.Unlock()
	}))
	t.Cleanup(dest.Close)
	r.write("t.js", fmt.Sprintf(reloadScript, "v1"))
	r.write("config.hcl", fmt.Sprintf(reloadHCL, dest.URL))
	cmd := exec.Command(bin, append([]string{"run", "-c", filepath.Join(r.dir, "config.hcl"), "--data-dir", filepath.Join(r.dir, "data"), "--listen", r.addr}, args...)...)
	cmd.Stderr = r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("stderr:\n%s", r.stderr.String())
		}
	})
	waitListening(t, r.addr)
	go r.send()
	t.Cleanup(r.halt)
	r.hup = func() {
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func (r *reloadRig) write(name, content string) {
	r.t.Helper()
	tmp := filepath.Join(r.dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(r.dir, name)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *reloadRig) send() {
	defer close(r.done)
	client := &http.Client{Timeout: 10 * time.Second}
	for i := 0; ; i++ {
		select {
		case <-r.stop:
			return
		case <-time.After(10 * time.Millisecond):
		}
		key := fmt.Sprintf("k%d", i)
		req, _ := http.NewRequest(http.MethodPost, "http://"+r.addr+"/in", strings.NewReader(`{"key":"`+key+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Key", key)
		at := time.Now()
		resp, err := client.Do(req)
		r.mu.Lock()
		r.sentAt[key] = at
		if err != nil || resp.StatusCode != 202 {
			r.failed = append(r.failed, fmt.Sprintf("%s: %v %v", key, resp, err))
		}
		r.mu.Unlock()
		if err == nil {
			resp.Body.Close()
		}
	}
}

var haltOnce sync.Map

func (r *reloadRig) halt() {
	if _, done := haltOnce.LoadOrStore(r, true); done {
		return
	}
	close(r.stop)
	<-r.done
}

// firstWith waits for a delivery with version v of an event sent after
// since, and returns when that event was sent.
func (r *reloadRig) firstWith(v string, since time.Time) time.Time {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		var first time.Time
		for k, got := range r.versions {
			if at := r.sentAt[k]; got == v && at.After(since) && (first.IsZero() || at.Before(first)) {
				first = at
			}
		}
		r.mu.Unlock()
		if !first.IsZero() {
			return first
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.t.Fatalf("no event sent after %s delivered with %s", since.Format(time.StampMilli), v)
	return time.Time{}
}

// notAfter counts events sent after t and delivered with another version
// than v.
func (r *reloadRig) notAfter(v string, t time.Time) (n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, got := range r.versions {
		if r.sentAt[k].After(t) && got != v {
			n++
		}
	}
	return n
}

// TestSighupReloadsTransform: kill -HUP on the running binary with an
// edited transform changes the output within a second with no failed
// request; with a broken config the old one keeps serving and the log
// names file:line.
func TestSighupReloadsTransform(t *testing.T) {
	r := startReloadRig(t)
	r.firstWith("v1", time.Time{})

	r.write("t.js", fmt.Sprintf(reloadScript, "v2"))
	hupAt := time.Now()
	r.hup()
	first := r.firstWith("v2", hupAt)
	t.Logf("first event with the new transform was sent %v after SIGHUP", first.Sub(hupAt).Round(time.Millisecond))
	if first.Sub(hupAt) > time.Second {
		t.Errorf("the new transform took %v to apply, want under a second", first.Sub(hupAt))
	}
	if n := r.notAfter("v2", hupAt.Add(time.Second)); n != 0 {
		t.Errorf("%d events sent a second after SIGHUP delivered with the old transform", n)
	}

	// Broken: an unknown attribute on line 9 of config.hcl.
	cfg, _ := os.ReadFile(filepath.Join(r.dir, "config.hcl"))
	broken := strings.Replace(string(cfg), `file = "t.js"`, "file = \"t.js\"\n    no_such_setting = 1", 1)
	r.write("config.hcl", broken)
	r.write("t.js", fmt.Sprintf(reloadScript, "v3"))
	brokeAt := time.Now()
	r.hup()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(r.stderr.String(), "reload refused") {
		if time.Now().After(deadline) {
			t.Fatal("no reload refused in the log")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if log := r.stderr.String(); !strings.Contains(log, "config.hcl:9:") {
		t.Errorf("the log does not name config.hcl:9:\n%s", log)
	}
	r.firstWith("v2", brokeAt.Add(500*time.Millisecond))
	if n := r.notAfter("v2", brokeAt); n != 0 {
		t.Errorf("%d events after the broken reload not delivered by the running config", n)
	}
	r.halt()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.failed) > 0 {
		t.Errorf("%d requests failed, e.g. %v", len(r.failed), r.failed[0])
	}
	t.Logf("%d events sent, all answered 202", len(r.sentAt))
}

// TestWatchReloadsOnEdit: with --watch, saving the script is enough.
func TestWatchReloadsOnEdit(t *testing.T) {
	r := startReloadRig(t, "--watch")
	r.firstWith("v1", time.Time{})
	r.write("t.js", fmt.Sprintf(reloadScript, "v2"))
	at := time.Now()
	first := r.firstWith("v2", at)
	t.Logf("first event with the edited script was sent %v after saving it", first.Sub(at).Round(time.Millisecond))
	r.halt()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.failed) > 0 {
		t.Errorf("%d requests failed, e.g. %v", len(r.failed), r.failed[0])
	}
}
