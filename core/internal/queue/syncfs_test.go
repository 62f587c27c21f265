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
	"time"

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
	scan := func() error {
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
		return nil
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
	// Opening and declaring synced the metadata they wrote.
	syncs0, waited0, scans0 := q.fsync.syncs.Load(), q.fsync.waited.Load(), scans.Load()
	if syncs0 < 2 || waited0 != syncs0 || scans0 != syncs0 {
		t.Fatalf("open and declare: %d syncs for %d waiters, %d scans; want one each", syncs0, waited0, scans0)
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
				// files, or for every other one (a first-attempt success)
				// the delivered log's (its event id carries the marker).
				rm := fmt.Sprintf("hf-mark-%d-", n+i)
				rec := &Record{ID: fmt.Sprintf("p.s.%d", i+1), Pipeline: "p", Sink: "s", Seq: uint64(i + 1), State: StateRetrying, EventID: rm}
				if i%2 == 0 {
					rec.AddAttempt(Attempt{At: time.Now(), Status: 200, Outcome: StateSucceeded})
					rec.State = StateSucceeded
				}
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
	syncs, waited, scanned := q.fsync.syncs.Load()-syncs0, q.fsync.waited.Load()-waited0, scans.Load()-scans0
	if waited != 2*n || syncs >= waited || scanned != syncs {
		t.Fatalf("%d writes, %d syncs, %d scans: want %d writes sharing fewer syncs, one scan each", waited, syncs, scanned, 2*n)
	}
	t.Logf("%d writes shared %d syncs", waited, syncs)
	if st, err := q.js.Stream(ctx, StreamDelivered); err != nil || st.CachedInfo().State.Msgs == 0 {
		t.Fatalf("no first-attempt success went to the delivered log (%v)", err)
	}
}

// TestSyncerReleasesOnlyAfterALaterSync: a waiter is released by a sync
// that began after it asked, never by one already running, and a failed
// sync fails the waiters it covered.
func TestSyncerReleasesOnlyAfterALaterSync(t *testing.T) {
	started := make(chan int, 16)
	proceed := make(chan error)
	done := make(chan struct{})
	var n atomic.Int64
	s := newSyncer(func() error {
		started <- int(n.Add(1))
		select {
		case err := <-proceed:
			return err
		case <-done: // the test ended early: let close return
			return nil
		}
	})
	defer s.close()
	defer close(done)
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

// TestFailedSyncStopsTakingEvents: once a filesystem sync fails, what it
// covered is refused, and so is everything after, even when later syncs
// would succeed (after a writeback error the kernel may have marked the
// lost pages clean): the queue is not ready until a restart.
func TestFailedSyncStopsTakingEvents(t *testing.T) {
	ctx := context.Background()
	var failing atomic.Bool
	q, err := OpenJetStream(ctx, JetStreamConfig{
		Dir: t.TempDir(), SyncAlways: true, GroupCommit: true, HealthEvery: 10 * time.Millisecond,
		beforeSync: func() error {
			if failing.Load() {
				return errors.New("input/output error")
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	if err := q.Declare(ctx, "p", []Consumer{{Name: "s"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Publish(ctx, &sdk.Event{ID: "before", Pipeline: "p", Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	failing.Store(true)
	if _, err := q.Publish(ctx, &sdk.Event{ID: "during", Pipeline: "p", Body: []byte("x")}); err == nil {
		t.Fatal("an event was acknowledged by a failed sync")
	}
	failing.Store(false)              // the disk seems fine again
	time.Sleep(50 * time.Millisecond) // health checks run meanwhile
	if _, err := q.Publish(ctx, &sdk.Event{ID: "after", Pipeline: "p", Body: []byte("x")}); !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "syncing the store") {
		t.Fatalf("after a failed sync: %v", err)
	}
	if err := q.History().Put(ctx, &Record{ID: "p.s.1", Pipeline: "p", Sink: "s", Seq: 1, State: StateSucceeded}); err == nil {
		t.Fatal("a history record was taken after a failed sync")
	}
	if err := q.Ready(); err == nil || !strings.Contains(err.Error(), "restart") {
		t.Fatalf("Ready after a failed sync: %v", err)
	}
}
