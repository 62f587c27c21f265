package queue

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// TestDeliveredBeforeRestartIsNotHandedOutAgain: a delivery whose record
// says succeeded (its ack was lost with the process) is acknowledged
// without being handed to the handler; one with no record, and a replay,
// are handed out.
func TestDeliveredBeforeRestartIsNotHandedOutAgain(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	open := func() *JetStream {
		q, err := OpenJetStream(ctx, JetStreamConfig{Dir: dir, AckWait: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Declare(ctx, "p", []Consumer{{Name: "s", MaxInFlight: 4}}); err != nil {
			t.Fatal(err)
		}
		return q
	}
	q := open()
	for _, id := range []string{"sent", "unsent"} {
		if _, err := q.Publish(ctx, &sdk.Event{ID: id, Pipeline: "p", Body: []byte(id)}); err != nil {
			t.Fatal(err)
		}
	}
	// Both are handed out; "sent" is recorded as delivered, but neither
	// is acknowledged: as if the process died before its acks were kept.
	got := make(chan *jsDelivery, 10)
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = q.Consume(cctx, "p", "s", 4, func(_ context.Context, d Delivery) { got <- d.(*jsDelivery) })
	}()
	for range 2 {
		d := <-got
		if d.Event().ID == "sent" {
			if err := q.History().Put(ctx, &Record{ID: d.ID().String(), Pipeline: "p", Sink: "s", Seq: d.ID().Seq, State: StateSucceeded}); err != nil {
				t.Fatal(err)
			}
			if err := q.Replay(ctx, d.ID()); err != nil {
				t.Fatal(err)
			}
		}
	}
	cancel()
	<-done
	_ = q.Close(ctx)

	q = open()
	defer q.Close(ctx)
	cctx, cancel = context.WithCancel(ctx)
	defer cancel()
	got = make(chan *jsDelivery, 10) // phase one's may hold the replay, unsettled
	go q.Consume(cctx, "p", "s", 4, func(_ context.Context, d Delivery) {
		got <- d.(*jsDelivery)
		_ = d.Ack()
	})
	seen := map[string]int{}
	timeout := time.After(15 * time.Second)
	for seen["unsent"] == 0 || seen["replay"] == 0 {
		select {
		case d := <-got:
			name := d.Event().ID
			if d.Replayed() {
				name = "replay"
			}
			if name == "sent" {
				t.Fatal("sent handed out again though its record says delivered")
			}
			seen[name]++
		case <-timeout:
			t.Fatalf("handed out %v; want unsent and the replay", seen)
		}
	}
	// Give a wrongly redelivered "sent" time to show up (ack_wait is 1s).
	select {
	case d := <-got:
		t.Fatalf("%s handed out again (replayed=%v) though its record says delivered", d.Event().ID, d.Replayed())
	case <-time.After(2500 * time.Millisecond):
	}
}

// BenchmarkBacklogAfterRestart measures what the settled check costs: a
// backlog stored before the queue was opened is consumed (record written,
// then ack, as the delivery worker does) with the check off and on. With
// it on, each of these deliveries costs one history lookup; events stored
// after the queue opened are not looked up.
func BenchmarkBacklogAfterRestart(b *testing.B) {
	body := []byte(strings.Repeat("x", 4096))
	for _, check := range []bool{false, true} {
		b.Run(fmt.Sprintf("check=%v", check), func(b *testing.B) {
			ctx := context.Background()
			dir := b.TempDir()
			q, err := OpenJetStream(ctx, JetStreamConfig{Dir: dir})
			if err != nil {
				b.Fatal(err)
			}
			_ = q.Declare(ctx, "p", []Consumer{{Name: "s", MaxInFlight: 64}})
			for i := range b.N {
				if _, err := q.Publish(ctx, &sdk.Event{ID: fmt.Sprint(i), Pipeline: "p", Body: body}); err != nil {
					b.Fatal(err)
				}
			}
			_ = q.Close(ctx)
			q, err = OpenJetStream(ctx, JetStreamConfig{Dir: dir})
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close(ctx)
			q.noSettledCheck = !check
			_ = q.Declare(ctx, "p", []Consumer{{Name: "s", MaxInFlight: 64}})
			var n atomic.Int64
			all := make(chan struct{})
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			b.ResetTimer()
			go q.Consume(cctx, "p", "s", 16, func(ctx context.Context, d Delivery) {
				id := d.ID()
				_ = q.History().Put(ctx, &Record{ID: id.String(), Pipeline: id.Pipeline, Sink: id.Sink, Seq: id.Seq, State: StateSucceeded})
				_ = d.Ack()
				if n.Add(1) == int64(b.N) {
					close(all)
				}
			})
			<-all
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

// TestSettledSetIsReadOnceAtOpen: the history records of the last moments
// before a stop are read at open; a first delivery of an old event whose
// record says delivered is settled from that set, one with a record that
// says retrying, or none, is handed out.
func TestSettledSetIsReadOnceAtOpen(t *testing.T) {
	ctx := context.Background()
	open := reopener(t, t.TempDir())
	q := open()
	if q.recentSettled != nil {
		t.Fatalf("an empty store read a settled set: %v", q.recentSettled)
	}
	states := map[string]string{"a": StateSucceeded, "b": StateRetrying, "c": ""}
	ids := map[string]DeliveryID{}
	for _, name := range []string{"a", "b", "c"} {
		if _, err := q.Publish(ctx, &sdk.Event{ID: name, Pipeline: "p", Body: []byte(name)}); err != nil {
			t.Fatal(err)
		}
		id := DeliveryID{Pipeline: "p", Sink: "s", Seq: uint64(len(ids) + 1)}
		ids[name] = id
		// Records as a process killed before its delivered state and
		// acks reached the disk leaves them: the deliveries come back
		// as first deliveries.
		if st := states[name]; st != "" {
			if err := q.History().Put(ctx, &Record{ID: id.String(), Pipeline: "p", Sink: "s", Seq: id.Seq, State: st}); err != nil {
				t.Fatal(err)
			}
		}
	}
	_ = q.Close(ctx)

	q = open()
	defer q.Close(ctx)
	if len(q.recentSettled) != 1 || q.recentSettled[ids["a"].String()] != StateSucceeded {
		t.Fatalf("settled set %v, want only a", q.recentSettled)
	}
	got := make(chan Delivery, 10)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go q.Consume(cctx, "p", "s", 4, func(_ context.Context, d Delivery) {
		got <- d
		_ = d.Ack()
	})
	seen := map[string]bool{}
	for len(seen) < 2 {
		select {
		case d := <-got:
			if d.Attempt() != 1 {
				t.Fatalf("%s: attempt %d, want a first delivery", d.Event().ID, d.Attempt())
			}
			seen[d.Event().ID] = true
		case <-time.After(15 * time.Second):
			t.Fatalf("handed out %v; want b and c", seen)
		}
	}
	if seen["a"] {
		t.Fatal("a handed out again though its record says delivered")
	}
	select {
	case d := <-got:
		t.Fatalf("%s handed out (attempt %d)", d.Event().ID, d.Attempt())
	case <-time.After(500 * time.Millisecond):
	}
}

// reopener opens the store in dir with pipeline p's sink s (4 in
// flight), as often as called.
func reopener(t *testing.T, dir string) func() *JetStream {
	return func() *JetStream {
		t.Helper()
		ctx := context.Background()
		q, err := OpenJetStream(ctx, JetStreamConfig{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Declare(ctx, "p", []Consumer{{Name: "s", MaxInFlight: 4}}); err != nil {
			t.Fatal(err)
		}
		return q
	}
}

// BenchmarkReadSettledAtOpen measures the open of a store whose last
// SettledWindow holds b.N history records (and b.N old events, so the
// set is read): the price of the settled set, per record read.
func BenchmarkReadSettledAtOpen(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	q, err := OpenJetStream(ctx, JetStreamConfig{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := q.Publish(ctx, &sdk.Event{ID: "e", Pipeline: "p", Body: []byte("{}")}); err != nil {
		b.Fatal(err)
	}
	at := time.Now().UTC()
	for i := range b.N {
		id := DeliveryID{Pipeline: "p", Sink: "s", Seq: uint64(i + 1)}
		r := &Record{ID: id.String(), Pipeline: "p", Sink: "s", EventID: fmt.Sprint(i), Seq: id.Seq, State: StateSucceeded, Created: at, Updated: at}
		r.AddAttempt(Attempt{At: at, Duration: 1.5, Status: 200, Outcome: "success"})
		if err := q.History().Put(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	_ = q.Close(ctx)
	b.ResetTimer()
	q, err = OpenJetStream(ctx, JetStreamConfig{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	defer q.Close(ctx)
	if len(q.recentSettled) != b.N {
		b.Fatalf("settled set of %d, want %d", len(q.recentSettled), b.N)
	}
}

// TestHandBacksSpendNoAttempt: a delivery handed back unattempted (as at
// a stop or a reload) comes again as attempt 1 although the server
// counted every hand-back; one with a record of two attempts comes as the
// third.
func TestHandBacksSpendNoAttempt(t *testing.T) {
	ctx := context.Background()
	q, err := OpenJetStream(ctx, JetStreamConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	if err := q.Declare(ctx, "p", []Consumer{{Name: "s", MaxInFlight: 1}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"never", "tried"} {
		if _, err := q.Publish(ctx, &sdk.Event{ID: id, Pipeline: "p", Body: []byte(id)}); err != nil {
			t.Fatal(err)
		}
	}
	type seen struct {
		id      string
		attempt int
	}
	got := make(chan seen, 32)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	handBacks := map[string]int{}
	go q.Consume(cctx, "p", "s", 1, func(ctx context.Context, d Delivery) {
		id := d.Event().ID
		if handBacks[id] < 3 {
			handBacks[id]++
			if id == "tried" && handBacks[id] == 3 {
				// Two attempts on record, then handed back once more.
				r := &Record{ID: d.ID().String(), Pipeline: "p", Sink: "s", Seq: d.ID().Seq, State: StateRetrying}
				r.AddAttempt(Attempt{Outcome: "retry", Reason: "HTTP 503"})
				r.AddAttempt(Attempt{Outcome: "retry", Reason: "HTTP 503"})
				if err := q.History().Put(ctx, r); err != nil {
					t.Error(err)
				}
			}
			_ = d.Nak(0)
			return
		}
		got <- seen{id, d.Attempt()}
		_ = d.Ack()
	})
	want := map[string]int{"never": 1, "tried": 3}
	for range 2 {
		select {
		case s := <-got:
			if s.attempt != want[s.id] {
				t.Errorf("%s: attempt %d after three hand-backs, want %d", s.id, s.attempt, want[s.id])
			}
		case <-time.After(15 * time.Second):
			t.Fatal("deliveries not handed out again")
		}
	}
}

// TestHandedBackAtStopComesAtOnceAfterRestart: a delivery handed back
// (as the worker does at a stop, for one still waiting on the breaker or a
// plugin: the stop comes first, then the hand-back) is sent by the next
// process at once, not after ack_wait: a plain NAK lived only in the
// server's memory. (A hand-back "now" made just before a stop can still
// reach the pull being drained and wait out ack_wait after a restart: the
// pull's messages in flight are the server's to lose.)
func TestHandedBackAtStopComesAtOnceAfterRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	open := func() *JetStream {
		q, err := OpenJetStream(ctx, JetStreamConfig{Dir: dir, AckWait: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Declare(ctx, "p", []Consumer{{Name: "s", MaxInFlight: 1}}); err != nil {
			t.Fatal(err)
		}
		return q
	}
	q := open()
	if _, err := q.Publish(ctx, &sdk.Event{ID: "e", Pipeline: "p", Body: []byte("e")}); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = q.Consume(cctx, "p", "s", 1, func(_ context.Context, d Delivery) {
			cancel()
			_ = d.Nak(0)
		})
	}()
	<-done
	_ = q.Close(ctx)

	q = open()
	defer q.Close(ctx)
	got := make(chan Delivery, 1)
	cctx, cancel = context.WithCancel(ctx)
	defer cancel()
	go q.Consume(cctx, "p", "s", 1, func(_ context.Context, d Delivery) {
		_ = d.Ack()
		got <- d
	})
	select {
	case d := <-got:
		if d.Event().ID != "e" || d.Attempt() != 1 {
			t.Fatalf("got %s attempt %d", d.Event().ID, d.Attempt())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handed-back delivery waited for ack_wait (1 minute) after the restart")
	}
}

// pulledAheadQueue opens a store whose consumer p/s has two workers and
// holds n events e0..e(n-1), for the pull-ahead tests.
func pulledAheadQueue(t *testing.T, ackWait time.Duration, n int) *JetStream {
	t.Helper()
	ctx := context.Background()
	q, err := OpenJetStream(ctx, JetStreamConfig{Dir: t.TempDir(), AckWait: ackWait})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close(ctx) })
	if err := q.Declare(ctx, "p", []Consumer{{Name: "s", MaxInFlight: 2}}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := q.Publish(ctx, &sdk.Event{ID: fmt.Sprint("e", i), Pipeline: "p", Body: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	return q
}

// eachOnce fails the test unless each of e0..e(n-1) was seen once.
func eachOnce(t *testing.T, seen map[string]int, n int) {
	t.Helper()
	for i := range n {
		if id := fmt.Sprint("e", i); seen[id] != 1 {
			t.Errorf("%s reached the handler %d times, want once (seen %v)", id, seen[id], seen)
		}
	}
}

// TestPulledAheadKeepsItsLease: the queue pulls a sink's concurrency
// again ahead of its workers. While the workers are held (an open breaker,
// a slow destination) for several ack waits, the deliveries pulled ahead
// must not be handed out a second time: each event reaches the handler
// exactly once.
func TestPulledAheadKeepsItsLease(t *testing.T) {
	ctx := context.Background()
	const ackWait = 600 * time.Millisecond
	const n = 6
	q := pulledAheadQueue(t, ackWait, n)
	var mu sync.Mutex
	seen := map[string]int{}
	release := make(chan struct{})
	done := make(chan struct{}, 2*n)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go q.Consume(cctx, "p", "s", 2, func(ctx context.Context, d Delivery) {
		mu.Lock()
		seen[d.Event().ID]++
		mu.Unlock()
		// The worker renews its own lease while it waits, as the
		// delivery worker does.
		tick := time.NewTicker(ackWait / 4)
		defer tick.Stop()
	wait:
		for {
			select {
			case <-release:
				break wait
			case <-tick.C:
				_ = d.InProgress()
			}
		}
		_ = d.Ack()
		done <- struct{}{}
	})
	// Both workers are held; two more deliveries wait, pulled ahead.
	deadline := time.Now().Add(10 * time.Second)
	for {
		dp, err := q.Depth(ctx, "p", "s")
		if err != nil {
			t.Fatal(err)
		}
		if dp.InFlight == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("depth %+v: want 4 handed out (2 held by workers, 2 pulled ahead)", dp)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(4 * ackWait)
	close(release)
	for range n {
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Fatal("not every event was delivered")
		}
	}
	// Anything handed out twice would reach the handler again now.
	time.Sleep(2 * ackWait)
	mu.Lock()
	defer mu.Unlock()
	eachOnce(t, seen, n)
}

// TestPulledAheadLeaseCarriesIntoTheWorker: deliveries pulled ahead
// wait while the workers hold theirs for 1.5 ack waits each, renewing
// every 0.75 ack wait (as a worker with a fixed renewal period does); no
// lease may lapse while one waits, nor at the hand-over to a worker,
// whose first own renewal comes a period after it took the delivery.
func TestPulledAheadLeaseCarriesIntoTheWorker(t *testing.T) {
	ctx := context.Background()
	const ackWait = time.Second
	const n = 6
	q := pulledAheadQueue(t, ackWait, n)
	var mu sync.Mutex
	seen := map[string]int{}
	acked := make(chan struct{}, 2*n)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go q.Consume(cctx, "p", "s", 2, func(ctx context.Context, d Delivery) {
		mu.Lock()
		seen[d.Event().ID]++
		mu.Unlock()
		tick := time.NewTicker(ackWait * 3 / 4)
		defer tick.Stop()
		end := time.After(ackWait * 3 / 2)
	hold:
		for {
			select {
			case <-end:
				break hold
			case <-tick.C:
				_ = d.InProgress()
			}
		}
		_ = d.Ack()
		acked <- struct{}{}
	})
	for range n {
		select {
		case <-acked:
		case <-time.After(30 * time.Second):
			t.Fatal("not every event was delivered")
		}
	}
	time.Sleep(2 * ackWait) // a lapsed lease would show as a second delivery
	mu.Lock()
	defer mu.Unlock()
	eachOnce(t, seen, n)
}
