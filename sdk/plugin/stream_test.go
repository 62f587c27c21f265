package plugin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

func wireFor(t *testing.T, sink sdk.Sink) *wire {
	t.Helper()
	def := sdk.DefineSink("s", "", schema.Block{}, func(context.Context, sdk.Config) (sdk.Sink, error) { return sink, nil })
	srv, err := newServer("t", "0", []sdk.Definition{def}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return &wire{server: srv}
}

// TestConcurrentRendersShareOneStream: renders from many deliveries at
// once travel on one RenderStream, and each gets its own answer.
func TestConcurrentRendersShareOneStream(t *testing.T) {
	w := wireFor(t, &echoSink{upper: true})
	renderConcurrently(t, serveWire(t, w), 64, true)
	if w.streams != 1 || w.unaries != 0 {
		t.Errorf("%d streams and %d unary renders, want 1 and 0", w.streams, w.unaries)
	}
}

// renderConcurrently renders n distinct messages at once through remote,
// an echoSink's (its bodies upper-cased when upper), and checks that each
// gets its own answer.
func renderConcurrently(t *testing.T, remote sdk.Sink, n int, upper bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a lost answer fails, not hangs
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			body := fmt.Appendf(nil, `{"n":"event-%d"}`, i)
			out, err := remote.Render(ctx, sdk.MessageFromEvent(&sdk.Event{ID: "e", Body: body}))
			if err != nil {
				errs <- err
				return
			}
			want := body
			if upper {
				want = bytes.ToUpper(body)
			}
			if !bytes.Equal(out.Body, want) {
				errs <- fmt.Errorf("render %d got %q, want %q", i, out.Body, want)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// blockSink renders only when its context ends, and says whether that
// context had a deadline.
type blockSink struct {
	deadline chan bool
}

func (s *blockSink) Render(ctx context.Context, _ sdk.Message) (*sdk.Outbound, error) {
	_, ok := ctx.Deadline()
	s.deadline <- ok
	<-ctx.Done()
	return nil, ctx.Err()
}
func (s *blockSink) Close(context.Context) error { return nil }

// TestStreamedRenderKeepsTheCallersDeadline: the caller's deadline reaches
// the plugin's render, and the caller gets a retryable error, as with a
// unary call.
func TestStreamedRenderKeepsTheCallersDeadline(t *testing.T) {
	sink := &blockSink{deadline: make(chan bool, 1)}
	remote := serveWire(t, wireFor(t, sink))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := remote.Render(ctx, sdk.Message{Event: &sdk.Event{ID: "e"}, Body: []byte("{}")})
	// Whichever comes first, the caller's own deadline or the plugin's
	// answer that its render ran out of time, it is a retryable error.
	if err == nil || sdk.IsPermanent(err) {
		t.Errorf("err = %v, want a retryable deadline error", err)
	}
	if !<-sink.deadline {
		t.Error("the plugin's render had no deadline")
	}
}

// TestStreamEndFailsWaitingRendersRetryably: when the plugin goes away
// (it crashed), a render waiting on the stream fails as a transport
// failure, never as a permanent one, and does not hang.
func TestStreamEndFailsWaitingRendersRetryably(t *testing.T) {
	sink := &blockSink{deadline: make(chan bool, 1)}
	remote, gs := serveWireServer(t, wireFor(t, sink))
	done := make(chan error, 1)
	go func() {
		_, err := remote.Render(context.Background(), sdk.Message{Event: &sdk.Event{ID: "e"}, Body: []byte("{}")})
		done <- err
	}()
	<-sink.deadline // the render is in the plugin
	gs.Stop()
	select {
	case err := <-done:
		if err == nil || sdk.IsPermanent(err) {
			t.Fatalf("err = %v, want a retryable transport failure", err)
		}
		if c := status.Code(errors.Unwrap(err)); c != codes.Unavailable && c != codes.Canceled {
			t.Errorf("code %v (%v), want Unavailable or Canceled", c, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the render still waits after the plugin went away")
	}
}
