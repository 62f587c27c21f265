package config

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

// fakeLookup knows one source, one transform and one sink type whose
// schemas cover the shapes the decoder must handle.
type fakeLookup struct{}

var echoNew = func(context.Context, sdk.Config) (sdk.Component, error) { return nil, nil }

func (fakeLookup) Lookup(kind sdk.Kind, name string) (sdk.Definition, bool) {
	switch {
	case kind == sdk.KindSource && name == "src":
		return sdk.Definition{Kind: kind, Name: name, New: echoNew, Schema: schema.Block{
			Attributes: []schema.Attribute{{Name: "secret", Type: schema.String, Sensitive: true}},
		}}, true
	case kind == sdk.KindTransform && name == "tr":
		return sdk.Definition{Kind: kind, Name: name, New: echoNew}, true
	case kind == sdk.KindSink && name == "snk":
		return sdk.Definition{Kind: kind, Name: name, New: echoNew, Schema: schema.Block{
			Attributes: []schema.Attribute{
				{Name: "url", Type: schema.String, Required: true},
				{Name: "count", Type: schema.Number, Default: 3},
				{Name: "tags", Type: schema.List(schema.String), Default: []any{"a"}},
				{Name: "labels", Type: schema.Map(schema.String)},
			},
			Blocks: []schema.NestedBlock{{Name: "auth", Block: schema.Block{
				Attributes: []schema.Attribute{{Name: "token", Type: schema.String, Required: true}},
			}}},
		}}, true
	}
	return sdk.Definition{}, false
}

func (fakeLookup) Names(sdk.Kind) []string { return []string{"src", "tr", "snk"} }

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func load(t *testing.T, path string, env map[string]string) (*Config, hcl.Diagnostics) {
	t.Helper()
	return Load(path, Options{Components: fakeLookup{}, LookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
}

func TestLoadDecodesEverything(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "token.txt", "tok-from-file\n")
	p := write(t, dir, "c.hcl", `
server {
  listen          = "127.0.0.1:9999"
  max_body_size   = "2MiB"
  read_timeout    = "3s"
  max_concurrency = 7
}
pipeline "one" {
  source "src" {
    path   = "/a"
    secret = env("SECRET")
  }
  transform "tr" {}
  transform "tr" {}
  sink "snk" "first" {
    url    = format("http://%s/x", lower("HOST"))
    labels = { k = "v" }
    auth {
      token = trimspace(file("token.txt"))
    }
    concurrency = 2
    transform "tr" {}
    retry {
      max_attempts = 9
      initial      = "1s"
      max          = "1m"
    }
  }
}`)
	cfg, diags := load(t, p, map[string]string{"SECRET": "s3"})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	srv := cfg.Server
	if srv.Listen != "127.0.0.1:9999" || srv.MaxBodySize != 2<<20 || srv.ReadTimeout != 3*time.Second || srv.MaxConcurrency != 7 {
		t.Errorf("server %+v", srv)
	}
	if srv.WriteTimeout != DefaultWriteTimeout || srv.MaxHeaderSize != DefaultMaxHeaderSize {
		t.Errorf("defaults not applied: %+v", srv)
	}
	pl := cfg.Pipelines[0]
	if pl.Source.Path != "/a" || string(pl.Source.Config.Values) != `{"secret":"s3"}` {
		t.Errorf("source %q %s", pl.Source.Path, pl.Source.Config.Values)
	}
	if len(pl.Transforms) != 2 || pl.Transforms[1].Config.Name != "tr#2" {
		t.Errorf("transforms %+v", pl.Transforms)
	}
	s := pl.Sinks[0]
	want := `{"auth":{"token":"tok-from-file"},"count":3,"labels":{"k":"v"},"tags":["a"],"url":"http://host/x"}`
	if string(s.Config.Values) != want {
		t.Errorf("sink values\n got %s\nwant %s", s.Config.Values, want)
	}
	if s.Name != "first" || s.Concurrency != 2 || s.Retry != (Retry{9, time.Second, time.Minute}) || len(s.Transforms) != 1 {
		t.Errorf("sink %+v", s)
	}
	if s.Config.BaseDir != dir || s.Config.Pipeline != "one" {
		t.Errorf("sink config base %q pipeline %q", s.Config.BaseDir, s.Config.Pipeline)
	}
}

func TestLoadFolderMergesFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.hcl", `pipeline "a" {
  source "src" { path = "/a" }
  sink "snk" "x" { url = "http://h/" }
}`)
	write(t, dir, "b.hcl", `pipeline "b" {
  source "src" { path = "/b" }
  sink "snk" "x" { url = "http://h/" }
}`)
	write(t, dir, "ignored.txt", "not hcl")
	cfg, diags := load(t, dir, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(cfg.Pipelines) != 2 || cfg.Pipelines[0].Name != "a" || cfg.Pipelines[1].Name != "b" {
		t.Fatalf("pipelines %v", cfg.Pipelines)
	}
	if cfg.Server.Listen != DefaultListen {
		t.Fatalf("listen %q", cfg.Server.Listen)
	}
}

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"empty folder", "", []string{"No configuration files"}},
		{"env default", `pipeline "p" {
  source "src" { path = env("NOPE", "/fallback") }
  sink "snk" "x" { url = "http://h/" }
}`, nil},
		{"env too many args", `pipeline "p" {
  source "src" { path = env("A", "b", "c") }
  sink "snk" "x" { url = "http://h/" }
}`, []string{"at most one default"}},
		{"bad names", `pipeline "has space" {
  source "src" { path = "/a" }
  sink "snk" "x.y" { url = "http://h/" }
}`, []string{"Invalid pipeline name", "Invalid sink name"}},
		{"two sources and two retry blocks", `pipeline "p" {
  source "src" { path = "/a" }
  source "src" { path = "/b" }
  sink "snk" "x" {
    url = "http://h/"
    retry {}
    retry {}
  }
}`, []string{"Duplicate source", "Duplicate retry block"}},
		{"retry max below initial", `pipeline "p" {
  source "src" { path = "/a" }
  sink "snk" "x" {
    url = "http://h/"
    retry {
      initial = "10s"
      max     = "1s"
    }
  }
}`, []string{"max must not be less than initial"}},
		{"two servers", `server {}
