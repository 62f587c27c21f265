// Package configs_test loads and validates every example configuration, so
// an example in configs/ can never rot.
package configs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/hookbridge/hookbridge/core"
	"github.com/hookbridge/hookbridge/plugins/all"
)

func TestEveryConfigValidates(t *testing.T) {
	files, err := filepath.Glob("*.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no configs found")
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			// No environment: every example must validate with its
			// env() defaults, the way a newcomer first runs it.
			s, err := core.Validate(context.Background(), core.Options{
				ConfigPath: f,
				Components: all.Definitions(all.Options{Stdout: io.Discard}),
				LookupEnv:  func(string) (string, bool) { return "", false },
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
