package queue

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookferry/hookferry/sdk"
)

// TestJetStreamSurvivesReopen: an event published and not acknowledged is
// delivered after the queue is closed and opened again on the same files,
// and an acknowledged one is not.
func TestJetStreamSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	open := func() *JetStream {
		q, err := OpenJetStream(ctx, JetStreamConfig{Dir: dir, AckWait: 500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Declare(ctx, "p", []Consumer{{Name: "a", MaxInFlight: 1, Ordered: true}}); err != nil {
			t.Fatal(err)
		}
		return q
	}
	q := open()
	for _, id := range []string{"acked", "pending"} {
		if _, err := q.Publish(ctx, &sdk.Event{ID: id, Pipeline: "p", Body: []byte(id)}); err != nil {
			t.Fatal(err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	got := make(chan string, 10)
	done := make(chan struct{})
	go func() {
		_ = q.Consume(cctx, "p", "a", 1, func(_ context.Context, d Delivery) {
			got <- d.Event().ID
			if d.Event().ID == "acked" {
				_ = d.Ack()
			}
			// "pending" is left unsettled, as if the process died mid-attempt.
		})
		close(done)
	}()
	for _, want := range []string{"acked", "pending"} {
		select {
		case id := <-got:
			if id != want {
				t.Fatalf("got %s, want %s (ordered)", id, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s not delivered", want)
		}
	}
	cancel()
	<-done
	_ = q.Close(ctx)

	q = open()
	defer q.Close(ctx)
	cctx, cancel = context.WithCancel(ctx)
	defer cancel()
	go q.Consume(cctx, "p", "a", 1, func(_ context.Context, d Delivery) {
		got <- d.Event().ID
		_ = d.Ack()
	})
	select {
	case id := <-got:
		if id != "pending" {
			t.Fatalf("after reopen got %s, want the unacknowledged event", id)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("unacknowledged event not redelivered after reopen")
	}
	select {
	case id := <-got:
		t.Fatalf("extra delivery after reopen: %s", id)
	case <-time.After(time.Second):
	}
}

// TestJetStreamFullStoreRefuses: when the store is full, publishing fails
// with ErrFull (the sender gets 503); nothing stored is dropped.
func TestJetStreamFullStoreRefuses(t *testing.T) {
	ctx := context.Background()
	q, err := OpenJetStream(ctx, JetStreamConfig{Dir: t.TempDir(), MaxBytes: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	_ = q.Declare(ctx, "p", []Consumer{{Name: "a"}})
	body := []byte(strings.Repeat("x", 4096))
	var full error
	stored := 0
	for i := range 20 {
		_, err := q.Publish(ctx, &sdk.Event{ID: string(rune('a' + i)), Pipeline: "p", Body: body})
		if err != nil {
			full = err
			break
		}
		stored++
	}
	if !errors.Is(full, ErrFull) {
		t.Fatalf("after %d events: err = %v, want ErrFull", stored, full)
	}
	if stored == 0 {
		t.Fatal("nothing stored")
	}
	info, err := q.events.Info(ctx)
	if err != nil || info.State.Msgs != uint64(stored) {
		t.Fatalf("stream holds %d, want all %d stored before it filled: %v", info.State.Msgs, stored, err)
	}
}

// TestGroupCommitUnderConcurrency: many concurrent publishers, with 1%
// duplicates mixed in (a duplicate refuses its whole atomic batch, which
// then falls back to one-by-one): every new event is stored exactly once,
// every repeat is reported as a duplicate, and batches really formed.
func TestGroupCommitUnderConcurrency(t *testing.T) {
	forEachGroupCommit(t, func(t *testing.T, cfg JetStreamConfig) {
		testGroupCommitUnderConcurrency(t, cfg)
	})
}

// forEachGroupCommit runs a test of sync "always" with group commit for
// both ways of grouping: a filesystem sync per group (syncfs.go, where
// the platform has one) and JetStream atomic batches (batch.go).
func forEachGroupCommit(t *testing.T, run func(t *testing.T, cfg JetStreamConfig)) {
	t.Run("syncfs", func(t *testing.T) {
		run(t, JetStreamConfig{Dir: t.TempDir(), SyncAlways: true, GroupCommit: true})
	})
	t.Run("atomic", func(t *testing.T) {
		run(t, JetStreamConfig{Dir: t.TempDir(), SyncAlways: true, GroupCommit: true, atomicGroupCommit: true})
	})
}

// checkGrouped fails unless what was stored went through groups: atomic
// batches, or filesystem syncs each shared by several writes.
func checkGrouped(t *testing.T, q *JetStream, b *batcher, writes int) {
	t.Helper()
	switch {
	case q.fsync != nil:
		if runtime.GOOS != "linux" {
			t.Fatalf("syncfs group commit on %s", runtime.GOOS)
		}
		syncs, waited := q.fsync.syncs.Load(), q.fsync.waited.Load()
		if waited < int64(writes) || syncs == 0 || syncs >= waited {
			t.Fatalf("%d writes waited for %d syncs; want at least %d writes, fewer syncs than writes", waited, syncs, writes)
		}
		t.Logf("%d writes shared %d filesystem syncs", waited, syncs)
	case q.cfg.atomicGroupCommit || runtime.GOOS != "linux":
		if n := b.batched.Load(); n == 0 {
			t.Fatal("nothing was stored through an atomic batch")
		} else {
			t.Logf("%d of %d writes went through %d atomic batches", n, writes, b.batches.Load())
		}
	default:
		t.Fatal("sync always with group commit on Linux did not sync by filesystem")
	}
}

func testGroupCommitUnderConcurrency(t *testing.T, cfg JetStreamConfig) {
	ctx := context.Background()
	q, err := OpenJetStream(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	_ = q.Declare(ctx, "p", []Consumer{{Name: "a"}})
	const n, workers = 2000, 32
	var dups, stored atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				id := fmt.Sprint(i)
				if i%100 == 99 {
					id = fmt.Sprint(i - 1) // a repeat of the previous id (1%)
				}
				dup, err := q.Publish(ctx, &sdk.Event{ID: id, Pipeline: "p", Body: []byte("x")})
				if err != nil {
					t.Error(err)
					return
				}
				if dup {
					dups.Add(1)
				} else {
					stored.Add(1)
				}
			}
		})
	}
	wg.Wait()
	info, err := q.events.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	unique := int64(n - n/100)
	// A repeat published before the original is stored is the "original";
	// either way exactly one of each id is stored.
	if stored.Load() != unique || dups.Load() != n/100 || info.State.Msgs != uint64(unique) {
		t.Fatalf("stored %d (stream %d), duplicates %d; want %d and %d", stored.Load(), info.State.Msgs, dups.Load(), unique, n/100)
	}
	checkGrouped(t, q, q.batch, int(unique))
	// The dedup index points each id at its own stored event (an atomic
	// batch's sequences are worked out from its commit's).
	if q.ids.held() != int(unique) {
		t.Fatalf("the dedup index holds %d ids, want %d", q.ids.held(), unique)
	}
	for i := range n {
		key := "p/" + fmt.Sprint(i)
		seq, ok := q.ids.lookup(key)
		if i%100 == 99 {
			continue // a repeat: not stored under its own id
		}
		if !ok {
			t.Fatalf("%s not in the dedup index", key)
		}
		m, err := q.events.GetMsg(ctx, seq)
		if err != nil || m.Header.Get(jetstream.MsgIDHeader) != key {
			t.Fatalf("the dedup index points %s at sequence %d, which is not it (%v)", key, seq, err)
		}
	}
}

// TestHistoryGroupCommitKeepsEveryRecord: with sync "always" and group
// commit, concurrent history writes (one per attempt, each before its
// ack) go through atomic batches, and every record, including a key
// written twice in a row, reads back as last written.
func TestHistoryGroupCommitKeepsEveryRecord(t *testing.T) {
	forEachGroupCommit(t, testHistoryGroupCommitKeepsEveryRecord)
}

func testHistoryGroupCommitKeepsEveryRecord(t *testing.T, cfg JetStreamConfig) {
	ctx := context.Background()
	q, err := OpenJetStream(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	const n, workers = 300, 32
	h := q.History()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				id := DeliveryID{Pipeline: "p", Sink: "s", Seq: uint64(i + 1)}
				for _, state := range []string{StateRetrying, StateSucceeded} {
					if err := h.Put(ctx, &Record{ID: id.String(), Pipeline: "p", Sink: "s", Seq: id.Seq, State: state}); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	checkGrouped(t, q, q.histBatch, 2*n)
	check := func(q *JetStream) {
		t.Helper()
		for i := range n {
			id := DeliveryID{Pipeline: "p", Sink: "s", Seq: uint64(i + 1)}
			r, err := q.History().Get(ctx, id)
			if err != nil || r.State != StateSucceeded {
				t.Fatalf("record %s: %+v %v", id, r, err)
			}
		}
	}
	check(q)
	_ = q.Close(ctx)
	// And after a restart (the batches were committed to disk).
	q, err = OpenJetStream(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	check(q)
}

// TestDeliveredRecordsExpire: the record of a delivered event is kept for
// DeliveredRetention, those retrying or dead for Retention. What it saves
// is the store's per-key state, which nats-server holds in memory: the
// bucket's subject count falls with the expiry. The history index drops
// the expired record too (an expiry sends nothing to its watch). With
// sync "always" the records go through the group-commit batcher, with the
// same expiry.
func TestDeliveredRecordsExpire(t *testing.T) {
	for _, mode := range []struct {
		name string
		cfg  JetStreamConfig
	}{
		{"interval", JetStreamConfig{}},
		{"always_group_commit", JetStreamConfig{SyncAlways: true, GroupCommit: true}},
		{"always_atomic_batches", JetStreamConfig{SyncAlways: true, GroupCommit: true, atomicGroupCommit: true}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := mode.cfg
			cfg.Dir, cfg.Retention, cfg.DedupWindow, cfg.DeliveredRetention, cfg.AckWait = t.TempDir(), time.Hour, time.Minute, time.Second, 500*time.Millisecond
			q, err := OpenJetStream(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close(ctx)
			ids := map[string]DeliveryID{}
			for i, state := range []string{StateSucceeded, StateRetrying, StateDead} {
				id := DeliveryID{Pipeline: "p", Sink: "s", Seq: uint64(i + 1)}
				ids[state] = id
				if err := q.History().Put(ctx, &Record{ID: id.String(), Pipeline: "p", Sink: "s", Seq: id.Seq, State: state, Updated: time.Now()}); err != nil {
					t.Fatal(err)
				}
			}
			subjects := func() uint64 {
				t.Helper()
				st, err := q.js.Stream(ctx, "KV_"+BucketDeliveries)
				if err != nil {
					t.Fatal(err)
				}
				return st.CachedInfo().State.NumSubjects
			}
			if n := subjects(); n != 3 {
				t.Fatalf("%d keys in the bucket, want 3", n)
			}
			if p, err := q.History().(Searcher).Search(ctx, Query{}); err != nil || p.Total != 3 {
				t.Fatalf("index before expiry: %+v %v", p, err)
			}
			deadline := time.Now().Add(15 * time.Second)
			for {
				_, err := q.History().Get(ctx, ids[StateSucceeded])
				if errors.Is(err, ErrNotFound) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the delivered record is still there after 15s with a 1s delivered_retention (err %v)", err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			for _, state := range []string{StateRetrying, StateDead} {
				if r, err := q.History().Get(ctx, ids[state]); err != nil || r.State != state {
					t.Errorf("%s record: %+v %v, want kept for retention", state, r, err)
				}
			}
			if n := subjects(); n != 2 {
				t.Errorf("%d keys in the bucket after the expiry, want 2", n)
			}
			p, err := q.History().(Searcher).Search(ctx, Query{})
			if err != nil || p.Total != 2 {
				t.Fatalf("index after expiry: %+v %v, want the 2 records kept", p, err)
			}
			for _, s := range p.Items {
				if s.State == StateSucceeded {
					t.Errorf("the index still lists the expired record %s", s.ID)
				}
			}
		})
	}
}

// TestDeliveredRetentionCanChangeAcrossRestarts: once the bucket has
// per-record expiry on, the server refuses to turn it off, so opening the
// store again (with or without a shorter delivered_retention, or with
// sync "always") must not ask it to.
func TestDeliveredRetentionCanChangeAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for i, cfg := range []JetStreamConfig{
		{DeliveredRetention: time.Hour},
		{},
		{DeliveredRetention: 2 * time.Hour, SyncAlways: true, GroupCommit: true},
		{DeliveredRetention: time.Hour},
	} {
		cfg.Dir = dir
		q, err := OpenJetStream(ctx, cfg)
		if err != nil {
			t.Fatalf("open %d (%+v): %v", i, cfg, err)
		}
		id := DeliveryID{Pipeline: "p", Sink: "s", Seq: uint64(i + 1)}
		if err := q.History().Put(ctx, &Record{ID: id.String(), Pipeline: "p", Sink: "s", Seq: id.Seq, State: StateSucceeded}); err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		for j := range i + 1 {
			if _, err := q.History().Get(ctx, DeliveryID{Pipeline: "p", Sink: "s", Seq: uint64(j + 1)}); err != nil {
				t.Errorf("open %d: record %d: %v", i, j+1, err)
			}
		}
		_ = q.Close(ctx)
	}
	if _, err := OpenJetStream(ctx, JetStreamConfig{Dir: t.TempDir(), Retention: time.Hour, DedupWindow: time.Minute, DeliveredRetention: 2 * time.Hour}); err == nil || !strings.Contains(err.Error(), "delivered_retention") {
		t.Errorf("delivered_retention longer than retention: %v, want an error naming it", err)
	}
}
