package delivery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/sdk"
)

// fake is a queue delivery safe for concurrent use; settle records how it
// was settled.
type fake struct {
	ev      *sdk.Event
	seq     uint64
	attempt int
	mu      sync.Mutex
	how     string
	reason  string
}

func newFake(seq uint64, body string) *fake {
	return &fake{ev: &sdk.Event{ID: fmt.Sprint("e", seq), Body: []byte(body)}, seq: seq, attempt: 1}
}

func (f *fake) Event() *sdk.Event    { return f.ev }
func (f *fake) ID() queue.DeliveryID { return queue.DeliveryID{Pipeline: "p", Sink: "s", Seq: f.seq} }
func (f *fake) Attempt() int         { return f.attempt }
func (f *fake) Replayed() bool       { return false }
func (f *fake) InProgress() error    { return nil }
func (f *fake) set(how, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.how, f.reason = how, reason
	return nil
}
func (f *fake) Ack() error                { return f.set("ack", "") }
func (f *fake) Nak(time.Duration) error   { return f.set("nak", "") }
func (f *fake) Term(reason string) error  { return f.set("term", reason) }
func (f *fake) settled() (string, string) { f.mu.Lock(); defer f.mu.Unlock(); return f.how, f.reason }

// flaky is a non-HTTP sink that fails while told to and counts calls.
type flaky struct {
	fail  atomic.Bool
	calls atomic.Int64
	err   error
}

func (f *flaky) Render(context.Context, sdk.Message) (*sdk.Outbound, error) {
	return nil, errors.New("unused")
}
func (f *flaky) Close(context.Context) error { return nil }
func (f *flaky) Deliver(context.Context, sdk.Message) error {
	f.calls.Add(1)
	if f.fail.Load() {
		return cmpErr(f.err, errors.New("destination down"))
	}
	return nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// TestHalfOpenBreakerLetsOneTrialThroughAndTheRestWait: deliveries held
// back by an open breaker wait without spending an attempt; at the end of
// each open period (cooldown/8, then doubling) exactly one trial reaches
// the destination (no stampede), and none of the waiting deliveries is
// dead-lettered.
func TestHalfOpenBreakerLetsOneTrialThroughAndTheRestWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		sink := &flaky{}
		sink.fail.Store(true)
		b := NewBreaker("p/s", 1, 8*time.Second, nil) // open 1 s, then 2 s
		w := newWorker(t, &Sink{Name: "s", Sink: sink, Breaker: b, Policy: Policy{MaxAttempts: 2, Initial: time.Second, Max: time.Second}})

		first := newFake(1, "x")
		w.Handle(ctx, first)
		if how, _ := first.settled(); how != "nak" || b.State() != gobreaker.StateOpen {
			t.Fatalf("first failure: %s, breaker %s", how, b.State())
		}
		waiting := make([]*fake, 5)
		for i := range waiting {
			waiting[i] = newFake(uint64(i+2), "x")
			waiting[i].attempt = 2 // their last attempt: a refusal spent would kill them
			go w.Handle(ctx, waiting[i])
		}
		synctest.Wait()
		for _, d := range waiting {
			if how, _ := d.settled(); how != "" {
				t.Fatalf("a delivery settled %q while the breaker was open", how)
			}
		}
		if n := sink.calls.Load(); n != 1 {
			t.Fatalf("%d calls reached the destination while open", n)
		}

		// First open period over, destination still down: one trial, reopened.
		time.Sleep(time.Second - 10*time.Millisecond)
		synctest.Wait()
		if n := sink.calls.Load(); n != 1 {
			t.Fatalf("%d calls before the first open period ended", n)
		}
		time.Sleep(20 * time.Millisecond)
		synctest.Wait()
		if n := sink.calls.Load(); n != 2 {
			t.Fatalf("%d calls after the cooldown, want exactly one trial (2 in all)", n)
		}
		dead := 0
		for _, d := range waiting {
			if how, reason := d.settled(); how == "term" {
				dead++
				if !strings.Contains(reason, "destination down") {
					t.Fatalf("the trial died with reason %q", reason)
				}
			}
		}
		if dead != 1 {
			t.Fatalf("%d deliveries dead after one failed trial; only the trial (really attempted, out of attempts) may be", dead)
		}

		// Destination back: the next trial, after twice the wait, closes
		// the breaker, and the rest go.
		sink.fail.Store(false)
		time.Sleep(2*time.Second - 20*time.Millisecond)
		synctest.Wait()
		if n := sink.calls.Load(); n != 2 {
			t.Fatalf("%d calls before the doubled open period ended", n)
		}
		time.Sleep(20 * time.Millisecond)
		synctest.Wait()
		acked := 0
		for _, d := range waiting {
			if how, _ := d.settled(); how == "ack" {
				acked++
			}
		}
		if acked != 4 || b.State() != gobreaker.StateClosed {
			t.Fatalf("%d acked, breaker %s; want 4 and closed", acked, b.State())
		}
	})
}

