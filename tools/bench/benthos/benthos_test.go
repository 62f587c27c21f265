package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestBenchBenthosModeDeliversTheJSMessage builds this Benthos and runs
// tools/bench's benthos mode (with forward beside it) the short way, on a
// push whose commits have multi-line messages, markup and non-ASCII
// text. The bench checks the first body each mode delivers against the
// JS mapping and fails the run when a field differs; here every request
// must also be answered 2xx and the ratio printed.
func TestBenchBenthosModeDeliversTheJSMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Benthos and runs the bench")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	dir := t.TempDir()
	bin := filepath.Join(dir, "benthos-ref")
	if out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building Benthos: %v\n%s", err, out)
	}
	body := filepath.Join(dir, "push.json")
	if err := os.WriteFile(body, []byte(`{"ref":"refs/heads/main","compare":"https://example.test/o/r/compare/a...b",
		"pusher":{"name":"ann"},"sender":{"login":"ann-l"},"repository":{"full_name":"o/r"},
		"commits":[{"id":"0123456789abcdef","message":"fix <a&b> \"quoted\"\n\nlong text","author":{"name":"Änne Ünal"}},
		           {"id":"fedcba9876543210","message":"one line","author":{"name":"bo"}},
		           {"id":"abc","message":"","author":{"name":"short id"}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// From the repository's root, in its own workspace (not this one).
	cmd := exec.CommandContext(ctx, gobin, "run", "./tools/bench", "-benthos", bin, "-modes", "forward,benthos", "-smoke", "-body", body)
	cmd.Dir = filepath.Join("..", "..", "..")
	cmd.Env = append(os.Environ(), "GOWORK=")
	out, err := cmd.CombinedOutput()
	text := string(out)
	t.Log("\n" + text)
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	rows := 0
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) > 1 && f[0] == "benthos" && (f[1] == "closed" || f[1] == "open") {
			rows++
			if errs := f[len(f)-1]; errs != "0" {
				t.Errorf("benthos %s: %s errors", f[1], errs)
			}
		}
	}
	if rows != 2 {
		t.Errorf("%d benthos rows, want closed and open", rows)
	}
	if !strings.Contains(text, "benthos delivered/acked") {
		t.Error("no benthos delivered/acked ratio")
	}
}
