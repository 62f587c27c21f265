package core_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
)

// TestShutdownEndsAtTheGraceWhileTheDestinationNeverAnswers: with a sink
// whose destination never answers (its timeout, 30s, far beyond the
// grace), shutdown returns within the grace plus a bounded margin for
// closing the queue and components, and no attempt starts after shutdown
// began: the events still queued wait for the next process.
func TestShutdownEndsAtTheGraceWhileTheDestinationNeverAnswers(t *testing.T) {
	var requests atomic.Int64
	release := make(chan struct{})
	dest := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		<-release // never answers while the test runs
	})
	t.Cleanup(func() { close(release) }) // before dest closes (cleanups run last first)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.hcl")
	if err := os.WriteFile(cfg, []byte(`
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "out" {
    url         = "`+dest.URL+`"
    timeout     = "30s"
    concurrency = 1
  }
}`), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := core.Load(context.Background(), core.Options{ConfigPath: cfg, DataDir: filepath.Join(dir, "data"),
		Components: all.Definitions(all.Options{}), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		post(t, e, "/in", []byte(`{}`), nil)
	}
	waitUntil(t, 10*time.Second, func() error {
		if requests.Load() == 0 {
			return errors.New("no request reached the destination yet")
		}
		return nil
	})

	const grace, margin = time.Second, 4 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	start := time.Now()
	_ = e.Shutdown(ctx)
	took := time.Since(start)
	if took > grace+margin {
		t.Fatalf("shutdown took %s with a grace of %s", took, grace)
	}
	if n := requests.Load(); n != 1 {
		t.Fatalf("%d requests reached the destination; only the one in flight before shutdown may", n)
	}
	t.Logf("shutdown with an attempt hanging: %s (grace %s)", took.Round(time.Millisecond), grace)
}