// verdictSink answers every request with a fixed verdict.
type verdictSink struct{ v sdk.Verdict }

func (s verdictSink) Render(_ context.Context, m sdk.Message) (*sdk.Outbound, error) {
	return &sdk.Outbound{Method: "POST", URL: "http://127.0.0.1:1/", Body: m.Body}, nil
}
func (verdictSink) Close(context.Context) error { return nil }
func (s verdictSink) Interpret(context.Context, *sdk.Outbound, *sdk.Response) sdk.Verdict {
	return s.v
}

type okSender struct{}

func (okSender) Send(context.Context, *sdk.Outbound) (*sdk.Response, error) {
	return &sdk.Response{StatusCode: 200}, nil
}

// TestZeroVerdictIsRetriedNeverDead: a verdict nobody filled in (outcome
// 0, or one this version does not know) is retried with a reason, never
// dead-lettered as such.
func TestZeroVerdictIsRetriedNeverDead(t *testing.T) {
	for _, v := range []sdk.Verdict{{}, {Outcome: 42}} {
		w := newWorker(t, &Sink{Name: "s", Sink: verdictSink{v}, Policy: Policy{MaxAttempts: 3, Initial: time.Millisecond, Max: time.Millisecond}})
		w.Sender = okSender{}
		d := newFake(1, "x")
		w.Handle(context.Background(), d)
		if how, _ := d.settled(); how != "nak" {
			t.Fatalf("verdict %+v settled %q, want a retry", v, how)
		}
		r, err := w.Queue.History().Get(context.Background(), d.ID())
		if err != nil || r.State != queue.StateRetrying || r.Attempts[0].Reason == "" {
			t.Fatalf("record %+v %v", r, err)
		}
	}
}

// TestEveryDeadRecordHasAReason: a permanent failure without words still
// records and terminates with a reason.
func TestEveryDeadRecordHasAReason(t *testing.T) {
	for _, v := range []sdk.Verdict{{Outcome: sdk.Fail}, {Outcome: sdk.Retry}} {
		w := newWorker(t, &Sink{Name: "s", Sink: verdictSink{v}, Policy: Policy{MaxAttempts: 1}})
		w.Sender = okSender{}
		d := newFake(1, "x")
		w.Handle(context.Background(), d)
		how, reason := d.settled()
		r, err := w.Queue.History().Get(context.Background(), d.ID())
		if how != "term" || reason == "" || err != nil || r.State != queue.StateDead || r.Attempts[len(r.Attempts)-1].Reason == "" {
			t.Fatalf("verdict %+v: settled %q reason %q, record %+v %v", v, how, reason, r, err)
		}
	}
}

// busy is a transform whose runtime pool is exhausted.
type busy struct{}

func (busy) Transform(context.Context, sdk.Message) ([]sdk.Message, error) {
	return nil, errors.New("script.js: no free runtime within 200ms (raise pool_size?)")
}
func (busy) Close(context.Context) error { return nil }

