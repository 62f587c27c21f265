package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
	"github.com/nats-io/nats.go/jetstream"
)

// firstTry is the record of a delivery that succeeded at its first attempt.
func firstTry(id DeliveryID, at time.Time) *Record {
	r := &Record{ID: id.String(), Pipeline: id.Pipeline, Sink: id.Sink, Seq: id.Seq, EventID: fmt.Sprintf("evt_%d", id.Seq), Created: at}
	r.AddAttempt(Attempt{At: at, Status: 200, Outcome: StateSucceeded})
	r.State, r.Updated = StateSucceeded, at
	return r
}

// TestFirstAttemptSuccessesGoToTheDeliveredLog: the record of a delivery
// that succeeded at its first attempt is written to the delivered log,
// many to a message, and not to the bucket (no key, so nothing in
// nats-server's memory per record); Get, List and Search find it, also
// one written late into an old range of sequences; a replay's record
// goes to the bucket and wins over the logged one everywhere.
func TestFirstAttemptSuccessesGoToTheDeliveredLog(t *testing.T) {
	ctx := context.Background()
	q, err := OpenJetStream(ctx, JetStreamConfig{Dir: t.TempDir(), AckWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 2000
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			for i := w; i < n; i += 32 {
				id := DeliveryID{Pipeline: "p", Sink: []string{"a", "b"}[i%2], Seq: uint64(i + 1)}
				if err := q.History().Put(ctx, firstTry(id, t0.Add(time.Duration(i)*time.Millisecond))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// A straggler: sequence 3 of sink a... was already written; take one
	// far back in an old range, written after everything else.
	late := DeliveryID{Pipeline: "p", Sink: "a", Seq: 7}
	if err := q.History().Put(ctx, firstTry(late, t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}

	kvInfo, err := q.js.Stream(ctx, "KV_"+BucketDeliveries)
	if err != nil {
		t.Fatal(err)
	}
	if k := kvInfo.CachedInfo().State.Msgs; k != 0 {
		t.Fatalf("%d records in the bucket; first-attempt successes belong in the log", k)
	}
	logInfo, err := q.js.Stream(ctx, StreamDelivered)
	if err != nil {
		t.Fatal(err)
	}
	st := logInfo.CachedInfo().State
	if st.Msgs == 0 || st.Msgs > n/2 {
		t.Fatalf("%d log messages for %d records: want them grouped", st.Msgs, n+1)
	}
	t.Logf("%d records in %d log messages", n+1, st.Msgs)

	for _, i := range []int{0, 1, 999, 1998, 1999} {
		id := DeliveryID{Pipeline: "p", Sink: []string{"a", "b"}[i%2], Seq: uint64(i + 1)}
		r, err := q.History().Get(ctx, id)
		if err != nil || r.ID != id.String() || r.State != StateSucceeded || r.AttemptCount != 1 || r.Attempts[0].Status != 200 {
			t.Fatalf("Get %s: %+v %v", id, r, err)
		}
	}
	if r, err := q.History().Get(ctx, late); err != nil || !r.Updated.Equal(t0.Add(time.Hour)) {
		t.Fatalf("the late record: %+v %v", r, err)
	}
	if _, err := q.History().Get(ctx, DeliveryID{Pipeline: "p", Sink: "a", Seq: 99999}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an unknown delivery: %v, want ErrNotFound", err)
	}
	// Misses in a range the log holds records for (sink a has the odd
	// sequences): each reads the subject through one consumer of its
	// own and leaves none behind on the server.
	for seq := uint64(2); seq <= 40; seq += 2 {
		if _, err := q.History().Get(ctx, DeliveryID{Pipeline: "p", Sink: "a", Seq: seq}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a miss in a logged range: %v, want ErrNotFound", err)
		}
	}
	if info, err := logInfo.Info(ctx); err != nil || info.State.Consumers != 0 {
		t.Fatalf("%d consumers left on the delivered log after the lookups (%v)", info.State.Consumers, err)
	}

	// A replay of a delivered event: its record goes to the bucket.
	replayed := DeliveryID{Pipeline: "p", Sink: "b", Seq: 2}
	r, err := q.History().Get(ctx, replayed)
	if err != nil {
		t.Fatal(err)
	}
	r.Replays++
	r.AddAttempt(Attempt{At: t0.Add(2 * time.Hour), Status: 503, Outcome: StateRetrying})
	r.State, r.Updated = StateRetrying, t0.Add(2*time.Hour)
	if err := q.History().Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, err := q.History().Get(ctx, replayed); err != nil || got.State != StateRetrying || got.AttemptCount != 2 {
		t.Fatalf("after the replay: %+v %v, want the bucket's record", got, err)
	}

	all, err := q.History().List(ctx, Filter{Limit: 5000})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, r := range all {
		if _, dup := states[r.ID]; dup {
			t.Fatalf("List returns %s twice", r.ID)
		}
		states[r.ID] = r.State
	}
	if len(states) != n || states[replayed.String()] != StateRetrying {
		t.Fatalf("List: %d records, replayed one %q; want %d, retrying", len(states), states[replayed.String()], n)
	}
	if ok, err := q.History().List(ctx, Filter{State: StateSucceeded, Pipeline: "p", Sink: "a", Limit: 5000}); err != nil || len(ok) != n/2 {
		t.Fatalf("List succeeded on sink a: %d %v, want %d", len(ok), err, n/2)
	}

	h := q.History().(Searcher)
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := h.Search(ctx, Query{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		ok, _ := h.Search(ctx, Query{State: StateSucceeded})
		if p.Total == n && ok.Total == n-1 && p.Items[0].ID == replayed.String() && p.Items[0].State == StateRetrying {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("index: total %d (succeeded %d), newest %+v", p.Total, ok.Total, p.Items)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLoggedSuccessesAreSettledAfterARestart: a first-attempt success in
// the delivered log whose ack did not reach the disk is not handed out
// again after a restart; one replayed since (a bucket record, retrying)
// is.
func TestLoggedSuccessesAreSettledAfterARestart(t *testing.T) {
	ctx := context.Background()
	open := reopener(t, t.TempDir())
	q := open()
	now := time.Now().UTC()
	for i, name := range []string{"a", "b", "c"} {
		if _, err := q.Publish(ctx, &sdk.Event{ID: name, Pipeline: "p", Body: []byte(name)}); err != nil {
			t.Fatal(err)
		}
		id := DeliveryID{Pipeline: "p", Sink: "s", Seq: uint64(i + 1)}
		switch name {
		case "a":
			if err := q.History().Put(ctx, firstTry(id, now)); err != nil {
				t.Fatal(err)
			}
		case "b":
			r := firstTry(id, now)
			if err := q.History().Put(ctx, r); err != nil {
				t.Fatal(err)
			}
			r.Replays++
			r.State = StateRetrying
			if err := q.History().Put(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	_ = q.Close(ctx)

	q = open()
	defer q.Close(ctx)
	if len(q.recentSettled) != 1 || q.recentSettled["p.s.1"] != StateSucceeded {
		t.Fatalf("settled set %v, want only p.s.1", q.recentSettled)
	}
	got := make(chan string, 10)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go q.Consume(cctx, "p", "s", 4, func(_ context.Context, d Delivery) {
		got <- d.Event().ID
		_ = d.Ack()
	})
	seen := map[string]bool{}
	for len(seen) < 2 {
		select {
		case id := <-got:
			seen[id] = true
		case <-time.After(15 * time.Second):
			t.Fatalf("handed out %v; want b and c", seen)
		}
	}
	select {
	case id := <-got:
		t.Fatalf("%s handed out as well", id)
	case <-time.After(300 * time.Millisecond):
	}
	if seen["a"] {
		t.Fatal("a was delivered before the restart and handed out again")
	}
}

// TestLoggedSuccessesExpireAfterDeliveredRetention: the delivered log
// keeps its records for delivered_retention, by the stream's age limit.
func TestLoggedSuccessesExpireAfterDeliveredRetention(t *testing.T) {
	ctx := context.Background()
	q, err := OpenJetStream(ctx, JetStreamConfig{Dir: t.TempDir(), Retention: time.Hour, DedupWindow: time.Minute, DeliveredRetention: time.Second, AckWait: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	id := DeliveryID{Pipeline: "p", Sink: "s", Seq: 1}
	if err := q.History().Put(ctx, firstTry(id, time.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := q.History().Get(ctx, id); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := q.History().Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still there after 15s with a 1s delivered_retention: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s, err := q.js.Stream(ctx, StreamDelivered)
	if err != nil {
		t.Fatal(err)
	}
	if c := s.CachedInfo().Config; c.MaxAge != time.Second || c.Retention != jetstream.LimitsPolicy {
		t.Fatalf("log stream: max age %s, retention %v", c.MaxAge, c.Retention)
	}
}

// TestRefusedLogWriteGoesToTheBucket: when the delivered log cannot take
// a record (its stream deleted on a shared server, say), the record is
// written to the history bucket instead, so it is not lost and a
// redelivery of its delivery is still recognised as delivered.
func TestRefusedLogWriteGoesToTheBucket(t *testing.T) {
	ctx := context.Background()
	q, err := OpenJetStream(ctx, JetStreamConfig{Dir: t.TempDir(), AckWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	if err := q.js.DeleteStream(ctx, StreamDelivered); err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= 3; seq++ {
		id := DeliveryID{Pipeline: "p", Sink: "s", Seq: seq}
		if err := q.History().Put(ctx, firstTry(id, time.Now())); err != nil {
			t.Fatalf("Put with the log gone: %v", err)
		}
		if _, err := q.kv.Get(ctx, id.String()); err != nil {
			t.Fatalf("record %s is not in the bucket either: %v", id, err)
		}
		if r, err := q.History().Get(ctx, id); err != nil || r.State != StateSucceeded {
			t.Fatalf("Get %s: %+v %v", id, r, err)
		}
	}
	if all, err := q.History().List(ctx, Filter{}); err != nil || len(all) != 3 {
		t.Fatalf("List with the log gone: %d records, %v", len(all), err)
	}
}
