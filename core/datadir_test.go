package core_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
)

// startDemo loads configs/demo.hcl (embedded JetStream queue) with the given
// data directory and starts it, returning Start's error.
func startDemo(t *testing.T, dataDir string) error {
	t.Helper()
	e, err := core.Load(context.Background(), core.Options{
		ConfigPath:  filepath.Join("..", "configs", "demo.hcl"),
		DataDir:     dataDir,
		Components:  all.Definitions(all.Options{Stdout: io.Discard}),
		LookupEnv:   func(string) (string, bool) { return "", false },
		Listen:      "127.0.0.1:0",
		AdminListen: "127.0.0.1:0",
	})
	if err != nil {
		t.Fatal(err)
	}
	err = e.Start(context.Background())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Shutdown(ctx)
	}
	return err
}

func TestUnusableDataDirFailsAtStartWithOneClearError(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T, dir string) string // returns the data dir
		naming string                                // the path the error must name
		root   bool                                  // meaningful when running as root
	}{
		{"a file where the data dir should be", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "data")
			writeTestFile(t, p)
			return p
		}, "data", true},
		{"a file where the queue's folder should be (used to hang 30s)", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "data")
			writeTestFile(t, filepath.Join(p, "jetstream"))
			return p
		}, filepath.Join("data", "jetstream"), true},
		{"a data dir without write permission", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "data")
			if err := os.Mkdir(p, 0o500); err != nil {
				t.Fatal(err)
			}
			return p
		}, "data", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.root && os.Geteuid() == 0 {
				t.Skip("root writes through permission bits")
			}
			dir := t.TempDir()
			err := startDemo(t, tt.setup(t, dir))
			if !errors.Is(err, core.ErrDataDir) {
				t.Fatalf("Start error = %v, want core.ErrDataDir", err)
			}
			if want := filepath.Join(dir, tt.naming); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
			if strings.Contains(err.Error(), "did not start") {
				t.Errorf("error %q comes from the queue's start timeout, not the data-dir check", err)
			}
		})
	}
}

func TestWritableDataDirStartsAndLeavesNoCheckFile(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if err := startDemo(t, data); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{data, filepath.Join(data, "jetstream")} {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".hookferry-write-check") {
				t.Errorf("%s left behind in %s", e.Name(), d)
			}
		}
	}
}

func writeTestFile(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
}
