package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// A full disk. When the embedded store fails to write (ENOSPC), NATS marks
// the stream with a sticky write error and from then on never answers a
// publish: before this watch, every request waited for its full timeout
// and got 503 until hookferry was restarted, while /readyz said ready.
//
// The watch checks the store's disk and health a few times a second:
//   - below MinFree free bytes, events are refused at once (503) and the
//     queue is not ready, before the store ever hits ENOSPC;
//   - a store write error (another process filled the disk) makes it not
//     ready and cuts short the publishes waiting for an answer; once space
//     is free again, JetStream is restarted over its own files, in
//     process, and the queue takes events again.

// DefaultMinFree is the free space the embedded store keeps on its disk
// unless JetStreamConfig.MinFree says otherwise (it grows to four times the
// largest message when that is more).
const DefaultMinFree = 32 << 20

// restartFree is the least free space needed to restart a store that
// failed to write (with MinFree off).
const restartFree = 1 << 20

// Readiness is implemented by queues that can tell whether they store
// events right now.
type Readiness interface {
	// Ready reports why events cannot be stored now, or nil.
	Ready() error
}

var _ Readiness = (*JetStream)(nil)

// health is the store's state as last checked.
type health struct {
	mu   sync.Mutex
	err  error
	down context.Context // cancelled with err when the store goes bad
	fail context.CancelCauseFunc
}

func newHealth() *health {
	h := &health{}
	h.down, h.fail = context.WithCancelCause(context.Background())
	return h
}

func (h *health) get() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// set records the state; going bad cancels the publishes waiting on it.
func (h *health) set(err error) (changed bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	was := h.err
	h.err = err
	switch {
	case was == nil && err != nil:
		h.fail(err)
		return true
	case was != nil && err == nil:
		h.down, h.fail = context.WithCancelCause(context.Background())
		return true
	}
	return was != nil && err != nil && was.Error() != err.Error()
}

// bind returns ctx, also cancelled when the store goes bad.
func (h *health) bind(ctx context.Context) (context.Context, func()) {
	h.mu.Lock()
	down := h.down
	h.mu.Unlock()
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(down, func() { cancel(context.Cause(down)) })
	return ctx, func() { stop(); cancel(nil) }
}

// Ready reports whether the queue stores events now: not while the
// embedded store's disk is (nearly) full or its store failed to write, nor
// while an external server is unreachable.
func (q *JetStream) Ready() error {
	if err := q.health.get(); err != nil {
		return err
	}
	if st := q.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("queue: NATS connection %s", strings.ToLower(st.String()))
	}
	return nil
}

// unavailable is the error Publish returns when the store is known bad.
func (q *JetStream) unavailable() error {
	if err := q.health.get(); err != nil {
		return fmt.Errorf("%w: %v", ErrFull, err)
	}
	return nil
}

func (q *JetStream) startWatch() {
	if q.ns == nil {
		return
	}
	q.watchStop, q.watchDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(q.watchDone)
		t := time.NewTicker(q.cfg.HealthEvery)
		defer t.Stop()
		for {
			select {
			case <-q.watchStop:
				return
			case <-t.C:
			}
			q.checkStore()
		}
	}()
}

func (q *JetStream) stopWatch() {
	if q.watchStop != nil {
		close(q.watchStop)
		<-q.watchDone
		q.watchStop = nil
	}
}

// checkStore measures the disk and the store's health once, restarts a
// failed store when there is room again, and records the outcome.
func (q *JetStream) checkStore() {
	free, _, measured := diskSpace(q.cfg.Dir)
	low := measured && q.cfg.MinFree > 0 && free < uint64(q.cfg.MinFree)
	var problem error
	fault := q.storeFault()
	switch {
	case q.syncFailed.Load() != nil:
		problem = *q.syncFailed.Load() // sticky until a restart
	case fault != nil && measured && free < uint64(max(q.cfg.MinFree, restartFree)):
		problem = fmt.Errorf("queue: the store failed to write (%v) and its disk is full (%s free): waiting for space", fault, sizeText(int64(free)))
	case fault != nil:
		if err := q.restartStore(); err != nil {
			problem = fmt.Errorf("queue: the store failed to write (%v) and could not be restarted: %w", fault, err)
		} else if low {
			problem = q.lowSpace(free)
		}
	case low:
		problem = q.lowSpace(free)
	}
	if q.health.set(problem) {
		if problem != nil {
			q.log.Error("queue: not taking events; senders get 503", "reason", problem.Error())
		} else {
			q.log.Info("queue: taking events again")
		}
	}
}

func (q *JetStream) lowSpace(free uint64) error {
	return fmt.Errorf("queue: the store's disk is nearly full: %s free, %s kept free", sizeText(int64(free)), sizeText(q.cfg.MinFree))
}

// storeFault reports JetStream disabled or a stream with a write error.
func (q *JetStream) storeFault() error {
	if !q.ns.JetStreamEnabled() {
		return errors.New("JetStream is disabled")
	}
	if hs := q.ns.Healthz(&server.HealthzOptions{}); hs.Error != "" && strings.Contains(hs.Error, "write error") {
		return errors.New(hs.Error)
	}
	return nil
}

// restartStore restarts the embedded JetStream over its files, as the
// NATS server does on a config reload after it disabled JetStream. The
// connection, streams and consumers keep their names; pulls resume after
// a missed heartbeat.
func (q *JetStream) restartStore() error {
	q.log.Warn("queue: restarting the embedded JetStream after a write failure")
	if q.ns.JetStreamEnabled() {
		if err := q.ns.ShutdownJetStream(); err != nil {
			return err
		}
	}
	o := q.nsOpts
	return q.ns.EnableJetStream(&server.JetStreamConfig{
		StoreDir: o.StoreDir, SyncAlways: o.SyncAlways, SyncInterval: o.SyncInterval,
		MaxMemory: o.JetStreamMaxMemory, MaxStore: o.JetStreamMaxStore,
		Strict: !o.NoJetStreamStrict, CompressOK: true,
	})
}
