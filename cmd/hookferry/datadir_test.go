package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestRunWithUnusableDataDirExitsWithOneError(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	// The embedded queue's folder is a file: NATS used to log "storage
	// directory is not a directory" and the start then timed out after 30s.
	if err := os.WriteFile(filepath.Join(data, "jetstream"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run([]string{"run", "-c", "../../configs/demo.hcl", "--data-dir", data,
		"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--log-level", "error"}, &out, &errOut, noEnv)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut.String())
	}
	want := "Error: data directory cannot be used: " + filepath.Join(data, "jetstream") + ": not a directory\n"
	if errOut.String() != want {
		t.Errorf("stderr:\n%q\nwant exactly\n%q", errOut.String(), want)
	}
}
