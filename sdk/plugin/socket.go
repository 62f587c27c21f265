package plugin

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	pb "github.com/hookferry/hookferry/sdk/internal/proto/hookferry/v1"
)

// The render socket: renders without gRPC. A unary or streamed gRPC
// render crosses goroutines four times (the caller, the transport's
// writer and reader on each side), and on a small machine each hand-off
// can cost a thread wake-up; a render is a pure function of its message,
// the call on the delivery path, and small. So the plugin also listens on
// a Unix socket in a directory only its user can enter, and the host,
// which learns the path and a random token over the (mutually
// authenticated) gRPC connection, sends renders there: one call at a time
// per connection, length-prefixed protobuf frames, the caller's goroutine
// writing and reading itself. Anything that goes wrong on it (a dial, a
// broken connection) makes the host render through gRPC instead, which is
// safe because a render has no side effects.

const (
	// tokenSize is the render socket's token length.
	tokenSize = 32
	// idleSockets is how many connections the host keeps for reuse.
	idleSockets = 128
	// tokenWait bounds how long the plugin waits for a connection's token.
	tokenWait = 5 * time.Second
	// sockBuffer is each direction's buffer: a typical render in one read.
	sockBuffer = 64 << 10
)

// writeFrame writes b as one frame and flushes it.
func writeFrame(w *bufio.Writer, b []byte) error {
	var h [4]byte
	binary.LittleEndian.PutUint32(h[:], uint32(len(b)))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	return w.Flush()
}

// readFrame reads one frame into buf (grown as needed), refusing one
// larger than MaxMessageSize.
func readFrame(r *bufio.Reader, buf []byte) ([]byte, error) {
	return readFrameMax(r, buf, MaxMessageSize)
}

// readFrameMax is readFrame refusing a frame over limit bytes before
// reading (or allocating for) it.
func readFrameMax(r *bufio.Reader, buf []byte, limit uint32) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint32(h[:])
	if n > limit {
		return nil, fmt.Errorf("render socket: a frame of %d bytes is over the %d-byte limit", n, limit)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err := io.ReadFull(r, buf)
	return buf, err
}

// sockListener is the plugin's side: one listener per process, opened on
// the first Configure.
type sockListener struct {
	dir, path string
	token     []byte
	ln        net.Listener

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// renderSocket opens the process's render socket once; an error leaves
// renders to gRPC (logged, not fatal).
func (s *server) renderSocket() *sockListener {
	s.sockOnce.Do(func() {
		l, err := listenRenderSocket(s)
		if err != nil {
			s.log.Warn("render socket not opened; renders go through gRPC", "error", err)
			return
		}
		s.sock = l
	})
	return s.sock
}

func listenRenderSocket(s *server) (*sockListener, error) {
	dir, err := os.MkdirTemp("", "hookferry-render-") // 0700
	if err != nil {
		return nil, err
	}
	l := &sockListener{dir: dir, path: filepath.Join(dir, "s"), token: make([]byte, tokenSize), conns: map[net.Conn]struct{}{}}
	if _, err := rand.Read(l.token); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if l.ln, err = net.Listen("unix", l.path); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	go l.accept(s)
	return l, nil
}

func (l *sockListener) accept(s *server) {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return // closed
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			_ = c.Close()
			return
		}
		l.conns[c] = struct{}{}
		l.mu.Unlock()
		go l.serve(s, c)
	}
}

