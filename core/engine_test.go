package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/internal/corpus"
	"github.com/hookferry/hookferry/plugins/all"
)

// received is one request a destination got.
type received struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// destination is a real HTTP server on loopback that records requests and
// answers with the statuses it is told, in order (then 200).
type destination struct {
	*httptest.Server
	mu       sync.Mutex
	got      []received
	statuses []int
	notify   chan struct{}
}

func newDestination(t *testing.T, statuses ...int) *destination {
	d := &destination{statuses: statuses, notify: make(chan struct{}, 1000)}
	d.Server = newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		d.mu.Lock()
		d.got = append(d.got, received{r.Method, r.URL.Path, r.Header.Clone(), b})
		status := http.StatusOK
		if len(d.statuses) > 0 {
			status, d.statuses = d.statuses[0], d.statuses[1:]
		}
		d.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"status":"recorded"}`))
		d.notify <- struct{}{}
	})
	return d
}

func newTestServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// wait blocks until the destination has seen n requests, or fails.
func (d *destination) wait(t *testing.T, n int) []received {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		d.mu.Lock()
		if len(d.got) >= n {
			out := append([]received(nil), d.got...)
			d.mu.Unlock()
			return out
		}
		d.mu.Unlock()
		select {
		case <-d.notify:
		case <-deadline:
			t.Fatalf("destination saw %d requests, want %d", d.count(), n)
		}
	}
}

func (d *destination) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.got)
}

// startEngine writes files into a temp dir (config.hcl plus any scripts),
// loads and starts an engine on 127.0.0.1:0.
func startEngine(t *testing.T, files map[string]string, env map[string]string) *core.Engine {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lookup := func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
	return loadAndStart(t, dir, lookup, nil)
}

// loadAndStart loads dir/config.hcl with dir/data as data directory,
// starts it on 127.0.0.1:0 (admin API too) and shuts it down at cleanup.
func loadAndStart(t *testing.T, dir string, lookupEnv func(string) (string, bool), log *slog.Logger) *core.Engine {
	t.Helper()
	e, err := core.Load(context.Background(), core.Options{
		ConfigPath:  filepath.Join(dir, "config.hcl"),
		DataDir:     filepath.Join(dir, "data"),
		Components:  all.Definitions(all.Options{Stdout: io.Discard}),
		LookupEnv:   lookupEnv,
		Logger:      log,
		Listen:      "127.0.0.1:0",
		AdminListen: "127.0.0.1:0",
	})
	if err != nil {
		var ce *core.ConfigError
		if errors.As(err, &ce) {
			var buf bytes.Buffer
			_ = ce.Write(&buf, false)
			t.Fatalf("config: %s", buf.String())
		}
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Shutdown(ctx)
	})
	return e
}

func post(t *testing.T, e *core.Engine, path string, body []byte, headers map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+e.Addr()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func waitStats(t *testing.T, e *core.Engine, pipeline, sink string, delivered, failed int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, _, f, ok := e.SinkStats(pipeline, sink)
		if !ok {
			t.Fatalf("no sink %s/%s", pipeline, sink)
		}
		if d == delivered && f == failed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/%s: delivered=%d failed=%d, want %d and %d", pipeline, sink, d, f, delivered, failed)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const githubToSlackJS = `
function transform(event) {
  const b = event.body;
  return {
    text: b.pusher.name + " pushed " + b.commits.length + " commit(s) to " + b.repository.full_name,
    ref: b.ref,
    event: event.headers["x-github-event"],
  };
}
`

// TestEndToEnd carries the real GitHub push payload from a POST through the
// http source, a JS file transform, a sink's inline transform and the http
// sink to a real HTTP server.
func TestEndToEnd(t *testing.T) {
	dest := newDestination(t)
	e := startEngine(t, map[string]string{
		"scripts/gh.js": githubToSlackJS,
		"config.hcl": `
