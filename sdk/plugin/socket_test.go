package plugin

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	pb "github.com/hookferry/hookferry/sdk/internal/proto/hookferry/v1"

	"github.com/hookferry/hookferry/sdk"
)

// countingSink is echoSink that counts its renders.
type countingSink struct {
	echoSink
	n atomic.Int64
}

func (s *countingSink) Render(ctx context.Context, m sdk.Message) (*sdk.Outbound, error) {
	s.n.Add(1)
	return s.echoSink.Render(ctx, m)
}

// TestRendersGoThroughTheSocket: a plugin that offers the render socket
// gets every render there, none through gRPC, concurrent renders each get
// their own answer, and body references work as on gRPC (the sink sees
// the full body, the host gets the rendered one).
func TestRendersGoThroughTheSocket(t *testing.T) {
	for _, upper := range []bool{false, true} {
		t.Run(fmt.Sprint("upper=", upper), func(t *testing.T) {
			sink := &countingSink{echoSink: echoSink{upper: upper}}
			w := wireFor(t, sink)
			w.socket = true
			remote := serveWire(t, w)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for i := range 64 {
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
			if w.streams != 0 || w.unaries != 0 {
				t.Errorf("%d streams and %d unary renders, want none (all on the socket)", w.streams, w.unaries)
			}
			if n := sink.n.Load(); n != 64 {
				t.Errorf("the sink rendered %d times, want 64", n)
			}
			if sink.seen.Event == nil || len(sink.seen.Body) == 0 || !bytes.Equal(sink.seen.Body, sink.seen.Event.Body) {
				t.Errorf("sink saw body %q and event %+v, want the full body in both", sink.seen.Body, sink.seen.Event)
			}
		})
	}
}

// TestRenderSocketNeedsTheToken: a connection to the socket that does not
// open with the token is closed without a render.
func TestRenderSocketNeedsTheToken(t *testing.T) {
	sink := &countingSink{}
	w := wireFor(t, sink)
	w.socket = true
	remote := serveWire(t, w)
	if _, err := remote.Render(context.Background(), sdk.MessageFromEvent(&sdk.Event{ID: "e", Body: []byte("{}")})); err != nil {
		t.Fatal(err)
	}
	l := w.server.sock
	if l == nil {
		t.Fatal("no render socket was opened")
	}
	if fi, err := os.Stat(l.dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket directory %v %v, want mode 0700", fi, err)
	}
	req, _ := proto.Marshal(&pb.RenderRequest{Message: &pb.Message{Body: []byte("{}")}})
	for name, token := range map[string][]byte{"wrong token": bytes.Repeat([]byte{1}, tokenSize), "no token": nil, "a render instead": req} {
		c, err := net.Dial("unix", l.path)
		if err != nil {
			t.Fatal(err)
		}
		bw, br := bufio.NewWriter(c), bufio.NewReader(c)
		_ = writeFrame(bw, token)
		_ = writeFrame(bw, req)
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := readFrame(br, nil); err == nil {
			t.Errorf("%s: the plugin answered", name)
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("%s: the connection was left open", name)
		}
		_ = c.Close()
	}
	if n := sink.n.Load(); n != 1 {
		t.Errorf("the sink rendered %d times, want 1 (only the host's)", n)
	}
}

// TestRenderSocketFailureFallsBackToGRPC: when the socket stops answering
// (its connections end, its path is gone), renders go through gRPC, with
// no error for the caller: a render has no side effects, so asking again
// is safe.
func TestRenderSocketFailureFallsBackToGRPC(t *testing.T) {
	sink := &countingSink{}
	w := wireFor(t, sink)
	w.socket = true
	remote := serveWire(t, w)
	render := func() {
		t.Helper()
		out, err := remote.Render(context.Background(), sdk.MessageFromEvent(&sdk.Event{ID: "e", Body: []byte(`{"a":1}`)}))
		if err != nil || !bytes.Equal(out.Body, []byte(`{"a":1}`)) {
			t.Fatalf("render: %+v %v", out, err)
		}
	}
	render()
	if w.streams != 0 {
		t.Fatalf("%d streams before the socket went away, want 0", w.streams)
	}
	w.server.sock.close() // the idle connection breaks, the path goes
	render()              // on the broken connection, then on gRPC
	render()              // the dial fails: gRPC
	if w.streams != 1 {
		t.Errorf("%d streams, want 1 (both renders after the socket went away)", w.streams)
	}
}

// TestSocketRenderKeepsTheCallersDeadline: the caller's deadline reaches
// the plugin's render through the socket, and the caller gets a retryable
// error when it passes, without waiting for the plugin.
func TestSocketRenderKeepsTheCallersDeadline(t *testing.T) {
	sink := &blockSink{deadline: make(chan bool, 1)}
	w := wireFor(t, sink)
	w.socket = true
	remote := serveWire(t, w)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := remote.Render(ctx, sdk.Message{Event: &sdk.Event{ID: "e"}, Body: []byte("{}")})
	if err == nil || sdk.IsPermanent(err) {
		t.Errorf("err = %v, want a retryable deadline error", err)
	}
	if !<-sink.deadline {
		t.Error("the plugin's render had no deadline")
	}
	if w.streams != 0 || w.unaries != 0 {
		t.Errorf("%d streams and %d unary renders: the timed-out render was asked again through gRPC", w.streams, w.unaries)
	}
}
