package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookferry/hookferry/core"
)

// reloadConfig is a pipeline whose transform stamps each message with a
// version, and whose destination is DEST_URL.
func reloadConfig(version string, extra string) string {
	return fmt.Sprintf(`
server {
  shutdown_timeout = "5s"
}
pipeline "p" {
  source "http" {
    path                  = "/in"
    id_header             = "X-Key"
    allow_unauthenticated = true
  }
  transform "javascript" {
    code = <<-JS
      function transform(event) { return { key: event.body.key, version: %q }; }
    JS
  }
  sink "http" "out" {
    url         = env("DEST_URL")
    concurrency = 8
  }
}
%s`, version, extra)
}

// stamped is a destination that records, per key, the versions it got.
type stamped struct {
	mu  sync.Mutex
	got map[string][]string
	url string
}

func newStamped(t *testing.T) *stamped {
	s := &stamped{got: map[string][]string{}}
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Key, Version string }
		_ = json.NewDecoder(r.Body).Decode(&m)
		s.mu.Lock()
		s.got[m.Key] = append(s.got[m.Key], m.Version)
		s.mu.Unlock()
		w.WriteHeader(200)
	})
	s.url = srv.URL
	return s
}

func (s *stamped) versions(key string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got[key]...)
}

func writeConfig(t *testing.T, dir, content string) {
	t.Helper()
	// Write then rename, as editors and config management do.
	tmp := filepath.Join(dir, ".config.hcl.tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "config.hcl")); err != nil {
		t.Fatal(err)
	}
}