// TestTransformCapacityErrorsDoNotTripTheBreaker: transforms run outside
// the breaker; a busy pool says nothing about the destination.
func TestTransformCapacityErrorsDoNotTripTheBreaker(t *testing.T) {
	sink := &flaky{}
	b := NewBreaker("p/s", 2, time.Hour, nil)
	w := newWorker(t, &Sink{Name: "s", Sink: sink, Breaker: b, Transforms: []sdk.Transform{busy{}}, Policy: Policy{MaxAttempts: 10, Initial: time.Millisecond, Max: time.Millisecond}})
	for i := range 5 {
		d := newFake(uint64(i+1), "x")
		w.Handle(context.Background(), d)
		if how, _ := d.settled(); how != "nak" {
			t.Fatalf("settled %q", how)
		}
	}
	if b.State() != gobreaker.StateClosed {
		t.Fatalf("breaker %s after transform capacity errors", b.State())
	}
}

// errDown stands for the gRPC error of a plugin process that is gone.
var errDown = errors.New("plugin unavailable: connection refused")

// fakePlugin crashes when told and comes back after restartAfter.
type fakePlugin struct {
	mu           sync.Mutex
	gen          uint64
	down         bool
	restarted    chan struct{}
	crashes      int
	restartAfter time.Duration
}

func newFakePlugin() *fakePlugin {
	return &fakePlugin{restarted: make(chan struct{}), restartAfter: 400 * time.Millisecond}
}

func (p *fakePlugin) Name() string               { return "fake" }
func (p *fakePlugin) Crashed(uint64) bool        { return true }
func (p *fakePlugin) Exited() bool               { _, down := p.state(); return down }
func (p *fakePlugin) Unavailable(err error) bool { return errors.Is(err, errDown) }
func (p *fakePlugin) Generation() uint64         { p.mu.Lock(); defer p.mu.Unlock(); return p.gen }
func (p *fakePlugin) Restarted(after uint64) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gen > after {
		c := make(chan struct{})
		close(c)
		return c
	}
	return p.restarted
}

// crash takes the process down; it comes back after restartAfter.
func (p *fakePlugin) crash() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return
	}
	p.down = true
	p.crashes++
	go func() {
		time.Sleep(p.restartAfter)
		p.mu.Lock()
		p.down = false
		p.gen++
		close(p.restarted)
		p.restarted = make(chan struct{})
		p.mu.Unlock()
	}()
}

func (p *fakePlugin) state() (gen uint64, down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gen, p.down
}

// pluginSink runs in fakePlugin: calls fail while it is down or when it
// goes down during them; a "poison" message takes it down.
type pluginSink struct {
	p     *fakePlugin
	calls atomic.Int64
}

func (s *pluginSink) Render(context.Context, sdk.Message) (*sdk.Outbound, error) {
	return nil, errors.New("unused")
}
func (s *pluginSink) Close(context.Context) error { return nil }
func (s *pluginSink) Deliver(_ context.Context, m sdk.Message) error {
	s.calls.Add(1)
	gen, down := s.p.state()
	if down {
		return errDown
	}
	if string(m.Body) == "poison" {
		s.p.crash()
		return errDown
	}
	time.Sleep(10 * time.Millisecond) // in flight for a while
	if g, d := s.p.state(); d || g != gen {
		return errDown
	}
	return nil
}

// TestPluginRestartWaitsWithoutSpendingAnAttemptNorTrippingTheBreaker: a
// delivery whose plugin is down waits for it, keeps its attempt and never
// counts against the destination.
func TestPluginRestartWaitsWithoutSpendingAnAttemptNorTrippingTheBreaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePlugin()
		sink := &pluginSink{p: p}
		b := NewBreaker("p/s", 1, time.Hour, nil)
		w := newWorker(t, &Sink{Name: "s", Sink: sink, Breaker: b, Plugins: []*PluginGuard{NewPluginGuard(p)}, Policy: Policy{MaxAttempts: 1}})
		p.crash()
		ds := make([]*fake, 4)
		for i := range ds {
			ds[i] = newFake(uint64(i+1), "x")
			go w.Handle(context.Background(), ds[i])
		}
		synctest.Wait()
		if b.State() != gobreaker.StateClosed {
			t.Fatalf("breaker %s while the plugin restarts", b.State())
		}
		for _, d := range ds {
			if how, _ := d.settled(); how != "" {
				t.Fatalf("settled %q while the plugin was down", how)
			}
		}
		time.Sleep(time.Second)
		synctest.Wait()
		for _, d := range ds {
			if how, reason := d.settled(); how != "ack" {
				t.Fatalf("settled %q (%s) after the restart, want ack on the only attempt", how, reason)
			}
		}
		if b.State() != gobreaker.StateClosed {
			t.Fatalf("breaker %s", b.State())
		}
	})
}