pipeline "github" {
  source "http" {
    path = "/hooks/github"
    type_header = "X-GitHub-Event"
    allow_unauthenticated = true
  }
  transform "javascript" {
    file = "scripts/gh.js"
  }
  sink "http" "chat" {
    url     = env("DEST_URL")
    headers = { "X-Static" = "yes" }
    transform "javascript" {
      code = <<-JS
        function transform(event) {
          return message(event.body, { headers: { "X-Event-Id": event.id, "X-Event-Type": event.type } });
        }
      JS
    }
  }
}`,
	}, map[string]string{"DEST_URL": dest.URL + "/incoming"})

	payload := corpus.Read(t, corpus.GitHubPush)
	status, body := post(t, e, "/hooks/github", payload, map[string]string{
		"Content-Type":    "application/json",
		"X-GitHub-Event":  "push",
		"Idempotency-Key": "delivery-123",
	})
	if status != http.StatusAccepted {
		t.Fatalf("status %d: %s", status, body)
	}
	var ack struct{ ID string }
	if err := json.Unmarshal(body, &ack); err != nil || ack.ID != "delivery-123" {
		t.Fatalf("ack %s: want id delivery-123", body)
	}

	got := dest.wait(t, 1)[0]
	if got.Method != http.MethodPost || got.Path != "/incoming" {
		t.Errorf("request %s %s", got.Method, got.Path)
	}
	if ct := got.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	for k, want := range map[string]string{"X-Static": "yes", "X-Event-Id": "delivery-123", "X-Event-Type": "push"} {
		if v := got.Header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	var out map[string]any
	if err := json.Unmarshal(got.Body, &out); err != nil {
		t.Fatalf("body %s: %v", got.Body, err)
	}
	want := map[string]any{
		"text":  "Codertocat pushed 0 commit(s) to Codertocat/Hello-World",
		"ref":   "refs/tags/simple-tag",
		"event": "push",
	}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("body[%s] = %v, want %v (body %s)", k, out[k], v, got.Body)
		}
	}
	waitStats(t, e, "github", "chat", 1, 0)
}

func TestRetriesThenDelivers(t *testing.T) {
	dest := newDestination(t, 500, 503, 200)
	e := startEngine(t, map[string]string{"config.hcl": `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "out" {
    url = env("DEST_URL")
    retry {
      max_attempts = 5
      initial      = "5ms"
      max          = "20ms"
    }
  }
}`}, map[string]string{"DEST_URL": dest.URL})
	if status, b := post(t, e, "/in", []byte(`{"n":1}`), map[string]string{"Content-Type": "application/json"}); status != 202 {
		t.Fatalf("status %d %s", status, b)
	}
	got := dest.wait(t, 3)
	for i, r := range got {
		if string(r.Body) != `{"n":1}` {
			t.Errorf("attempt %d body %s", i+1, r.Body)
		}
	}
	waitStats(t, e, "p", "out", 1, 0)
	if _, retried, _, _ := e.SinkStats("p", "out"); retried != 2 {
		t.Fatalf("retried = %d, want 2", retried)
	}
}

func TestPermanentErrorIsNotRetried(t *testing.T) {
	dest := newDestination(t, 400, 400, 400)
	e := startEngine(t, map[string]string{"config.hcl": `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "out" {
    url = env("DEST_URL")
    retry { initial = "1ms" }
  }
}`}, map[string]string{"DEST_URL": dest.URL})
	post(t, e, "/in", []byte(`{}`), nil)
	waitStats(t, e, "p", "out", 0, 1)
	if n := dest.count(); n != 1 {
		t.Fatalf("a 400 got %d attempts, want exactly 1", n)
	}
}

func TestOutOfAttempts(t *testing.T) {
	dest := newDestination(t, 500, 500, 500, 500)
	e := startEngine(t, map[string]string{"config.hcl": `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "out" {
    url = env("DEST_URL")
    retry {
      max_attempts = 3
      initial = "1ms"
      max = "2ms"
    }
  }
}`}, map[string]string{"DEST_URL": dest.URL})
	post(t, e, "/in", []byte(`{}`), nil)
	waitStats(t, e, "p", "out", 0, 1)
	if n := dest.count(); n != 3 {
		t.Fatalf("got %d attempts, want max_attempts = 3", n)
	}
}

// TestRunawayScriptIsolated: a script stuck in a loop fails its own event
// after the deadline; the same pipeline and the others keep working.
func TestRunawayScriptIsolated(t *testing.T) {
	dest := newDestination(t)
	e := startEngine(t, map[string]string{"config.hcl": `
pipeline "runaway" {
  source "http" {
    path                  = "/runaway"
    allow_unauthenticated = true
  }
  transform "javascript" {
    timeout = "100ms"
    code = "function transform(e) { if (e.body.loop) { while (true) {} } return {from: 'runaway', n: e.body.n}; }"
  }
  sink "http" "out" { url = env("DEST_URL") }
}