// serve answers one connection's renders, one after the other, once it
// has shown the token.
func (l *sockListener) serve(s *server, c net.Conn) {
	defer func() {
		_ = c.Close()
		l.mu.Lock()
		delete(l.conns, c)
		l.mu.Unlock()
	}()
	r, w := bufio.NewReaderSize(c, sockBuffer), bufio.NewWriterSize(c, sockBuffer)
	_ = c.SetReadDeadline(time.Now().Add(tokenWait))
	tok, err := readFrameMax(r, nil, tokenSize) // before the token, nothing big
	if err != nil || subtle.ConstantTimeCompare(tok, l.token) != 1 {
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	var in, out []byte
	for {
		if in, err = readFrame(r, in); err != nil {
			return
		}
		req := &pb.RenderRequest{}
		if err := proto.Unmarshal(in, req); err != nil {
			return
		}
		ctx, cancel := context.Background(), context.CancelFunc(func() {})
		if req.DeadlineUnixNano != 0 {
			ctx, cancel = context.WithDeadline(ctx, time.Unix(0, req.DeadlineUnixNano))
		}
		resp, _ := s.Render(ctx, req)
		cancel()
		if out, err = (proto.MarshalOptions{}).MarshalAppend(out[:0], resp); err != nil {
			return
		}
		if err := writeFrame(w, out); err != nil {
			return
		}
	}
}

// close stops listening, ends the connections and removes the socket's
// directory.
func (l *sockListener) close() {
	if l == nil {
		return
	}
	_ = l.ln.Close()
	l.mu.Lock()
	l.closed = true
	for c := range l.conns {
		_ = c.Close()
	}
	l.mu.Unlock()
	_ = os.RemoveAll(l.dir)
}

// sockClient is the host's side for one plugin process: a pool of
// connections to its render socket.
type sockClient struct {
	path  string
	token []byte

	mu     sync.Mutex
	idle   []*sockConn
	broken bool // a dial failed: this process's renders go through gRPC
}

type sockConn struct {
	c    net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	buf  []byte
	dead bool // its deadline was forced or a call failed: not reused
}

// errSocketDown says the socket cannot be used; the caller renders
// through gRPC instead.
var errSocketDown = errors.New("render socket unavailable")

func (sc *sockClient) get() (*sockConn, error) {
	sc.mu.Lock()
	if sc.broken {
		sc.mu.Unlock()
		return nil, errSocketDown
	}
	if n := len(sc.idle); n > 0 {
		c := sc.idle[n-1]
		sc.idle = sc.idle[:n-1]
		sc.mu.Unlock()
		return c, nil
	}
	sc.mu.Unlock()
	c, err := net.DialTimeout("unix", sc.path, tokenWait)
	if err != nil {
		sc.mu.Lock()
		sc.broken = true
		sc.mu.Unlock()
		return nil, fmt.Errorf("%w: %v", errSocketDown, err)
	}
	conn := &sockConn{c: c, r: bufio.NewReaderSize(c, sockBuffer), w: bufio.NewWriterSize(c, sockBuffer)}
	if err := writeFrame(conn.w, sc.token); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("%w: %v", errSocketDown, err)
	}
	return conn, nil
}

func (sc *sockClient) put(c *sockConn) {
	if c.dead {
		_ = c.c.Close()
		return
	}
	sc.mu.Lock()
	if len(sc.idle) < idleSockets && !sc.broken {
		sc.idle = append(sc.idle, c)
		c = nil
	}
	sc.mu.Unlock()
	if c != nil {
		_ = c.c.Close()
	}
}

// close closes the idle connections and refuses new ones.
func (sc *sockClient) close() {
	sc.mu.Lock()
	idle := sc.idle
	sc.idle, sc.broken = nil, true
	sc.mu.Unlock()
	for _, c := range idle {
		_ = c.c.Close()
	}
}

// call renders req on one connection. An error wrapping errSocketDown
// means the render may not have happened and gRPC should be asked; a
// context error is returned as it is.
func (sc *sockClient) call(ctx context.Context, req *pb.RenderRequest) (*pb.RenderResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if d, ok := ctx.Deadline(); ok {
		req.DeadlineUnixNano = d.UnixNano()
	}
	c, err := sc.get()
	if err != nil {
		return nil, err
	}
	// The caller's context ends the wait: an expired deadline on the
	// connection wakes its read (the connection is then not reused).
	stop := context.AfterFunc(ctx, func() { _ = c.c.SetDeadline(time.Unix(1, 0)) })
	resp, err := c.roundTrip(req)
	if !stop() {
		c.dead = true
	}
	if err != nil {
		c.dead = true
	}
	sc.put(c)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %v", errSocketDown, err)
	}
	return resp, nil
}

func (c *sockConn) roundTrip(req *pb.RenderRequest) (*pb.RenderResponse, error) {
	var err error
	if c.buf, err = (proto.MarshalOptions{}).MarshalAppend(c.buf[:0], req); err != nil {
		return nil, err
	}
	if len(c.buf) > MaxMessageSize {
		return nil, fmt.Errorf("render request of %d bytes is over the %d-byte limit", len(c.buf), MaxMessageSize)
	}
	if err := writeFrame(c.w, c.buf); err != nil {
		return nil, err
	}
	if c.buf, err = readFrame(c.r, c.buf); err != nil {
		return nil, err
	}
	resp := &pb.RenderResponse{}
	if err := proto.Unmarshal(c.buf, resp); err != nil {
		return nil, err
	}
	return resp, nil
}