// TestMessageThatCrashesThePluginIsDeadLetteredAlone: the message that
// takes the plugin down each time it is handled alone is dead-lettered
// with that reason; the messages in flight with it are delivered.
func TestMessageThatCrashesThePluginIsDeadLetteredAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePlugin()
		sink := &pluginSink{p: p}
		w := newWorker(t, &Sink{Name: "s", Sink: sink, Breaker: NewBreaker("p/s", 1, time.Hour, nil), Plugins: []*PluginGuard{NewPluginGuard(p)}, Policy: Policy{MaxAttempts: 1}})
		var ds []*fake
		var wg sync.WaitGroup
		for i := range 10 {
			body := "x"
			if i == 3 {
				body = "poison"
			}
			d := newFake(uint64(i+1), body)
			ds = append(ds, d)
			wg.Go(func() { w.Handle(context.Background(), d) })
			if i == 2 {
				time.Sleep(time.Millisecond) // the others are in flight
			}
		}
		wg.Wait()
		time.Sleep(time.Second) // the last crash's restart
		for i, d := range ds {
			how, reason := d.settled()
			if i == 3 {
				if how != "term" || !strings.Contains(reason, "crashes the plugin") {
					t.Fatalf("poison: %s %q", how, reason)
				}
				continue
			}
			if how != "ack" {
				t.Fatalf("message %d: %s %q; only the poison may die", i, how, reason)
			}
		}
		if p.crashes != PoisonStrikes+1 {
			t.Fatalf("%d crashes, want %d", p.crashes, PoisonStrikes+1)
		}
	})
}

// TestDestinationBackIsNoticedWithinTheCooldownWithoutHammering: with the
// default cooldown (2 s), a destination down for ten minutes gets at most
// one trial per 2 s once the backoff has grown (not a stream of requests),
// and when it comes back at any moment the first delivery reaches it
// within 2 s.
func TestDestinationBackIsNoticedWithinTheCooldownWithoutHammering(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		b := NewBreaker("p/s", 3, 2*time.Second, nil)
		var down atomic.Bool
		down.Store(true)
		var calls atomic.Int64
		var firstOK atomic.Int64 // unix nanos of the first success
		attempt := func() Result {
			calls.Add(1)
			if down.Load() {
				return Failed
			}
			firstOK.CompareAndSwap(0, time.Now().UnixNano())
			return Passed
		}
		// Eight workers keep trying, as a sink's deliveries do.
		for range 8 {
			wg.Go(func() {
				for ctx.Err() == nil {
					if b.Do(ctx, nil, 0, attempt) != nil {
						return
					}
					time.Sleep(10 * time.Millisecond) // the retry backoff
				}
			})
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		before := calls.Load()
		time.Sleep(9 * time.Minute)
		synctest.Wait()
		if n := calls.Load() - before; n > 9*60/2+1 {
			t.Fatalf("%d requests in 9 minutes to a destination that is down; want at most one per 2 s", n)
		}
		if n := calls.Load(); n < 9*60/2 {
			t.Fatalf("only %d trials in 10 minutes: the destination is not being probed", n)
		}
		time.Sleep(1234 * time.Millisecond) // back at an arbitrary moment
		back := time.Now()
		down.Store(false)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		ok := firstOK.Load()
		if ok == 0 {
			t.Fatal("no delivery within 2 s of the destination coming back")
		}
		if d := time.Unix(0, ok).Sub(back); d > 2*time.Second {
			t.Fatalf("first delivery %s after the destination came back", d)
		}
		if b.State() != gobreaker.StateClosed {
			t.Fatalf("breaker %s after a success", b.State())
		}
	})
}
