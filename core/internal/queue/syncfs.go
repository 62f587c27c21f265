package queue

import (
	"context"
	"sync/atomic"
)

// Group commit with sync = "always", where the platform can sync a whole
// filesystem (Linux's syncfs). The embedded server then runs without
// fsyncing each write: a publish is acknowledged once the server has
// written the message into its block file (a single-replica file store
// writes in place before it acks), and the store is durable once that
// file's filesystem is synced. So each caller first writes, then waits
// for one syncfs that began after its write; every write that landed
// while the previous sync ran shares the next one. A batch costs one
// syncfs (~0.4 ms for 64 events here) instead of an atomic batch's
// staging store (four fsyncs, every event written twice): see
// docs/operations.md and BenchmarkPublish.
//
// The price: syncfs flushes everything dirty on that filesystem, the
// store's own writes and any other program's, so the store's directory
// is best on a filesystem of its own when other programs write a lot.

// syncer releases each waiter after a sync that started after it asked.
type syncer struct {
	sync func() error
	req  chan chan error
	stop chan struct{}
	done chan struct{}
	// syncs and waited count syncs done and callers released (tests).
	syncs, waited atomic.Int64
}

func newSyncer(sync func() error) *syncer {
	s := &syncer{sync: sync, req: make(chan chan error, 1024), stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

// wait returns once everything written before the call is durable, or
// the sync failed. A caller that gives up (ctx) may still be synced.
func (s *syncer) wait(ctx context.Context) error {
	ch := make(chan error, 1)
	select {
	case s.req <- ch:
	case <-s.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-ch:
		return err
	case <-s.done:
		// Closed: a request queued after the last round is answered
		// by nobody.
		select {
		case err := <-ch:
			return err
		default:
			return ErrClosed
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *syncer) run() {
	defer close(s.done)
	waiters := make([]chan error, 0, 256)
	for {
		waiters = waiters[:0]
		select {
		case ch := <-s.req:
			waiters = append(waiters, ch)
		case <-s.stop:
			s.failPending()
			return
		}
		// Everyone who asked before this sync starts is covered by it.
	take:
		for {
			select {
			case ch := <-s.req:
				waiters = append(waiters, ch)
			default:
				break take
			}
		}
		err := s.sync()
		s.syncs.Add(1)
		s.waited.Add(int64(len(waiters)))
		for _, ch := range waiters {
			ch <- err
		}
	}
}

func (s *syncer) failPending() {
	for {
		select {
		case ch := <-s.req:
			ch <- ErrClosed
		default:
			return
		}
	}
}

func (s *syncer) close() {
	close(s.stop)
	<-s.done
}
