package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: any file content yields a configuration or diagnostics, never a
// panic; every error diagnostic of a located problem has a range in a file
// the loader can render.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"../../../configs/*.hcl", "../../testdata/diagnostics/*.hcl"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`pipeline "p" { source "src" { path = "/a" } sink "snk" "x" { url = "http://h/" } }`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "c.hcl")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, diags := Load(p, Options{Components: fakeLookup{}, LookupEnv: func(string) (string, bool) { return "v", true }})
		if cfg == nil {
			t.Fatal("nil config")
		}
		if !diags.HasErrors() && len(cfg.Pipelines) == 0 {
			t.Fatal("no error and no pipeline")
		}
		for _, d := range diags {
			if d.Subject != nil && d.Subject.Filename != p {
				t.Fatalf("diagnostic in an unknown file %q", d.Subject.Filename)
			}
		}
		var sink discard
		_ = WriteDiagnostics(&sink, cfg.Files, diags, 80, false)
	})
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
