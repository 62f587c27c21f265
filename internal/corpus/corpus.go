package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the corpus folder, testdata/corpus at the repository root.
// It is found by walking up from the test's working directory, so a clone
// anywhere passes its tests with nothing beside it. A test that needs the
// corpus fails (not skips) without it.
func Dir(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		c := filepath.Join(dir, "testdata", "corpus", "MANIFEST.sha256")
		if _, err := os.Stat(c); err == nil {
			return filepath.Dir(c)
		}
		if filepath.Dir(dir) == dir {
			tb.Fatalf("payload corpus (testdata/corpus) not found above %s", wd)
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