pipeline "healthy" {
  source "http" {
    path                  = "/healthy"
    allow_unauthenticated = true
  }
  transform "javascript" {
    code = "function transform(e) { return {from: 'healthy', n: e.body.n}; }"
  }
  sink "http" "out" { url = env("DEST_URL") }
}`}, map[string]string{"DEST_URL": dest.URL})

	json := map[string]string{"Content-Type": "application/json"}
	for i := range 3 {
		if s, _ := post(t, e, "/runaway", []byte(`{"loop":true}`), json); s != 202 {
			t.Fatalf("runaway post %d: %d", i, s)
		}
	}
	for i := range 5 {
		if s, _ := post(t, e, "/healthy", []byte(`{"n":`+string(rune('0'+i))+`}`), json); s != 202 {
			t.Fatalf("healthy post %d: %d", i, s)
		}
	}
	waitStats(t, e, "healthy", "out", 5, 0)
	waitStats(t, e, "runaway", "out", 0, 3)
	// The runaway pipeline still serves events that do not loop.
	post(t, e, "/runaway", []byte(`{"n":7}`), json)
	waitStats(t, e, "runaway", "out", 1, 3)
	got := dest.wait(t, 6)
	var fromRunaway int
	for _, r := range got {
		if bytes.Contains(r.Body, []byte(`"runaway"`)) {
			fromRunaway++
		}
	}
	if fromRunaway != 1 {
		t.Fatalf("destination got %d runaway messages, want 1", fromRunaway)
	}
}

func TestFanOutIsIndependentPerSink(t *testing.T) {
	good := newDestination(t)
	bad := newDestination(t, 404)
	e := startEngine(t, map[string]string{"config.hcl": `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "bad"  { url = env("BAD") }
  sink "http" "good" { url = env("GOOD") }
}`}, map[string]string{"GOOD": good.URL, "BAD": bad.URL})
	post(t, e, "/in", []byte(`{"x":1}`), nil)
	waitStats(t, e, "p", "good", 1, 0)
	waitStats(t, e, "p", "bad", 0, 1)
}

func TestSplitAndDrop(t *testing.T) {
	dest := newDestination(t)
	e := startEngine(t, map[string]string{"config.hcl": `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  transform "javascript" {
    code = "function transform(e) { if (e.body.skip) return null; return split(e.body.items); }"
  }
  sink "http" "out" { url = env("DEST_URL") }
}`}, map[string]string{"DEST_URL": dest.URL})
	ct := map[string]string{"Content-Type": "application/json"}
	post(t, e, "/in", []byte(`{"skip":true}`), ct)
	post(t, e, "/in", []byte(`{"items":[{"a":1},"two",3]}`), ct)
	waitStats(t, e, "p", "out", 2, 0)
	got := dest.wait(t, 3)
	bodies := []string{string(got[0].Body), string(got[1].Body), string(got[2].Body)}
	if strings.Join(bodies, "|") != `{"a":1}|two|3` {
		t.Fatalf("bodies %q", bodies)
	}
	if got[1].Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("string item content type %q", got[1].Header.Get("Content-Type"))
	}
}

func TestIngressAnswers(t *testing.T) {
	dest := newDestination(t)
	e := startEngine(t, map[string]string{"config.hcl": `
server {
  max_body_size = "1KiB"
}
pipeline "p" {
  source "http" {
    path = "/in"
    token {
      header  = "X-Token"
      secrets = ["old-secret", env("NEW_TOKEN")]
    }
  }
  sink "http" "out" { url = env("DEST_URL") }
}`}, map[string]string{"DEST_URL": dest.URL, "NEW_TOKEN": "new-secret"})

	tests := []struct {
		name   string
		method string
		path   string
		body   []byte
		header map[string]string
		want   int
	}{
		{"unknown path", "POST", "/nope", []byte("{}"), nil, 404},
		{"wrong method", "GET", "/in", nil, nil, 405},
		{"no token", "POST", "/in", []byte("{}"), nil, 401},
		{"wrong token", "POST", "/in", []byte("{}"), map[string]string{"X-Token": "new-secreT"}, 401},
		{"token prefix of a secret", "POST", "/in", []byte("{}"), map[string]string{"X-Token": "new"}, 401},
		{"old token during rotation", "POST", "/in", []byte("{}"), map[string]string{"X-Token": "old-secret"}, 202},
		{"new token", "POST", "/in", []byte("{}"), map[string]string{"X-Token": "new-secret"}, 202},
		{"body over the limit", "POST", "/in", bytes.Repeat([]byte("x"), 2048), map[string]string{"X-Token": "new-secret"}, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, "http://"+e.Addr()+tt.path, bytes.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == 405 && resp.Header.Get("Allow") != "POST" {
				t.Fatalf("Allow %q", resp.Header.Get("Allow"))
			}
		})
	}
	waitStats(t, e, "p", "out", 2, 0)
	for _, r := range dest.wait(t, 2) {
		if r.Header.Get("X-Token") != "" {
			t.Fatal("the inbound token was forwarded")
		}
	}
}
