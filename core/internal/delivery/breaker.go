package delivery

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Breaker is a sink's circuit breaker (gobreaker underneath) that callers
// wait on instead of being refused: while it is open, or while its one
// half-open trial runs, Do blocks until the state changes. Nothing polls:
// an open breaker wakes its waiters with one timer at the end of the
// cooldown, and every state change wakes them through a channel.
//
// The cooldown backs off: the first trial goes out an eighth of cooldown
// after the breaker opened, and each failed trial doubles the wait, up to
// cooldown. A destination back after a short blip is noticed at once; one
// that stays down gets one request per cooldown (2 s by default), so it is
// also noticed within cooldown of coming back, without being hammered.
type Breaker struct {
	cb       *gobreaker.CircuitBreaker[struct{}]
	first    time.Duration
	cooldown time.Duration

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every state change
	openUntil time.Time
	wait      time.Duration // the current open period
}

// firstCooldown is the first open period for cooldown.
func firstCooldown(cooldown time.Duration) time.Duration {
	return max(cooldown/8, time.Millisecond)
}

// errExcluded marks an attempt that says nothing about the destination
// (a plugin that was down, a shutdown): it neither closes nor trips the
// breaker, and frees a half-open trial for the next caller.
var errExcluded = errors.New("not the destination's answer")

// NewBreaker opens after failures consecutive destination failures; then
// one trial decides, after cooldown/8 the first time and twice as long
// after each failed trial, never more than cooldown.
func NewBreaker(name string, failures int, cooldown time.Duration, log *slog.Logger) *Breaker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cooldown = max(cooldown, time.Millisecond)
	b := &Breaker{first: firstCooldown(cooldown), cooldown: cooldown, changed: make(chan struct{})}
	n := uint32(max(failures, 1))
	b.cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        name,
		MaxRequests: 1,
		// gobreaker's own timeout is the shortest period; Do holds
		// callers until openUntil, which carries the backoff.
		Timeout:     b.first,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= n },
		IsExcluded:  func(err error) bool { return errors.Is(err, errExcluded) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			log.Warn("circuit breaker "+to.String(), "sink", name, "from", from.String())
			b.mu.Lock()
			switch {
			case to == gobreaker.StateOpen && from == gobreaker.StateHalfOpen:
				b.wait = min(2*b.wait, b.cooldown) // the trial failed
			case to == gobreaker.StateOpen:
				b.wait = b.first
			}
			if to == gobreaker.StateOpen {
				b.openUntil = time.Now().Add(b.wait)
			}
			close(b.changed)
			b.changed = make(chan struct{})
			b.mu.Unlock()
		},
	})
	return b
}

// State is the breaker's current state (open until the current open
// period ends, whatever gobreaker's shorter timeout says).
func (b *Breaker) State() gobreaker.State {
	b.mu.Lock()
	until := b.openUntil
	b.mu.Unlock()
	if time.Now().Before(until) {
		return gobreaker.StateOpen
	}
	return b.cb.State()
}

// Result is what an attempt tells the breaker.
type Result int

// Results of an attempt.
const (
	// Passed: the destination answered as it should.
	Passed Result = iota
	// Failed: the destination failed (counts towards opening).
	Failed
	// Excluded: the attempt says nothing about the destination.
	Excluded
)

// Do runs attempt once the breaker lets it through. Refusals (open, or
// half-open with its trial taken) are waited out, never returned: the
// attempt runs exactly once unless ctx ends first, in which case Do
// returns ctx's error without running it. While waiting, hold is called
// every holdEvery (to keep a queue lease); nil means none.
func (b *Breaker) Do(ctx context.Context, hold func(), holdEvery time.Duration, attempt func() Result) error {
	var tick <-chan time.Time
	if hold != nil && holdEvery > 0 {
		t := time.NewTicker(holdEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.mu.Lock()
		changed, until := b.changed, b.openUntil
		b.mu.Unlock()
		if time.Now().Before(until) {
			// Open, backing off: wait out this open period.
			timer := time.NewTimer(time.Until(until))
			err := waitFor(ctx, changed, timer.C, tick, hold)
			timer.Stop()
			if err != nil {
				return err
			}
			continue
		}
		_, err := b.cb.Execute(func() (struct{}, error) {
			switch attempt() {
			case Failed:
				return struct{}{}, errors.New("destination failed")
			case Excluded:
				return struct{}{}, errExcluded
			}
			return struct{}{}, nil
		})
		var timer *time.Timer
		var wake <-chan time.Time
		switch {
		case errors.Is(err, gobreaker.ErrOpenState):
			// One timer to the end of the cooldown (a millisecond past
			// it: gobreaker's expiry is strict).
			timer = time.NewTimer(time.Until(until) + time.Millisecond)
			wake = timer.C
		case errors.Is(err, gobreaker.ErrTooManyRequests):
			// Half-open and the trial is taken: wait for its outcome.
		default:
			return nil
		}
		err = waitFor(ctx, changed, wake, tick, hold)
		if timer != nil {
			timer.Stop()
		}
		if err != nil {
			return err
		}
	}
}

// waitFor blocks until ctx ends (its error), or changed is closed or wake
// fires (nil), calling hold on every tick.
func waitFor(ctx context.Context, changed <-chan struct{}, wake, tick <-chan time.Time, hold func()) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
			return nil
		case <-wake:
			return nil
		case <-tick:
			hold()
		}
	}
}