func sendKey(client *http.Client, addr, key string) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/in", strings.NewReader(`{"key":"`+key+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestReloadUnderLoadLosesNothing reloads 20 times (valid and invalid
// configurations, one changing the transform) while senders post a bounded
// number of events: every event is answered 2xx, every one is delivered
// exactly once, and events sent after the transform changed carry the new
// transform's output.
func TestReloadUnderLoadLosesNothing(t *testing.T) {
	const (
		senders   = 4
		perSender = 300
		pace      = 3 * time.Millisecond
	)
	dest := newStamped(t)
	dir := t.TempDir()
	writeConfig(t, dir, reloadConfig("v1", ""))
	env := map[string]string{"DEST_URL": dest.url}
	e := loadAndStart(t, dir, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, nil)

	var hookCalls, hookFails atomic.Int64
	e.OnReload(func(ok bool, at time.Time) {
		hookCalls.Add(1)
		if !ok {
			hookFails.Add(1)
		}
		if at.IsZero() {
			t.Error("OnReload without a time")
		}
	})

	// v2From is set once the transform-changing reload returned: events
	// sent after it must carry v2.
	var v2From atomic.Int64
	v2From.Store(-1)
	var sent, non2xx atomic.Int64
	var afterV2 sync.Map // key -> true: sent after the switch
	var wg sync.WaitGroup
	done := make(chan struct{})
	client := &http.Client{Timeout: 10 * time.Second}
	for s := range senders {
		wg.Go(func() {
			for i := range perSender {
				key := fmt.Sprintf("s%d-%d", s, i)
				switched := v2From.Load() >= 0
				status, err := sendKey(client, e.Addr(), key)
				if err != nil || status/100 != 2 {
					non2xx.Add(1)
					t.Errorf("%s: status %d, %v", key, status, err)
				}
				if switched {
					afterV2.Store(key, true)
				}
				sent.Add(1)
				time.Sleep(pace)
			}
		})
	}
	go func() { wg.Wait(); close(done) }()

	// The reloads: valid ones (same config, an added sink, the transform
	// change) and invalid ones (a script syntax error, an unknown sink
	// type, a server.listen change).
	broken := []string{
		strings.Replace(reloadConfig("v1", ""), `{ return`, `{ return {{`, 1),
		reloadConfig("v1", `pipeline "q" {
  source "http" {
    path = "/q"
    allow_unauthenticated = true
  }
  sink "nosuchtype" "x" {}
}`),
		strings.Replace(reloadConfig("v1", ""), `server {`, `server {
  listen = "127.0.0.1:1"`, 1),
	}
	extraSink := `pipeline "r" {
  source "http" {
    path = "/r"
    allow_unauthenticated = true
  }
  sink "http" "r" { url = env("DEST_URL") }
}`
	version := "v1"
	var refused, applied int
	for i := range 20 {
		var cfg string
		wantOK := true
		switch {
		case i == 10:
			version = "v2"
			cfg = reloadConfig(version, "")
		case i%3 == 1:
			cfg, wantOK = broken[(i/3)%len(broken)], false
		case i%3 == 2:
			cfg = reloadConfig(version, extraSink)
		default:
			cfg = reloadConfig(version, "")
		}
		writeConfig(t, dir, cfg)
		res := e.Reload(context.Background())
		if res.OK != wantOK {
			t.Fatalf("reload %d: ok=%v, want %v: %s %+v", i, res.OK, wantOK, res.Error, res.Diagnostics)
		}
		if !res.OK {
			refused++
			if len(res.Diagnostics) == 0 || res.Diagnostics[0].File == "" || res.Diagnostics[0].Line == 0 {
				t.Errorf("reload %d refused without a located diagnostic: %+v", i, res.Diagnostics)
			}
		} else {
			applied++
		}
		if i == 10 {
			v2From.Store(sent.Load())
		}
		time.Sleep(40 * time.Millisecond)
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("senders did not finish")
	}

	total := senders * perSender
	deadline := time.Now().Add(20 * time.Second)
	var missing []string
	for {
		missing = missing[:0]
		for s := range senders {
			for i := range perSender {
				key := fmt.Sprintf("s%d-%d", s, i)
				if len(dest.versions(key)) == 0 {
					missing = append(missing, key)
				}
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // room for a duplicate to show up
	var dups, v2after, notV2after int
	for s := range senders {
		for i := range perSender {
			key := fmt.Sprintf("s%d-%d", s, i)
			vs := dest.versions(key)
			if len(vs) > 1 {
				dups++
				t.Errorf("%s delivered %d times (%v)", key, len(vs), vs)
			}
			if _, ok := afterV2.Load(key); ok && len(vs) > 0 {
				if vs[0] == "v2" {
					v2after++
				} else {
					notV2after++
				}
			}
		}
	}
	t.Logf("sent %d, non-2xx %d, lost %d, duplicates %d; reloads applied %d, refused %d; sent after the transform change: %d with v2, %d without",
		total, non2xx.Load(), len(missing), dups, applied, refused, v2after, notV2after)
	if len(missing) > 0 {
		t.Errorf("%d events acknowledged and never delivered, e.g. %v", len(missing), missing[:min(5, len(missing))])
	}
	if non2xx.Load() != 0 {
		t.Errorf("%d requests not answered 2xx", non2xx.Load())
	}
	if v2after == 0 || notV2after != 0 {
		t.Errorf("after the transform change: %d events with v2, %d without; want all with v2", v2after, notV2after)
	}
	if hookCalls.Load() != 20 || hookFails.Load() != int64(refused) {
		t.Errorf("OnReload called %d times (%d failures), want 20 (%d)", hookCalls.Load(), hookFails.Load(), refused)
	}
	if d, _, _, _ := e.SinkStats("p", "out"); d != int64(total) {
		t.Errorf("SinkStats delivered=%d, want %d (counts carried over reloads)", d, total)
	}
}

// TestReloadRefusesRestartOnlyBlocks: changing the server, queue or admin
// block is refused with a diagnostic at that block, and the running
// configuration keeps serving.
func TestReloadRefusesRestartOnlyBlocks(t *testing.T) {
	dest := newStamped(t)
	env := map[string]string{"DEST_URL": dest.url, "TOKEN": "s3cret-admin-token-value"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	base := reloadConfig("v1", `admin {
  token = env("TOKEN")
}`)
	tests := []struct {
		name  string
		from  string
		to    string
		block string
		attrs string
	}{
		{"server listen", `shutdown_timeout = "5s"`, `shutdown_timeout = "5s"
  listen = "127.0.0.1:9"`, "server", "listen"},
		{"server limits", `shutdown_timeout = "5s"`, `shutdown_timeout = "5s"
  max_body_size = "1MiB"`, "server", "max_body_size"},
		{"queue", `admin {`, `queue {
  retention = "1h"
  dedup_window = "1h"
}
admin {`, "queue", "dedup_window, retention, delivered_retention"},
		{"admin token", `token = env("TOKEN")`, `token = "another-token-entirely"`, "admin", "token"},
	}
	dir := t.TempDir()
	writeConfig(t, dir, base)
	e := loadAndStart(t, dir, lookup, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := strings.Replace(base, tt.from, tt.to, 1)
			if cfg == base {
				t.Fatal("test config unchanged")
			}
			writeConfig(t, dir, strings.Replace(cfg, `version: "v1"`, `version: "v9"`, 1))
			res := e.Reload(context.Background())
			if res.OK {
				t.Fatal("reload applied")
			}
			d := res.Diagnostics[0]
			if !strings.Contains(d.Summary, "the "+tt.block+" block needs a restart") || !strings.Contains(d.Detail, "("+tt.attrs+")") {
				t.Errorf("diagnostic %q / %q; want the %s block and %s", d.Summary, d.Detail, tt.block, tt.attrs)
			}
			if filepath.Base(d.File) != "config.hcl" || d.Line == 0 {
				t.Errorf("diagnostic at %s:%d, want config.hcl:LINE", d.File, d.Line)
			}
			if strings.Contains(d.Detail, env["TOKEN"]) || strings.Contains(d.Detail, "another-token") {
				t.Error("a token is in the diagnostic")
			}
			// The running transform (v1) still serves: nothing of the new
			// configuration was half-applied.
			key := "k-" + strings.ReplaceAll(tt.name, " ", "-")
			if st, err := sendKey(http.DefaultClient, e.Addr(), key); err != nil || st != 202 {
				t.Fatalf("send: %d %v", st, err)
			}
			eventually(t, func() bool { return len(dest.versions(key)) > 0 })
			if v := dest.versions(key); v[0] != "v1" {
				t.Errorf("delivered with %s, want v1", v[0])
			}
		})
	}
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestReloadOverAdminAPI: POST /v1/reload answers 422 with every
// diagnostic (file and line of a broken script) and keeps serving, then
// 200 once the configuration is fixed; the log names file:line.
func TestReloadOverAdminAPI(t *testing.T) {
	dest := newStamped(t)
	dir := t.TempDir()
	script := "function transform(event) { return { key: event.body.key, version: \"v1\" }; }\n"
	if err := os.WriteFile(filepath.Join(dir, "t.js"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(reloadConfig("", ""), `code = <<-JS
      function transform(event) { return { key: event.body.key, version: "" }; }
    JS`, `file = "t.js"`, 1)
	writeConfig(t, dir, cfg)
	var logs bytes.Buffer
	var logMu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(b)
	}), nil))
	e := loadAndStart(t, dir, func(k string) (string, bool) { return dest.url, k == "DEST_URL" }, log)

	reload := func() (int, core.ReloadResult) {
		resp, err := http.Post("http://"+e.AdminAddr()+"/v1/reload", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r core.ReloadResult
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, r
	}
	// Line 3 has the error.
	if err := os.WriteFile(filepath.Join(dir, "t.js"), []byte("function transform(event) {\n  const x = 1;\n  return {{ key };\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	status, res := reload()
	if status != 422 || res.OK || res.Error == "" {
		t.Fatalf("broken script: status %d ok %v error %q", status, res.OK, res.Error)
	}
	d := res.Diagnostics[0]
	if filepath.Base(d.File) != "t.js" || d.Line != 3 {
		t.Errorf("diagnostic at %s:%d, want t.js:3 (%+v)", d.File, d.Line, d)
	}
	logMu.Lock()
	logged := logs.String()
	logMu.Unlock()
	if !strings.Contains(logged, "t.js:3:") || !strings.Contains(logged, "reload refused") {
		t.Errorf("the log does not name t.js:3:\n%s", logged)
	}
	if st, _ := sendKey(http.DefaultClient, e.Addr(), "a"); st != 202 {
		t.Fatalf("send: %d", st)
	}
	eventually(t, func() bool { return len(dest.versions("a")) > 0 })
	if v := dest.versions("a")[0]; v != "v1" {
		t.Errorf("after a refused reload: %s, want v1", v)
	}
	if last, ok := e.LastReload(); !ok || last.OK {
		t.Errorf("LastReload = %+v, %v", last, ok)
	}

	if err := os.WriteFile(filepath.Join(dir, "t.js"), []byte(strings.Replace(script, "v1", "v2", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	status, res = reload()
	if status != 200 || !res.OK || len(res.Replaced) != 1 || res.Replaced[0] != "p/out" {
		t.Fatalf("fixed script: status %d, %+v", status, res)
	}
	if st, _ := sendKey(http.DefaultClient, e.Addr(), "b"); st != 202 {
		t.Fatalf("send: %d", st)
	}
	eventually(t, func() bool { return len(dest.versions("b")) > 0 })
	if v := dest.versions("b")[0]; v != "v2" {
		t.Errorf("after the reload: %s, want v2", v)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// TestReloadParksRemovedSinkBacklog: a reload that removes a sink with
// deliveries still queued keeps them (paused, reported, visible in the
// backlog), nothing consumes them meanwhile, and adding the sink back
// delivers every one.
func TestReloadParksRemovedSinkBacklog(t *testing.T) {
	good := newStamped(t)
	var healthy atomic.Bool
	var attempts atomic.Int64
	var mu sync.Mutex
	flaky := map[string]int{}
	flakySrv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		var m struct{ Key string }
		_ = json.NewDecoder(r.Body).Decode(&m)
		if !healthy.Load() {
			w.WriteHeader(503)
			return
		}
		mu.Lock()
		flaky[m.Key]++
		mu.Unlock()
	})
	two := func(withFlaky bool) string {
		extra := ""
		if withFlaky {
			extra = `
  sink "http" "flaky" {
    url = env("FLAKY_URL")
    retry {
      max_attempts = 1000
      initial      = "20ms"
      max          = "50ms"
    }
    breaker { enabled = false }
  }`
		}
		return `
server {
  shutdown_timeout = "5s"
}
pipeline "p" {
  source "http" {
    path                  = "/in"
    id_header             = "X-Key"
    allow_unauthenticated = true
  }
  sink "http" "out" { url = env("DEST_URL") }` + extra + `
}`
	}
	env := map[string]string{"DEST_URL": good.url, "FLAKY_URL": flakySrv.URL}
	dir := t.TempDir()
	writeConfig(t, dir, two(true))
	e := loadAndStart(t, dir, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, nil)
	for _, k := range []string{"a", "b", "c"} {
		if st, err := sendKey(http.DefaultClient, e.Addr(), k); err != nil || st != 202 {
			t.Fatalf("send: %d %v", st, err)
		}
	}
	eventually(t, func() bool { return attempts.Load() >= 6 })

	writeConfig(t, dir, two(false))
	res := e.Reload(context.Background())
	if !res.OK || len(res.Removed) != 1 || res.Removed[0] != "p/flaky" {
		t.Fatalf("reload: %+v", res)
	}
	if len(res.Parked) != 1 || res.Parked[0].Pending+res.Parked[0].InFlight != 3 {
		t.Fatalf("parked %+v, want p/flaky with 3 queued", res.Parked)
	}
	depths, err := e.Depths(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var shown bool
	for _, d := range depths {
		if d.Pipeline == "p" && d.Sink == "flaky" && d.Pending+d.InFlight == 3 {
			shown = true
		}
	}
	if !shown {
		t.Errorf("the parked sink's backlog is not in Depths: %+v", depths)
	}
	// Paused: no attempt while the sink is out of the configuration.
	before := attempts.Load()
	// A new event while it is parked is queued for it too.
	if st, err := sendKey(http.DefaultClient, e.Addr(), "d"); err != nil || st != 202 {
		t.Fatalf("send: %d %v", st, err)
	}
	eventually(t, func() bool { return len(good.versions("d")) > 0 })
	time.Sleep(300 * time.Millisecond) // several retry intervals
	if n := attempts.Load(); n != before {
		t.Errorf("%d attempts to a removed sink", n-before)
	}

	healthy.Store(true)
	writeConfig(t, dir, two(true))
	res = e.Reload(context.Background())
	if !res.OK || len(res.Added) != 1 || res.Added[0] != "p/flaky" {
		t.Fatalf("reload adding it back: %+v", res)
	}
	eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(flaky) == 4
	})
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	for k, n := range flaky {
		if n != 1 {
			t.Errorf("%s delivered %d times to the re-added sink", k, n)
		}
	}
}

// TestReloadKeepsUnchangedPlugin: a plugin whose block and binary did
// not change keeps its process across a reload; a rebuilt binary (same
// path, new modification time) is started again, and the old process
// stops.
func TestReloadKeepsUnchangedPlugin(t *testing.T) {
	built, _ := examplePlugin(t)
	// A copy of our own, so that touching it does not disturb others.
	path := filepath.Join(t.TempDir(), "hookferry-plugin-mattermost")
	b, err := os.ReadFile(built)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	dest := newStamped(t)
	cfg := strings.Replace(mattermostConfig(path, "", dest.url), "  sha256 = \"\"\n", "", 1)
	dir := t.TempDir()
	writeConfig(t, dir, cfg)
	e := loadAndStart(t, dir, nil, nil)
	pid := e.Plugins()[0].Pid()

	writeConfig(t, dir, strings.Replace(cfg, `channel     = "ops"`, `channel     = "dev"`, 1))
	res := e.Reload(context.Background())
	if !res.OK || len(res.PluginsReused) != 1 || len(res.PluginsStarted) != 0 {
		t.Fatalf("reload: %+v", res)
	}
	if got := e.Plugins()[0].Pid(); got != pid || !alive(pid) {
		t.Fatalf("plugin pid %d after the reload (alive %v), want %d", got, alive(pid), pid)
	}

	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	res = e.Reload(context.Background())
	if !res.OK || len(res.PluginsStarted) != 1 || len(res.PluginsReused) != 0 {
		t.Fatalf("reload after the binary changed: %+v", res)
	}
	if got := e.Plugins()[0].Pid(); got == pid {
		t.Fatal("the changed binary was not started again")
	}
	eventually(t, func() bool { return !alive(pid) })
}
