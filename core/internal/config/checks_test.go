package config

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/hookferry/hookferry/core/internal/delivery"
)

// realEgress is the policy delivery enforces when connecting.
func realEgress(addr netip.Addr, denyPrivate bool) error {
	return delivery.Egress{DenyPrivate: denyPrivate}.Check(addr)
}

func loadWith(t *testing.T, src string, env map[string]string) (*Config, hcl.Diagnostics, string) {
	t.Helper()
	p := write(t, t.TempDir(), "c.hcl", src)
	cfg, diags := Load(p, Options{Components: fakeLookup{}, CheckEgress: realEgress, LookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
	return cfg, diags, p
}

// errorsAt lists "line: summary" of the error diagnostics ("04: ...").
func errorsAt(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags.Errs() {
		hd := d.(*hcl.Diagnostic)
		line := 0
		if hd.Subject != nil {
			line = hd.Subject.Start.Line
		}
		out = append(out, fmt.Sprintf("%02d: %s", line, hd.Summary))
	}
	return out
}

func TestLoadUsesTheFilesParseRead(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "c.hcl", `
plugin "x" { path = "bin/x" }
pipeline "p" {
  source "src" { path = "/a" }
  sink "snk" "out" { url = "https://example.test/" }
}`)
	parsed, diags := Parse(p, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	// Whatever happens to the file after Parse, the load sees what was
	// read: nothing reads or parses it a second time.
	if err := os.WriteFile(p, []byte("this is { not hcl"), 0o644); err != nil {
		t.Fatal(err)
	}
	decls, diags := parsed.Plugins()
	if diags.HasErrors() || len(decls) != 1 || decls[0].Path != dir+"/bin/x" {
		t.Fatalf("plugins %+v %v", decls, diags)
	}
	cfg, diags := parsed.Load(Options{Components: fakeLookup{}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(cfg.Pipelines) != 1 || len(cfg.Plugins) != 1 || cfg.Files[p] != parsed.Files()[p] {
		t.Fatalf("config %+v", cfg)
	}
}

func TestAdminBlock(t *testing.T) {
	const pipeline = `
pipeline "p" {
  source "src" { path = "/a" }
  sink "snk" "out" { url = "https://example.test/" }
}`
	tests := []struct {
		name, admin string
		env         map[string]string
		listen      string
		token       string
		errs        []string
	}{
		{"no block, no admin API", ``, nil, "", "", nil},
		{"block without listen: loopback default", `admin {}`, nil, DefaultAdminListen, "", nil},
		{"loopback without token", `admin { listen = "127.0.0.1:9" }`, nil, "127.0.0.1:9", "", nil},
		{"localhost without token", `admin { listen = "localhost:9" }`, nil, "localhost:9", "", nil},
		{"ipv6 loopback without token", `admin { listen = "[::1]:9" }`, nil, "[::1]:9", "", nil},
		{"every interface without token", "admin {\n  listen = \":9\"\n}", nil, ":9", "", []string{"03: Admin API open without a token"}},
		{"public address without token", "admin {\n  listen = \"0.0.0.0:9\"\n}", nil, "0.0.0.0:9", "", []string{"03: Admin API open without a token"}},
		{"name without token", "admin {\n  listen = \"admin.example.test:9\"\n}", nil, "admin.example.test:9", "", []string{"03: Admin API open without a token"}},
		{"public address with token", "admin {\n  listen = \"0.0.0.0:9\"\n  token = env(\"HOOKFERRY_ADMIN_TOKEN\")\n}", map[string]string{"HOOKFERRY_ADMIN_TOKEN": "t0ken-t0ken"}, "0.0.0.0:9", "t0ken-t0ken", nil},
		{"empty token", "admin {\n  listen = \"0.0.0.0:9\"\n  token = env(\"HOOKFERRY_ADMIN_TOKEN\")\n}", map[string]string{"HOOKFERRY_ADMIN_TOKEN": ""}, "0.0.0.0:9", "", []string{"03: Admin API open without a token", "04: Empty admin token"}},
		{"no port", "admin {\n  listen = \"127.0.0.1\"\n}", nil, "127.0.0.1", "", []string{"03: Invalid admin listen address"}},
		{"two blocks", "admin {}\nadmin {}", nil, DefaultAdminListen, "", []string{"03: Duplicate admin block"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags, _ := loadWith(t, "\n"+tt.admin+"\n"+pipeline, tt.env)
			got := errorsAt(diags)
			if strings.Join(got, "|") != strings.Join(tt.errs, "|") {
				t.Fatalf("errors %q, want %q", got, tt.errs)
			}
			if cfg.Admin.Listen != tt.listen || cfg.Admin.Token.Reveal() != tt.token {
				t.Fatalf("admin %q token %q", cfg.Admin.Listen, cfg.Admin.Token.Reveal())
			}
		})
	}
}

func TestAdminTokenNeverInDiagnostics(t *testing.T) {
	cfg, diags, _ := loadWith(t, `
admin {
  listen = "0.0.0.0:9"
  token  = ["tok-literal-secret"]
}
pipeline "p" {
  source "src" { path = "/a" }
  sink "snk" "out" { url = "https://example.test/" }
}`, nil)
	if !diags.HasErrors() {
		t.Fatal("a list token must fail")
	}
	var buf strings.Builder
	if err := WriteDiagnostics(&buf, cfg.Files, diags, 100, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "tok-literal-secret") || !strings.Contains(buf.String(), "holds a secret") {
		t.Fatalf("diagnostics:\n%s", buf.String())
	}
}

func TestLoopbackOnly(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:1": true, "127.8.9.1:1": true, "[::1]:1": true, "localhost:1": true, "LOCALHOST:1": true,
		"[::ffff:127.0.0.1]:1": true, ":1": false, "0.0.0.0:1": false, "[::]:1": false, "10.0.0.1:1": false,
		"example.test:1": false,
	} {
		got, err := LoopbackOnly(addr)
		if err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", addr, got, err, want)
		}
	}
	if _, err := LoopbackOnly("127.0.0.1"); err == nil {
		t.Error("an address without a port must be refused")
	}
}

func TestSinkURLsThatCanNeverDeliver(t *testing.T) {
	tests := []struct {
		name, egress, url string
		want              string // summary of the one error at the url line; "" for none
	}{
		{"public name", "", "https://example.test/hook", ""},
		{"loopback allowed by default", "", "http://127.0.0.1:9/hook", ""},
		{"private allowed by default", "", "http://10.1.2.3/hook", ""},
		{"loopback with deny_private", "egress { deny_private = true }", "http://127.0.0.1:9/hook", "Destination refused by the egress policy"},
		{"private with deny_private", "egress { deny_private = true }", "http://10.1.2.3/hook", "Destination refused by the egress policy"},
		{"ipv6 private with deny_private", "egress { deny_private = true }", "http://[fd00::1]/hook", "Destination refused by the egress policy"},
		{"mapped loopback with deny_private", "egress { deny_private = true }", "http://[::ffff:127.0.0.1]/hook", "Destination refused by the egress policy"},
		{"public address with deny_private", "egress { deny_private = true }", "http://93.184.216.34/hook", ""},
		{"names are not resolved", "egress { deny_private = true }", "http://localhost:9/hook", ""},
		{"metadata address always", "", "http://169.254.169.254/latest/meta-data", "Destination refused by the egress policy"},
		{"metadata name always", "", "http://metadata.google.internal/computeMetadata/v1/", "Destination refused by the egress policy"},
		{"user and password", "", "https://user:pw-secret@example.test/hook", "Credentials in a URL"},
		{"user only", "", "https://user@example.test/hook", "Credentials in a URL"},
		{"port zero", "", "https://example.test:0/hook", "Invalid port"},
		{"port too large", "", "https://example.test:65536/hook", "Invalid port"},
		{"credentials and a bad port", "", "https://u:p@example.test:65536/hook", "Credentials in a URL|05: Invalid port"},
		{"not http is the sink's business", "", "ftp://10.0.0.1/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.egress + `
pipeline "p" {
  source "src" { path = "/a" }
  sink "snk" "out" {
    url = env("URL")
  }
}`
			_, diags, p := loadWith(t, src, map[string]string{"URL": tt.url})
			got := errorsAt(diags)
			switch {
			case tt.want == "" && len(got) != 0:
				t.Fatalf("unexpected errors %q", got)
			case tt.want != "" && strings.Join(got, "|") != "05: "+tt.want:
				t.Fatalf("errors %q, want %q at line 5", got, tt.want)
			}
			if tt.want == "" {
				return
			}
			if d := diags.Errs()[0].(*hcl.Diagnostic); d.Subject.Filename != p || strings.Contains(d.Detail, "/hook") || strings.Contains(d.Detail, "pw-secret") {
				t.Fatalf("diagnostic %s: %s", d.Subject, d.Detail)
			}
		})
	}
}

func TestOrderedSinkTakesNoConcurrency(t *testing.T) {
	const tmpl = `pipeline "p" {
  source "src" { path = "/a" }
  sink "snk" "out" {
    url = "https://example.test/"
    ordered = true
    %s
  }
}`
	cfg, diags, _ := loadWith(t, strings.Replace(tmpl, "%s", "", 1), nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if s := cfg.Pipelines[0].Sinks[0]; !s.Ordered || s.Concurrency != 1 {
		t.Fatalf("ordered %v concurrency %d, want true 1", s.Ordered, s.Concurrency)
	}
	_, diags, _ = loadWith(t, strings.Replace(tmpl, "%s", "concurrency = 1", 1), nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	_, diags, _ = loadWith(t, strings.Replace(tmpl, "%s", "concurrency = 8", 1), nil)
	if got := errorsAt(diags); len(got) != 1 || got[0] != "06: ordered contradicts concurrency" {
		t.Fatalf("errors %q", got)
	}
}

// TestUnknownAttributeHidesNoOtherError: an attribute the schema does not
// know is reported, and the block is still decoded and returned, so the
// checks that follow (the component's own, the host's) run too.
func TestUnknownAttributeHidesNoOtherError(t *testing.T) {
	cfg, diags, _ := loadWith(t, `
egress { deny_private = true }
pipeline "p" {
  source "src" {
    path   = "no-slash"
    colour = "blue"
    events = []
  }
  sink "snk" "out" {
    url   = "http://10.0.0.1/"
    bogus = 1
  }
}`, nil)
	want := []string{"05: Invalid path", "06: Unsupported argument", "07: Empty events list", "10: Destination refused by the egress policy", "11: Unsupported argument"}
	if got := errorsAt(diags); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("errors\n got %q\nwant %q", got, want)
	}
	if p := cfg.Pipelines[0]; p.Source == nil || len(p.Sinks) != 1 {
		t.Fatalf("blocks with an unknown attribute were dropped: %+v", p)
	}
}

func TestSecretLineNeverShown(t *testing.T) {
	cfg, diags, _ := loadWith(t, `pipeline "p" {
  source "src" {
    path   = "/a"
    secret = ["hunter2-literal"]
  }
  sink "snk" "out" { url = "https://example.test/" }
}`, nil)
	if got := errorsAt(diags); len(got) != 1 || !strings.HasPrefix(got[0], "04: ") {
		t.Fatalf("errors %q", got)
	}
	var buf strings.Builder
	if err := WriteDiagnostics(&buf, cfg.Files, diags, 100, false); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "hunter2") || !strings.Contains(out, ":4:") || !strings.Contains(out, "holds a secret") {
		t.Fatalf("diagnostics:\n%s", out)
	}
	// A line that holds no secret keeps its snippet.
	_, diags, _ = loadWith(t, `pipeline "p" {
  source "src" { path = "no-slash" }
  sink "snk" "out" { url = "https://example.test/" }
}`, nil)
	buf.Reset()
	_ = WriteDiagnostics(&buf, cfg.Files, diags, 100, false)
	if strings.Contains(buf.String(), "holds a secret") {
		t.Fatalf("snippet hidden without a secret:\n%s", buf.String())
	}
}

func TestJSONDiagnostics(t *testing.T) {
	_, diags, p := loadWith(t, `pipeline "p" {
  source "src" { path = "no-slash" }
  sink "snk" "out" { url = "https://example.test/" }
}`, nil)
	got := JSONDiagnostics(diags)
	if len(got) != 1 {
		t.Fatalf("%+v", got)
	}
	want := JSONDiagnostic{Severity: "error", Summary: "Invalid path", Detail: `"no-slash" must start with '/'.`, File: p, Line: 2, Column: 25, EndLine: 2, EndColumn: 35}
	if got[0] != want {
		t.Fatalf("\n got %+v\nwant %+v", got[0], want)
	}
}

func TestEnvErrorNeverSuggestsASecretDefault(t *testing.T) {
	_, diags, _ := loadWith(t, `pipeline "p" {
  source "src" {
    path   = "/a"
    secret = env("SOURCE_SECRET")
  }
  sink "snk" "out" { url = "https://example.test/" }
}`, nil)
	if len(diags) != 1 {
		t.Fatalf("%v", diags)
	}
	d := diags[0].Detail
	if !strings.Contains(d, "SOURCE_SECRET is not set") || strings.Contains(d, "or give a default") || !strings.Contains(d, "not a secret") {
		t.Fatalf("detail %q", d)
	}
}

// queueTestPipeline is the one pipeline of the queue block's tests.
const queueTestPipeline = `
pipeline "p" {
  source "src" { path = "/a" }
  sink "snk" "out" { url = "https://example.test/" }
}
`

// TestDeliveredRetention: records of delivered events are kept a day by
// default (at most retention), can be set shorter, and a value the store
// cannot honour is refused where it is written.
func TestDeliveredRetention(t *testing.T) {
	for _, c := range []struct {
		queue string
		want  time.Duration
		err   string
	}{
		{``, DefaultDeliveredRetention, ""},
		{`queue {
  delivered_retention = "2h"
}`, 2 * time.Hour, ""},
		{`queue {
  retention    = "6h"
  dedup_window = "1h"
}`, 6 * time.Hour, ""},
		{`queue {
  delivered_retention = "30s"
}`, 0, "02: delivered_retention too short"},
		{`queue {
  delivered_retention = "90s"
  ack_wait            = "1m"
}`, 0, "02: delivered_retention too short"},
		{`queue {
  delivered_retention = "2m"
  ack_wait            = "1m"
}`, 2 * time.Minute, ""},
		{`queue {
  retention           = "2h"
  dedup_window        = "1h"
  delivered_retention = "3h"
}`, 0, "04: delivered_retention longer than retention"},
	} {
		cfg, diags, _ := loadWith(t, c.queue+queueTestPipeline, nil)
		if c.err != "" {
			if got := strings.Join(errorsAt(diags), "; "); got != c.err {
				t.Errorf("%s: errors %q, want %q", c.queue, got, c.err)
			}
			continue
		}
		if diags.HasErrors() {
			t.Fatalf("%s: %v", c.queue, diags)
		}
		if cfg.Queue.DeliveredRetention != c.want {
			t.Errorf("%s: delivered_retention %s, want %s", c.queue, cfg.Queue.DeliveredRetention, c.want)
		}
	}
}

// TestQueueCompress: stored bodies are compressed unless the queue block
// says compress = false; anything but a bool is an error.
func TestQueueCompress(t *testing.T) {
	for _, c := range []struct {
		queue string
		want  bool
		err   bool
	}{
		{``, true, false},
		{"queue {\n  compress = false\n}", false, false},
		{"queue {\n  compress = true\n}", true, false},
		{"queue {\n  compress = \"maybe\"\n}", false, true},
	} {
		cfg, diags, _ := loadWith(t, c.queue+queueTestPipeline, nil)
		if diags.HasErrors() != c.err {
			t.Fatalf("%q: errors %v, want errors: %v", c.queue, diags, c.err)
		}
		if !c.err && cfg.Queue.Compress != c.want {
			t.Errorf("%q: compress %v, want %v", c.queue, cfg.Queue.Compress, c.want)
		}
	}
}

// TestQueueListDelivered: list_delivered takes a whole number of at
// least 1; unset leaves the queue's default (0 here).
func TestQueueListDelivered(t *testing.T) {
	for _, c := range []struct {
		queue string
		want  int
		err   bool
	}{
		{``, 0, false},
		{"queue {\n  list_delivered = 5000\n}", 5000, false},
		{"queue {\n  list_delivered = 0\n}", 0, true},
		{"queue {\n  list_delivered = 2.5\n}", 0, true},
		{"queue {\n  list_delivered = \"many\"\n}", 0, true},
	} {
		cfg, diags, _ := loadWith(t, c.queue+queueTestPipeline, nil)
		if diags.HasErrors() != c.err {
			t.Fatalf("%q: errors %v, want errors: %v", c.queue, diags, c.err)
		}
		if !c.err && cfg.Queue.ListDelivered != c.want {
			t.Errorf("%q: list_delivered %d, want %d", c.queue, cfg.Queue.ListDelivered, c.want)
		}
	}
}
