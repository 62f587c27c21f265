package testrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/hookferry/hookferry/sdk"
)

// Pipeline is a built pipeline as the runner needs it: its source, the
// events filter, and the delivery side's transforms and sinks. The engine
// builds it from a configuration exactly as `run` does; nothing is sent.
type Pipeline struct {
	Name       string
	SourceType string
	Path       string
	Source     sdk.Source
	// Wants is the events filter.
	Wants func(eventType string) bool
	// Process runs the pipeline's and one sink's transforms on an event
	// and renders every resulting message, as a delivery attempt would,
	// without sending.
	Process func(ctx context.Context, sink string, ev *sdk.Event) ([]Rendered, error)
	Sinks   []string
}

// Rendered is one outbound request a sink rendered (or, for a sink that is
// not HTTP, the message it would have delivered).
type Rendered struct {
	Outbound *sdk.Outbound
	Message  *sdk.Message
}

// Loaded is a configuration built for offline runs.
type Loaded struct {
	Pipelines []*Pipeline
	// Console returns and forgets the log lines components wrote (a
	// script's console.log) since the last call.
	Console func() []string
	Close   func()
}

// Loader builds a configuration for offline runs with env() answered from
// env alone. A configuration error is returned with its diagnostics.
type Loader func(ctx context.Context, configPath string, env map[string]string) (*Loaded, error)

// Options control a run.
type Options struct {
	Load Loader
	// Update rewrites golden files instead of comparing them.
	Update bool
	// Now is the time requests are received at (tests use a fixed one);
	// zero means the wall clock, which signature windows need.
	Now func() time.Time
}

