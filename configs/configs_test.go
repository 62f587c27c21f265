// Package configs_test loads and validates every example configuration, so
// an example in configs/ can never rot.
package configs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
)

// fakeEnv gives every variable a plausible value, so an example validates
// without real secrets: URLs for *_URL, a well-formed whsec_ key for the
// Standard Webhooks secret, a token otherwise. The OpenTelemetry variables
// (OTEL_*, read by every load) are unset: tracing stays off, as in a shell
// that does not configure it.
func fakeEnv(name string) (string, bool) {
	switch {
	case strings.HasPrefix(name, "OTEL_"):
		return "", false
	case strings.HasSuffix(name, "_URL"):
		return "https://example.test/" + strings.ToLower(name), true
	case name == "STANDARD_WEBHOOKS_SECRET", strings.HasSuffix(name, "_SIGNING_SECRET"):
		return "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true
	}
	return "test-" + strings.ToLower(name), true
}

// TestDemoNeedsNoEnvironment: the demo runs with nothing set.
func TestDemoNeedsNoEnvironment(t *testing.T) {
	_, err := core.Validate(context.Background(), core.Options{
		ConfigPath: "demo.hcl",
		Components: all.Definitions(all.Options{Stdout: io.Discard}),
		LookupEnv:  func(string) (string, bool) { return "", false },
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEveryConfigValidates(t *testing.T) {
	files, err := filepath.Glob("*.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no configs found")
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".test.hcl") {
			continue // hookferry test files: TestEveryTestFilePasses
		}
		t.Run(f, func(t *testing.T) {
			s, err := core.Validate(context.Background(), core.Options{
				ConfigPath: f,
				Components: all.Definitions(all.Options{Stdout: io.Discard}),
				LookupEnv:  fakeEnv,
			})
			var ce *core.ConfigError
			if errors.As(err, &ce) {
				var buf bytes.Buffer
				_ = ce.Write(&buf, false)
				t.Fatalf("%s", buf.String())
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Pipelines == 0 || s.Sinks == 0 {
				t.Fatalf("%s has %d pipelines and %d sinks", f, s.Pipelines, s.Sinks)
			}
		})
	}
}