server {}
pipeline "p" {
  source "src" { path = "/a" }
  sink "snk" "x" { url = "http://h/" }
}`, []string{"Duplicate server block"}},
		{"missing nested required", `pipeline "p" {
  source "src" { path = "/a" }
  sink "snk" "x" {
    url = "http://h/"
    auth {}
  }
}`, []string{`The argument "token" is required`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.src != "" {
				write(t, dir, "c.hcl", tt.src)
			}
			_, diags := load(t, dir, nil)
			if len(tt.want) == 0 {
				if diags.HasErrors() {
					t.Fatalf("unexpected: %v", diags)
				}
				return
			}
			var text string
			for _, d := range diags {
				text += " | " + d.Summary + ": " + d.Detail
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("diagnostics %q do not mention %q", text, w)
				}
			}
		})
	}
}

func TestSecretsNeverInDiagnostics(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "c.hcl", `pipeline "p" {
  source "src" {
    path   = "/a"
    secret = env("SECRET")
  }
  sink "snk" "x" {
    url   = env("SECRET")
    count = env("SECRET")
  }
}`)
	cfg, diags := load(t, p, map[string]string{"SECRET": "hunter2-very-secret"})
	if !diags.HasErrors() {
		t.Fatal("count = string should fail")
	}
	var buf strings.Builder
	if err := WriteDiagnostics(&buf, cfg.Files, diags, 100, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "hunter2") {
		t.Fatalf("secret printed in diagnostics:\n%s", buf.String())
	}
}

func TestDiagnoseMapsPositions(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "c.hcl", `pipeline "p" {
  source "src" { path = "/a" }
  sink "snk" "x" {
    url = "http://h/"
    auth {
      token = "t"
    }
    labels = {
      a = "b"
    }
  }
}`)
	cfg, diags := load(t, p, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	comp := &cfg.Pipelines[0].Sinks[0].Component
	tests := []struct {
		d         sdk.Diagnostic
		line, col int
	}{
		{sdk.Diagnostic{Summary: "s", Attribute: "url"}, 4, 5},
		{sdk.Diagnostic{Summary: "s", Attribute: "auth.token"}, 6, 7},
		{sdk.Diagnostic{Summary: "s", Attribute: "url", Line: 1, Column: 8}, 4, 19}, // the 'h' of http://h/
		{sdk.Diagnostic{Summary: "s", Attribute: "no.such"}, 3, 3},
		{sdk.Diagnostic{Summary: "s"}, 3, 3},
	}
	for _, tt := range tests {
		got := cfg.Diagnose(comp, sdk.Diagnostics{tt.d})
		if len(got) != 1 || got[0].Subject == nil {
			t.Fatalf("%+v: %v", tt.d, got)
		}
		if s := got[0].Subject.Start; s.Line != tt.line || s.Column != tt.col {
			t.Errorf("%+v at %d:%d, want %d:%d", tt.d, s.Line, s.Column, tt.line, tt.col)
		}
	}
}

func TestPointInHeredoc(t *testing.T) {
	src := "x {\n  code = <<-JS\n    line one\n      line two\n  JS\n}\n"
	dir := t.TempDir()
	p := write(t, dir, "h.hcl", src)
	c := &Config{Files: map[string]*hcl.File{p: {Bytes: []byte(src)}}}
	start := strings.Index(src, "<<-JS")
	expr := hcl.Range{Filename: p, Start: hcl.Pos{Line: 2, Column: 10, Byte: start}, End: hcl.Pos{Line: 5, Column: 5, Byte: strings.Index(src, "  JS\n}") + 4}}
	r := c.pointInValue(expr, 2, 3) // script line 2 col 3: "line two" after stripping 4 spaces -> "  line two"
	if r.Start.Line != 4 || r.Start.Column != 7 {
		t.Fatalf("at %d:%d, want 4:7", r.Start.Line, r.Start.Column)
	}
	if got := string(src[r.Start.Byte:r.End.Byte]); got != "l" {
		t.Fatalf("points at %q, want the l of line two", got)
	}
}
