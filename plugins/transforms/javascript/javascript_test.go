package javascript

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

func cfg(t testing.TB, values map[string]any) sdk.Config {
	t.Helper()
	b, err := json.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	return sdk.Config{Values: b, BaseDir: "testdata", Pipeline: "p", Name: "javascript#1"}
}

func newT(t testing.TB, code string, extra map[string]any) *Transform {
	t.Helper()
	v := map[string]any{"code": code}
	for k, x := range extra {
		v[k] = x
	}
	tr, err := New(context.Background(), cfg(t, v))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = tr.Close(context.Background()) })
	return tr
}

func jsonMsg(body string) sdk.Message {
	ev := &sdk.Event{
		ID: "evt-1", Type: "push", Source: "http", Pipeline: "p",
		ReceivedAt: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC),
		Header:     sdk.Header{"x-github-event": {"push"}, "x-multi": {"a", "b"}},
		Body:       []byte(body), ContentType: "application/json",
	}
	return sdk.MessageFromEvent(ev)
}

func TestTransformContract(t *testing.T) {
	tests := []struct {
		name     string
		code     string
		body     string
		wantN    int
		wantBody []string
		wantCT   []string
		wantHdr  map[string]string
	}{
		{
			name:     "map to new body",
			code:     `function transform(e) { return {n: e.body.number + 1, action: e.body.action}; }`,
			body:     `{"number": 41, "action": "opened"}`,
			wantN:    1,
			wantBody: []string{`{"n":42,"action":"opened"}`},
			wantCT:   []string{sdk.ContentTypeJSON},
		},
		{
			name:     "event fields and lower-case headers",
			code:     `function transform(e) { return [e.id, e.type, e.source, e.pipeline, e.received_at, e.headers["x-github-event"], e.headers["x-multi"]]; }`,
			body:     `{}`,
			wantN:    1,
			wantBody: []string{`["evt-1","push","http","p","2026-11-26T12:00:00Z","push","a, b"]`},
			wantCT:   []string{sdk.ContentTypeJSON},
		},
		{
			name:  "null drops",
			code:  `function transform(e) { return null; }`,
			body:  `{}`,
			wantN: 0,
		},
		{
			name:  "undefined drops",
			code:  `function transform(e) { }`,
			body:  `{}`,
			wantN: 0,
		},
		{
			name:     "a string is sent as text",
			code:     `function transform(e) { return "hello " + e.body.who; }`,
			body:     `{"who": "world"}`,
			wantN:    1,
			wantBody: []string{"hello world"},
			wantCT:   []string{sdk.ContentTypeText},
		},
		{
			name:     "an array body is one message, not a split",
			code:     `function transform(e) { return [1, 2, 3]; }`,
			body:     `{}`,
			wantN:    1,
			wantBody: []string{`[1,2,3]`},
			wantCT:   []string{sdk.ContentTypeJSON},
		},
		{
			name:     "split gives one message per item, nulls skipped",
			code:     `function transform(e) { return split(e.body.items.map(i => i.keep ? {id: i.id} : null)); }`,
			body:     `{"items": [{"id": 1, "keep": true}, {"id": 2}, {"id": 3, "keep": true}]}`,
			wantN:    2,
			wantBody: []string{`{"id":1}`, `{"id":3}`},
			wantCT:   []string{sdk.ContentTypeJSON, sdk.ContentTypeJSON},
		},
		{
			name:     "message sets outbound headers",
			code:     `function transform(e) { return message({ok: true}, {headers: {"X-Trace": e.id}}); }`,
			body:     `{}`,
			wantN:    1,
			wantBody: []string{`{"ok":true}`},
			wantCT:   []string{sdk.ContentTypeJSON},
			wantHdr:  map[string]string{"x-trace": "evt-1"},
		},
		{
			name:     "split of messages and plain bodies",
			code:     `function transform(e) { return split([message("a", {headers: {"x-n": "1"}}), "b"]); }`,
			body:     `{}`,
			wantN:    2,
			wantBody: []string{"a", "b"},
			wantCT:   []string{sdk.ContentTypeText, sdk.ContentTypeText},
		},
		{
			name:     "mutating the body in place",
			code:     `function transform(e) { e.body.list.push(3); delete e.body.drop; e.body.added = true; return e.body; }`,
			body:     `{"list": [1, 2], "drop": 1, "z": 0}`,
			wantN:    1,
			wantBody: []string{`{"list":[1,2,3],"z":0,"added":true}`},
			wantCT:   []string{sdk.ContentTypeJSON},
		},
		{
			name:     "__proto__ in JSON is a plain own key",
			code:     `function transform(e) { return {own: Object.keys(e.body), polluted: ({}).hacked === 1}; }`,
			body:     `{"__proto__": {"hacked": 1}}`,
			wantN:    1,
			wantBody: []string{`{"own":["__proto__"],"polluted":false}`},
			wantCT:   []string{sdk.ContentTypeJSON},
		},
	}
	for _, tt := range tests {
		for _, inJS := range []bool{false, true} {
			name := tt.name + "/decode_go"
			if inJS {
				name = tt.name + "/decode_js"
			}
			t.Run(name, func(t *testing.T) {
				tr := newT(t, tt.code, nil)
				tr.SetDecodeInJS(inJS)
				out, err := tr.Transform(context.Background(), jsonMsg(tt.body))
				if err != nil {
					t.Fatalf("Transform: %v", err)
				}
				if len(out) != tt.wantN {
					t.Fatalf("got %d messages, want %d: %+v", len(out), tt.wantN, out)
				}
				for i, m := range out {
					if string(m.Body) != tt.wantBody[i] {
						t.Errorf("message %d body = %s, want %s", i, m.Body, tt.wantBody[i])
					}
					if m.ContentType != tt.wantCT[i] {
						t.Errorf("message %d content type = %q, want %q", i, m.ContentType, tt.wantCT[i])
					}
					if m.Event == nil || m.Event.ID != "evt-1" {
						t.Errorf("message %d lost its event", i)
					}
					for k, v := range tt.wantHdr {
						if got := m.Header.Get(k); got != v {
							t.Errorf("message %d header %s = %q, want %q", i, k, got, v)
						}
					}
				}
			})
		}
	}
}

