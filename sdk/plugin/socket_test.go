package plugin

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
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
			renderConcurrently(t, serveWire(t, w), 64, upper)
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
	saved := handshakeWait
	t.Cleanup(func() { handshakeWait = saved }) // after the server's own cleanups
	handshakeWait = 500 * time.Millisecond
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

// slowSink blocks a render whose body is "block" until its context ends;
// it echoes any other, its body repeated times times.
type slowSink struct {
	times int
	n     atomic.Int64
}

func (s *slowSink) Render(ctx context.Context, m sdk.Message) (*sdk.Outbound, error) {
	s.n.Add(1)
	if string(m.Body) == "block" {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &sdk.Outbound{Method: "POST", URL: "https://x.test", Body: bytes.Repeat(m.Body, max(s.times, 1))}, nil
}
func (s *slowSink) Close(context.Context) error { return nil }

// TestTimedOutSocketConnectionIsNotReused: a connection whose caller gave
// up may still get the late answer; it is closed, never handed to the
// next render, which gets its own answer on the socket (a reused one
// would fail and go through gRPC).
func TestTimedOutSocketConnectionIsNotReused(t *testing.T) {
	sink := &slowSink{}
	w := wireFor(t, sink)
	w.socket = true
	remote := serveWire(t, w)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := remote.Render(ctx, sdk.Message{Event: &sdk.Event{ID: "e"}, Body: []byte("block")}); err == nil {
		t.Fatal("the blocked render succeeded")
	}
	for i := range 3 {
		body := fmt.Appendf(nil, `{"i":%d}`, i)
		out, err := remote.Render(context.Background(), sdk.Message{Event: &sdk.Event{ID: "e"}, Body: body})
		if err != nil || !bytes.Equal(out.Body, body) {
			t.Fatalf("render %d after the timeout: %+v %v", i, out, err)
		}
	}
	if w.streams != 0 || w.unaries != 0 {
		t.Errorf("%d streams and %d unary renders after the timeout, want none", w.streams, w.unaries)
	}
}

// TestOversizedSocketRenderIsPermanent: a request or a rendered answer
// over the message limit is a permanent error, as on gRPC, and is not
// asked again through gRPC (it would be refused there too).
func TestOversizedSocketRenderIsPermanent(t *testing.T) {
	saved := frameLimit
	t.Cleanup(func() { frameLimit = saved })
	frameLimit = 4 << 10 // taken by the socket's listener and client when made
	for _, c := range []struct {
		name        string
		body        int
		times       int
		wantRenders int64
	}{{"request", 8 << 10, 1, 0}, {"answer", 2 << 10, 4, 1}} {
		t.Run(c.name, func(t *testing.T) {
			sink := &slowSink{times: c.times}
			w := wireFor(t, sink)
			w.socket = true
			remote := serveWire(t, w)
			_, err := remote.Render(context.Background(), sdk.Message{Event: &sdk.Event{ID: "e"}, Body: bytes.Repeat([]byte("x"), c.body)})
			if err == nil || !sdk.IsPermanent(err) {
				t.Errorf("err = %v, want a permanent error", err)
			}
			if n := sink.n.Load(); n != c.wantRenders {
				t.Errorf("the sink rendered %d times, want %d", n, c.wantRenders)
			}
			if w.streams != 0 || w.unaries != 0 {
				t.Errorf("%d streams and %d unary renders: asked again through gRPC", w.streams, w.unaries)
			}
		})
	}
}

// TestReleaseRemovesTheSocketDirectory: a plugin killed with SIGKILL
// cannot remove its socket's directory; the host does once the process
// is gone.
func TestReleaseRemovesTheSocketDirectory(t *testing.T) {
	w := wireFor(t, &countingSink{})
	w.socket = true
	remote, _, host := serveWireClient(t, w)
	if _, err := remote.Render(context.Background(), sdk.MessageFromEvent(&sdk.Event{ID: "e", Body: []byte("{}")})); err != nil {
		t.Fatal(err)
	}
	dir := w.server.sock.dir
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	host.Release()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still there after Release (%v)", dir, err)
	}
}

// TestValidSocket: the host uses, and removes, only what the SDK makes.
func TestValidSocket(t *testing.T) {
	tok := make([]byte, tokenSize)
	for path, want := range map[string]bool{
		filepath.Join(os.TempDir(), sockDirPrefix+"123", sockName): true,
		filepath.Join(os.TempDir(), "home", sockName):              false,
		filepath.Join(sockDirPrefix+"123", sockName):               false,
		filepath.Join(os.TempDir(), sockDirPrefix+"123", "x"):      false,
		"/": false,
	} {
		if got := validSocket(path, tok); got != want {
			t.Errorf("validSocket(%q) = %v, want %v", path, got, want)
		}
	}
	if validSocket(filepath.Join(os.TempDir(), sockDirPrefix+"1", sockName), tok[:8]) {
		t.Error("a short token was accepted")
	}
}