// Result is one case's outcome.
type Result struct {
	File     string        `json:"file"`
	Case     string        `json:"case"`
	Line     int           `json:"line"`
	Passed   bool          `json:"passed"`
	Failures []string      `json:"failures,omitempty"`
	Diff     string        `json:"diff,omitempty"`
	Console  []string      `json:"console,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	Updated  []string      `json:"updated,omitempty"`
}

// FileError is a test file or configuration that could not be loaded: all
// of its cases fail with it.
type FileError struct {
	File  string
	Err   error
	Diags hcl.Diagnostics
	Files map[string]*hcl.File
}

func (e *FileError) Error() string {
	if len(e.Diags) > 0 {
		return e.Diags.Error()
	}
	return e.Err.Error()
}

// Run runs every case of every test file.
func Run(ctx context.Context, paths []string, opts Options) ([]Result, []*FileError) {
	files, err := Find(paths)
	if err != nil {
		return nil, []*FileError{{Err: err}}
	}
	if len(files) == 0 {
		return nil, []*FileError{{Err: fmt.Errorf("no %s files under %s", Suffix, strings.Join(paths, ", "))}}
	}
	var results []Result
	var ferrs []*FileError
	parser := hclparse.NewParser()
	for _, path := range files {
		f, diags := Parse(parser, path)
		if diags.HasErrors() {
			ferrs = append(ferrs, &FileError{File: path, Diags: diags, Files: parser.Files()})
			continue
		}
		rs, ferr := runFile(ctx, f, opts)
		if ferr != nil {
			ferrs = append(ferrs, ferr)
		}
		results = append(results, rs...)
	}
	return results, ferrs
}

func runFile(ctx context.Context, f *File, opts Options) ([]Result, *FileError) {
	dir := filepath.Dir(f.Path)
	cfgPath := dir
	if f.Config != "" {
		cfgPath = filepath.Join(dir, f.Config)
	}
	loaded, err := opts.Load(ctx, cfgPath, f.Env)
	if err != nil {
		return nil, &FileError{File: f.Path, Err: fmt.Errorf("%s: configuration %s: %w", f.Path, cfgPath, err)}
	}
	defer loaded.Close()
	var out []Result
	for _, c := range f.Cases {
		start := time.Now()
		r := runCase(ctx, f, c, loaded, opts)
		r.Duration = time.Since(start)
		r.Console = append(r.Console, loaded.Console()...)
		out = append(out, r)
	}
	return out, nil
}

func runCase(ctx context.Context, f *File, c *Case, l *Loaded, opts Options) (res Result) {
	res = Result{File: f.Path, Case: c.Name, Line: c.Range.Start.Line}
	fail := func(format string, a ...any) { res.Failures = append(res.Failures, fmt.Sprintf(format, a...)) }
	defer func() { res.Passed = len(res.Failures) == 0 }()

	p, err := pick(l.Pipelines, c.Pipeline)
	if err != nil {
		fail("%v", err)
		return res
	}
	req, err := buildRequest(f, c, p, opts)
	if err != nil {
		fail("%v", err)
		return res
	}
	if c.Request.Sign {
		signer, ok := sdk.As[sdk.Signer](p.Source)
		if !ok {
			fail("sign = true, but source %q cannot sign requests", p.SourceType)
			return res
		}
		if err := signer.Sign(req); err != nil {
			fail("signing: %v", err)
			return res
		}
	}

	status, outcome, ev := receive(ctx, p, req)
	if c.Expect.Status != 0 && status != c.Expect.Status {
		fail("source answered %d, want %d", status, c.Expect.Status)
	}
	if outcome != c.Expect.Outcome {
		fail("outcome %s (status %d), want %s", outcome, status, c.Expect.Outcome)
	}

	outputs := map[string][]Rendered{}
	sinkErr := map[string]error{}
	if ev != nil {
		for _, s := range p.Sinks {
			rs, err := p.Process(ctx, s, ev)
			outputs[s], sinkErr[s] = rs, err
		}
	}
	for name, se := range c.Sinks {
		if !contains(p.Sinks, name) {
			fail("pipeline %q has no sink %q (it has %s)", p.Name, name, strings.Join(p.Sinks, ", "))
			continue
		}
		err := sinkErr[name]
		switch {
		case se.Error != "" && err == nil:
			fail("sink %s: want an error containing %q, got %d message(s)", name, se.Error, len(outputs[name]))
		case se.Error != "" && !strings.Contains(err.Error(), se.Error):
			fail("sink %s: error %q does not contain %q", name, err.Error(), se.Error)
		case se.Error == "" && err != nil:
			fail("sink %s: %v", name, err)
		}
		if se.Messages >= 0 && err == nil && len(outputs[name]) != se.Messages {
			fail("sink %s: %d message(s), want %d", name, len(outputs[name]), se.Messages)
		}
		if se.Golden != "" && err == nil {
			got := golden(outputs[name], f.Env, req.ReceivedAt)
			path := filepath.Join(filepath.Dir(f.Path), se.Golden)
			if opts.Update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					fail("golden: %v", err)
				} else if err := os.WriteFile(path, got, 0o644); err != nil {
					fail("golden: %v", err)
				} else {
					res.Updated = append(res.Updated, path)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				fail("sink %s: golden file %s: %v (run with --update to write it)", name, se.Golden, err)
				continue
			}
			if !bytes.Equal(want, got) {
				fail("sink %s: rendered requests differ from %s", name, se.Golden)
				res.Diff += Diff(se.Golden+" (want)", "rendered (got)", string(want), string(got))
			}
		}
	}
	// Without expectations for a sink, an error there still fails the
	// case: it would fail in production.
	for _, s := range p.Sinks {
		if _, named := c.Sinks[s]; !named && sinkErr[s] != nil {
			fail("sink %s: %v", s, sinkErr[s])
		}
	}
	sinkFailed := false
	for _, err := range sinkErr {
		sinkFailed = sinkFailed || err != nil
	}
	if len(c.Asserts) > 0 && sinkFailed {
		fail("%d assert(s) not evaluated: a sink produced no output", len(c.Asserts))
	} else if len(c.Asserts) > 0 {
		vars := variables(status, ev, outputs)
		for _, a := range c.Asserts {
			v, diags := a.Condition.Value(&hcl.EvalContext{Variables: vars, Functions: functions()})
			switch {
			case diags.HasErrors():
				fail("%s:%d: assert: %s", a.Range.Filename, a.Range.Start.Line, diags.Error())
			case v.IsNull() || !v.IsKnown() || v.Type() != cty.Bool:
				fail("%s:%d: assert: condition is not a boolean", a.Range.Filename, a.Range.Start.Line)
			case v.False():
				fail("%s:%d: %s", a.Range.Filename, a.Range.Start.Line, a.ErrorMessage)
			}
		}
	}
	return res
}

func pick(ps []*Pipeline, name string) (*Pipeline, error) {
	if name == "" {
		if len(ps) == 1 {
			return ps[0], nil
		}
		names := make([]string, len(ps))
		for i, p := range ps {
			names[i] = p.Name
		}
		return nil, fmt.Errorf("the configuration has %d pipelines (%s): name one with pipeline = \"...\"", len(ps), strings.Join(names, ", "))
	}
	for _, p := range ps {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no pipeline %q in the configuration", name)
}

func buildRequest(f *File, c *Case, p *Pipeline, opts Options) (*sdk.Request, error) {
	body := c.Request.Body
	if c.Request.BodyFile != "" {
		path := c.Request.BodyFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(f.Path), path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("body_file: %w", err)
		}
		body = b
	}
	h := sdk.Header{}
	for k, v := range c.Request.Headers {
		h.Set(k, v)
	}
	if h.Get("content-type") == "" && json.Valid(body) {
		h.Set("content-type", "application/json")
	}
	path := c.Request.Path
	if path == "" {
		path = p.Path
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	return &sdk.Request{Method: strings.ToUpper(c.Request.Method), Path: path, Header: h, Body: body, RemoteAddr: "127.0.0.1:0", ReceivedAt: now().UTC()}, nil
}

// receive runs the source step as the ingress does: verification,
// handshakes, the events filter. It returns the status the sender would
// get, the outcome, and the event that would be stored.
func receive(ctx context.Context, p *Pipeline, req *sdk.Request) (int, string, *sdk.Event) {
	methods := []string{http.MethodPost}
	if lister, ok := sdk.As[sdk.MethodLister](p.Source); ok {
		methods = lister.Methods()
	}
	if !contains(methods, req.Method) {
		return http.StatusMethodNotAllowed, "rejected", nil
	}
	rec, err := p.Source.Receive(ctx, req)
	if err != nil {
		var rej *sdk.RejectError
		if errors.As(err, &rej) {
			return rej.Status, "rejected", nil
		}
		return http.StatusInternalServerError, "rejected", nil
	}
	if rec.Event == nil {
		if rec.Reply != nil {
			return rec.Reply.StatusCode, "reply", nil
		}
		return http.StatusNoContent, "reply", nil
	}
	ev := rec.Event
	if p.Wants != nil && !p.Wants(ev.Type) {
		return http.StatusOK, "filtered", nil
	}
	ev.Pipeline = p.Name
	if ev.Source == "" {
		ev.Source = p.SourceType
	}
	if ev.ReceivedAt.IsZero() {
		ev.ReceivedAt = req.ReceivedAt
	}
	status := http.StatusAccepted
	if rec.Reply != nil {
		status = rec.Reply.StatusCode
	}
	return status, "accepted", ev
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// golden renders a sink's outputs as stable, readable JSON: method, URL
// and headers with the test's secret values replaced by their names, the
// per-attempt signature headers masked, and JSON bodies normalised.
func golden(rs []Rendered, env map[string]string, receivedAt time.Time) []byte {
	type request struct {
		Method  string            `json:"method,omitempty"`
		URL     string            `json:"url,omitempty"`
		Headers map[string]string `json:"headers,omitempty"`
		Body    any               `json:"body"`
	}
	out := make([]request, 0, len(rs))
	for _, r := range rs {
		var rq request
		var hdr sdk.Header
		var body []byte
		var ct string
		if r.Outbound != nil {
			rq.Method, rq.URL = r.Outbound.Method, redact(redactURL(r.Outbound.URL), env)
			hdr, body, ct = r.Outbound.Header, r.Outbound.Body, r.Outbound.Header.Get("content-type")
		} else if r.Message != nil {
			hdr, body, ct = r.Message.Header, r.Message.Body, r.Message.ContentType
		}
		if len(hdr) > 0 {
			rq.Headers = map[string]string{}
			for k, v := range hdr {
				rq.Headers[k] = redactHeader(k, strings.Join(v, ", "), env)
			}
		}
		rq.Body = maskTime(normaliseBody(body, ct), receivedAt)
		out = append(out, rq)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
	return buf.Bytes()
}

// volatile headers change on every render (a signing time, a signature
// over it): the golden file shows that they are there, not their value.
var volatile = map[string]bool{"webhook-timestamp": true, "webhook-signature": true, "traceparent": true, "tracestate": true}

var sensitive = map[string]bool{"authorization": true, "proxy-authorization": true, "cookie": true, "x-api-key": true}

func redactHeader(name, value string, env map[string]string) string {
	switch {
	case volatile[name]:
		return "<varies>"
	case sensitive[name]:
		return "<redacted>"
	}
	return redact(value, env)
}

// redact replaces every env value the test file gave (its stand-in
// secrets) with ${NAME}, so goldens carry no secret and do not change when
// the stand-in does.
func redact(s string, env map[string]string) string {
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	// Longest values first, so a value containing another is replaced
	// whole.
	sort.Slice(names, func(i, j int) bool { return len(env[names[i]]) > len(env[names[j]]) })
	for _, k := range names {
		if v := env[k]; len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "${"+k+"}")
		}
	}
	return s
}

// redactURL hides userinfo and query values whatever the test gave.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if u.User != nil {
		u.User = url.User("redacted")
	}
	q := u.Query()
	for k := range q {
		if k == "token" || k == "key" || k == "secret" || k == "sig" || k == "signature" || k == "access_token" {
			q.Set(k, "redacted")
		}
	}
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// maskTime replaces the case's receipt time, which changes on every run,
// wherever a script copied it into the body (event.received_at).
func maskTime(v any, t time.Time) any {
	switch x := v.(type) {
	case string:
		if x == t.Format(time.RFC3339Nano) || x == t.Format(time.RFC3339) {
			return "<received_at>"
		}
	case map[string]any:
		for k, e := range x {
			x[k] = maskTime(e, t)
		}
	case []any:
		for i, e := range x {
			x[i] = maskTime(e, t)
		}
	}
	return v
}

func normaliseBody(b []byte, contentType string) any {
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) && (contentType == "" || strings.Contains(contentType, "json")) {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var v any
		if d.Decode(&v) == nil {
			return v
		}
	}
	return string(b)
}

// variables are what assert conditions see: sink.NAME[i].body (parsed
// JSON), .text (the raw body), .method, .url, .headers; response.status;
// event.id, event.type.
func variables(status int, ev *sdk.Event, outputs map[string][]Rendered) map[string]cty.Value {
	sinks := map[string]cty.Value{}
	for name, rs := range outputs {
		vals := make([]cty.Value, 0, len(rs))
		for _, r := range rs {
			var method, u, text string
			hdr := map[string]cty.Value{}
			var h sdk.Header
			var body []byte
			if r.Outbound != nil {
				method, u, h, body = r.Outbound.Method, r.Outbound.URL, r.Outbound.Header, r.Outbound.Body
			} else if r.Message != nil {
				h, body = r.Message.Header, r.Message.Body
			}
			for k, v := range h {
				hdr[k] = cty.StringVal(strings.Join(v, ", "))
			}
			text = string(body)
			bodyVal := cty.StringVal(text)
			if json.Valid(body) {
				if t, err := ctyjson.ImpliedType(body); err == nil {
					if v, err := ctyjson.Unmarshal(body, t); err == nil {
						bodyVal = v
					}
				}
			}
			headers := cty.EmptyObjectVal
			if len(hdr) > 0 {
				headers = cty.ObjectVal(hdr)
			}
			vals = append(vals, cty.ObjectVal(map[string]cty.Value{
				"method": cty.StringVal(method), "url": cty.StringVal(u), "headers": headers,
				"body": bodyVal, "text": cty.StringVal(text),
			}))
		}
		if len(vals) == 0 {
			sinks[name] = cty.EmptyTupleVal
		} else {
			sinks[name] = cty.TupleVal(vals)
		}
	}
	event := cty.NullVal(cty.Object(map[string]cty.Type{"id": cty.String, "type": cty.String}))
	if ev != nil {
		event = cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(ev.ID), "type": cty.StringVal(ev.Type)})
	}
	sinkObj := cty.EmptyObjectVal
	if len(sinks) > 0 {
		sinkObj = cty.ObjectVal(sinks)
	}
	return map[string]cty.Value{
		"sink":     sinkObj,
		"response": cty.ObjectVal(map[string]cty.Value{"status": cty.NumberIntVal(int64(status))}),
		"event":    event,
	}
}