func TestNonJSONBodyIsText(t *testing.T) {
	tr := newT(t, `function transform(e) { return typeof e.body + ":" + e.body; }`, nil)
	m := sdk.MessageFromEvent(&sdk.Event{ID: "x", Body: []byte("a=1&b=2"), ContentType: "application/x-www-form-urlencoded"})
	out, err := tr.Transform(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out[0].Body); got != "string:a=1&b=2" {
		t.Fatalf("body = %q", got)
	}
	// Declared JSON that is not JSON also arrives as text, not an error.
	out, err = tr.Transform(context.Background(), jsonMsg(`{not json`))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out[0].Body); got != "string:{not json" {
		t.Fatalf("body = %q", got)
	}
}

func TestChainedHeadersMerge(t *testing.T) {
	first := newT(t, `function transform(e) { return message(e.body, {headers: {"x-a": "1", "x-b": "1"}}); }`, nil)
	second := newT(t, `function transform(e) { return message(e.body, {headers: {"x-b": "2"}}); }`, nil)
	out, err := first.Transform(context.Background(), jsonMsg(`{"k":1}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err = second.Transform(context.Background(), out[0])
	if err != nil {
		t.Fatal(err)
	}
	if a, b := out[0].Header.Get("x-a"), out[0].Header.Get("x-b"); a != "1" || b != "2" {
		t.Fatalf("headers x-a=%q x-b=%q, want 1 and 2", a, b)
	}
}

func TestScriptErrors(t *testing.T) {
	tests := []struct {
		name string
		code string
		want string
	}{
		{"exception has file line col", "function transform(e) {\n  return e.body.nope.deeper;\n}", "inline:p/javascript#1:2:"},
		{"thrown error message", `function transform(e) { throw new Error("boom"); }`, "boom"},
		{"function is not JSON", `function transform(e) { return function() {}; }`, "JSON cannot represent"},
		{"forbidden header", `function transform(e) { return message({}, {headers: {"Host": "evil"}}); }`, `header "Host" cannot be set`},
		{"split needs an array", `function transform(e) { return split("x"); }`, "split() takes an array"},
		{"nested split", `function transform(e) { return split([split([1])]); }`, "itself a split()"},
		{"deep recursion is capped", `function f(n) { return f(n + 1) + 1; } function transform(e) { return f(0); }`, "stack"},
		{"no require", `function transform(e) { return require("fs"); }`, "require is not defined"},
		{"no process", `function transform(e) { return process.env; }`, "process is not defined"},
		{"no timers", `function transform(e) { setTimeout(function(){}, 1); }`, "setTimeout is not defined"},
		{"no fetch", `function transform(e) { return fetch("http://127.0.0.1/"); }`, "fetch is not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newT(t, tt.code, nil)
			_, err := tr.Transform(context.Background(), jsonMsg(`{}`))
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not mention %q", err, tt.want)
			}
			if !sdk.IsPermanent(err) {
				t.Fatalf("script error %q should be permanent", err)
			}
		})
	}
}

func TestScriptFileErrorPosition(t *testing.T) {
	tr, err := New(context.Background(), cfg(t, map[string]any{"file": "throws.js"}))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close(context.Background())
	_, err = tr.Transform(context.Background(), jsonMsg(`{}`))
	want := filepath.Join("testdata", "throws.js") + ":2:"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want position %s", err, want)
	}
}

func TestRunawayScriptIsStoppedAndPoolRecovers(t *testing.T) {
	tr := newT(t, `function transform(e) { if (e.body.loop) { while (true) {} } return {ok: true}; }`,
		map[string]any{"timeout": "50ms", "pool_size": 1})
	start := time.Now()
	_, err := tr.Transform(context.Background(), jsonMsg(`{"loop": true}`))
	if err == nil || !strings.Contains(err.Error(), "still running after 50ms") {
		t.Fatalf("runaway: err = %v", err)
	}
	if !sdk.IsPermanent(err) {
		t.Fatal("a runaway script is the script's fault: permanent")
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("runaway script took %s to stop", el)
	}
	// The single runtime was replaced: the next call works.
	out, err := tr.Transform(context.Background(), jsonMsg(`{}`))
	if err != nil || string(out[0].Body) != `{"ok":true}` {
		t.Fatalf("after runaway: out=%v err=%v", out, err)
	}
}

func TestCallerCancellationIsNotPermanent(t *testing.T) {
	tr := newT(t, `function transform(e) { while (true) {} }`, map[string]any{"timeout": "10s"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := tr.Transform(ctx, jsonMsg(`{}`))
	if err == nil || sdk.IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want the caller's context error, retryable", err)
	}
}

func TestTopLevelLoopFailsLoad(t *testing.T) {
	_, err := New(context.Background(), cfg(t, map[string]any{"code": "while(true){}\nfunction transform(e){}", "timeout": "50ms"}))
	if err == nil || !strings.Contains(err.Error(), "top-level code still running") {
		t.Fatalf("err = %v", err)
	}
}

func TestConfigDiagnostics(t *testing.T) {
	tests := []struct {
		name     string
		values   map[string]any
		attr     string
		file     string
		line     int
		col      int
		contains string
	}{
		{"neither code nor file", map[string]any{}, "", "", 0, 0, "Exactly one of code and file"},
		{"both code and file", map[string]any{"code": "x", "file": "y"}, "", "", 0, 0, "Exactly one of code and file"},
		{"bad timeout", map[string]any{"code": "function transform(e){}", "timeout": "soon"}, "timeout", "", 0, 0, "Invalid timeout"},
		{"bad pool", map[string]any{"code": "function transform(e){}", "pool_size": 0}, "pool_size", "", 0, 0, "Invalid pool_size"},
		{"missing file", map[string]any{"file": "nope.js"}, "file", "", 0, 0, "Cannot read script"},
		{"no transform function", map[string]any{"code": "function other(e){}"}, "code", "", 0, 0, "does not define function transform"},
		{"inline syntax error", map[string]any{"code": "function transform(e) {\n  return {a: };\n}"}, "code", "", 2, 14, "syntax error"},
		{"file syntax error", map[string]any{"file": "syntax.js"}, "file", filepath.Join("testdata", "syntax.js"), 5, 3, "syntax error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(context.Background(), cfg(t, tt.values))
			var ds sdk.Diagnostics
			if !errors.As(err, &ds) || len(ds) != 1 {
				t.Fatalf("err = %v, want one sdk.Diagnostic", err)
			}
			d := ds[0]
			if !strings.Contains(d.Summary, tt.contains) && !strings.Contains(d.Detail, tt.contains) {
				t.Errorf("diagnostic %+v does not mention %q", d, tt.contains)
			}
			if d.Attribute != tt.attr || d.File != tt.file || d.Line != tt.line || d.Column != tt.col {
				t.Errorf("diagnostic at attr=%q file=%q %d:%d, want attr=%q file=%q %d:%d",
					d.Attribute, d.File, d.Line, d.Column, tt.attr, tt.file, tt.line, tt.col)
			}
		})
	}
}

func TestConsoleGoesToLogWithEventID(t *testing.T) {
	var buf bytes.Buffer
	c := cfg(t, map[string]any{"code": `function transform(e) { console.log("seen", e.body, 3); console.error("bad"); return null; }`})
	c.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tr, err := New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close(context.Background())
	if _, err := tr.Transform(context.Background(), jsonMsg(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 log lines, got %q", buf.String())
	}
	var first struct {
		Level, Msg, Pipeline, Script string
		EventID                      string `json:"event_id"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.Msg != `console: seen {"a":1} 3` || first.EventID != "evt-1" || first.Pipeline != "p" || first.Level != "INFO" {
		t.Fatalf("log line = %s", lines[0])
	}
	if !strings.Contains(lines[1], `"level":"ERROR"`) {
		t.Fatalf("console.error line = %s", lines[1])
	}
}

func TestConcurrentCallsShareNothing(t *testing.T) {
	// Each call sees only its own event, even with global state in the
	// script and more callers than runtimes.
	tr := newT(t, `var last; function transform(e) { last = e.body.n; for (let i = 0; i < 1000; i++) {} return {n: last}; }`,
		map[string]any{"pool_size": 3})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Go(func() {
			body := `{"n":` + strings.Repeat("1", 1+i%5) + `}`
			out, err := tr.Transform(context.Background(), jsonMsg(body))
			if err != nil {
				errs <- err
				return
			}
			if string(out[0].Body) != body {
				errs <- errors.New("got " + string(out[0].Body) + " for " + body)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
