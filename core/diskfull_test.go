package core_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookferry/hookferry/internal/testdisk"
)

// TestFullDiskGives503AndNotReadyThenRecoversWithoutRestart runs the
// engine with its data directory on a small real filesystem and the
// default settings. With the disk filled by another writer: 503 (promptly)
// and /readyz not ready. Once the space is freed: 202 again, without a
// restart, and the event is delivered.
func TestFullDiskGives503AndNotReadyThenRecoversWithoutRestart(t *testing.T) {
	dir := testdisk.Mount(t, 64<<20)
	dest := newDestination(t)
	if err := os.WriteFile(filepath.Join(dir, "config.hcl"), []byte(`
pipeline "p" {
  source "http" {
    path = "/in"
    allow_unauthenticated = true
  }
  sink "http" "out" { url = env("DEST") }
}`), 0o644); err != nil {
		t.Fatal(err)
	}
	e := loadAndStart(t, dir, func(k string) (string, bool) { return dest.URL, k == "DEST" }, nil)
	body := bytes.Repeat([]byte("x"), 4<<10)
	if code, resp := post(t, e, "/in", body, nil); code != 202 {
		t.Fatalf("status %d %s", code, resp)
	}
	dest.wait(t, 1)
	if code := readyz(t, e); code != 200 {
		t.Fatalf("/readyz %d before the disk filled", code)
	}

	filler := testdisk.Fill(t, dir)
	waitUntil(t, 10*time.Second, func() error {
		if code := readyz(t, e); code != 503 {
			return fmt.Errorf("/readyz %d with the disk full, want 503", code)
		}
		return nil
	})
	start := time.Now()
	if code, resp := post(t, e, "/in", body, nil); code != 503 {
		t.Fatalf("status %d %s with the disk full, want 503", code, resp)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the 503 took %s: a full disk must be refused at once", took)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	waitUntil(t, 30*time.Second, func() error {
		if code, resp := post(t, e, "/in", body, nil); code != 202 {
			return fmt.Errorf("status %d %s after space was freed", code, resp)
		}
		return nil
	})
	t.Logf("accepting %s after space was freed", time.Since(freed).Round(time.Millisecond))
	if code := readyz(t, e); code != 200 {
		t.Fatalf("/readyz %d after recovery", code)
	}
	dest.wait(t, 2)
}

func readyz(t *testing.T, e interface{ AdminAddr() string }) int {
	t.Helper()
	resp, err := http.Get("http://" + e.AdminAddr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitUntil polls cond until it returns nil or limit passes.
func waitUntil(t *testing.T, limit time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
