package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the corpus folder. It looks for HOOKBRIDGE_CORPUS, then for
// shared/corpus beside the module root. A test that needs the corpus fails
// (not skips) without it: CI always has it.
func Dir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("HOOKBRIDGE_CORPUS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			c := filepath.Join(filepath.Dir(dir), "shared", "corpus")
			if _, err := os.Stat(c); err != nil {
				tb.Fatalf("payload corpus not found at %s (set HOOKBRIDGE_CORPUS): %v", c, err)
			}
			return c
		}
		if filepath.Dir(dir) == dir {
			tb.Fatal("go.mod not found above " + wd)
		}
	}
}

// Read returns the bytes of a corpus file, path relative to the corpus.
func Read(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(tb), rel))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// GitHubPush is the GitHub push delivery used by benchmarks and tests.
const GitHubPush = "octokit-webhooks/api.github.com/push/payload.json"
