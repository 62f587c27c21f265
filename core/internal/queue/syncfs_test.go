//go:build linux

package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hookferry/hookferry/sdk"
)

// TestAlwaysAcksOnlyWhatASyncSawInTheFiles: with sync "always" and group
// commit by filesystem sync, an event or history record is acknowledged
// only after a sync that began when its bytes were already in the store's
// files. That the embedded server writes in place before it answers a
// publish is nats-server's behaviour (a single-replica file store flushes
// each write), not ours: this test is what notices if an upgrade changes
// it. Each sync first reads every block file and notes the markers in
// them; every publisher then checks its marker was seen.
func TestAlwaysAcksOnlyWhatASyncSawInTheFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	marker := regexp.MustCompile(`hf-mark-[0-9]+-`)
	var mu sync.Mutex
	seen := map[string]bool{}
	var scans atomic.Int64
	scan := func() {
		scans.Add(1)
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".blk") {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			mu.Lock()
			for _, m := range marker.FindAll(b, -1) {
				seen[string(m)] = true
			}
			mu.Unlock()
			return nil
		})
	}
	q, err := OpenJetStream(ctx, JetStreamConfig{Dir: dir, SyncAlways: true, GroupCommit: true, beforeSync: scan})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	if q.fsync == nil {
		t.Fatal("sync always with group commit on Linux did not sync by filesystem")
	}
	if err := q.Declare(ctx, "p", []Consumer{{Name: "s"}}); err != nil {
		t.Fatal(err)
	}
	wasSeen := func(m string) bool {
		mu.Lock()
		defer mu.Unlock()
		return seen[m]
	}
	const n, workers = 400, 16
	pad := bytes.Repeat([]byte("x"), 1000)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				m := fmt.Sprintf("hf-mark-%d-", i)
				if _, err := q.Publish(ctx, &sdk.Event{ID: fmt.Sprint(i), Pipeline: "p", Body: append([]byte(m), pad...)}); err != nil {
					t.Error(err)
					return
				}
				if !wasSeen(m) {
					t.Errorf("event %d acknowledged before a sync saw it in the store's files", i)
				}
				// The delivery record of the attempt, in the history bucket's
				// files (its event id carries the marker).
				rm := fmt.Sprintf("hf-mark-%d-", n+i)
				rec := &Record{ID: fmt.Sprintf("p.s.%d", i+1), Pipeline: "p", Sink: "s", Seq: uint64(i + 1), State: StateRetrying, EventID: rm}
				if err := q.History().Put(ctx, rec); err != nil {
					t.Error(err)
					return
				}
				if !wasSeen(rm) {
					t.Errorf("record %d acknowledged before a sync saw it in the store's files", i)
				}
			}
		})
	}
	wg.Wait()
	syncs, waited := q.fsync.syncs.Load(), q.fsync.waited.Load()
	if waited != 2*n || syncs >= waited || scans.Load() != syncs {
		t.Fatalf("%d writes, %d syncs, %d scans: want %d writes sharing fewer syncs, one scan each", waited, syncs, scans.Load(), 2*n)
	}
	t.Logf("%d writes shared %d syncs", waited, syncs)
}

// TestSyncerReleasesOnlyAfterALaterSync: a waiter is released by a sync
// that began after it asked, never by one already running, and a failed
// sync fails the waiters it covered.
func TestSyncerReleasesOnlyAfterALaterSync(t *testing.T) {
	started := make(chan int, 16)
	proceed := make(chan error)
	var n atomic.Int64
	s := newSyncer(func() error {
		started <- int(n.Add(1))
		return <-proceed
	})
	defer s.close()
	ctx := context.Background()

	first := make(chan error, 1)
	go func() { first <- s.wait(ctx) }()
	if got := <-started; got != 1 {
		t.Fatalf("sync %d started first", got)
	}
	// Asked while sync 1 runs: sync 1 does not cover it.
	second := make(chan error, 1)
	go func() { second <- s.wait(ctx) }()
	for len(s.req) == 0 {
		runtime.Gosched()
	}
	proceed <- nil
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-second:
		t.Fatalf("released by the sync that was running when it asked: %v", err)
	case got := <-started:
		if got != 2 {
			t.Fatalf("sync %d", got)
		}
	}
	failed := errors.New("input/output error")
	proceed <- failed
	if err := <-second; !errors.Is(err, failed) {
		t.Fatalf("a failed sync released its waiter with %v", err)
	}
	if s.syncs.Load() != 2 || s.waited.Load() != 2 {
		t.Fatalf("syncs %d, waited %d", s.syncs.Load(), s.waited.Load())
	}
}
