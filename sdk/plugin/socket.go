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
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/hookferry/hookferry/sdk/internal/proto/hookferry/v1"

	"github.com/hookferry/hookferry/sdk"
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
	// sockBuffer is each direction's buffer: a typical render in one read.
	sockBuffer = 32 << 10
	// keepBuffer is the largest encoding buffer a connection keeps
	// between calls; a larger one (a big body) is dropped after its call.
	keepBuffer = 256 << 10
	// sockDirPrefix names the socket's directory (in the plugin's temp
	// directory); the host removes only directories named so.
	sockDirPrefix = "hookferry-render-"
	// sockName is the socket's file name in it.
	sockName = "s"
)

// handshakeWait bounds the token exchange on both sides: the plugin
// waiting for a connection's token, the host for the plugin's answer (a
// variable for tests).
var handshakeWait = 5 * time.Second

// frameLimit is the largest frame, MaxMessageSize as on gRPC (a
// variable for tests; listeners and clients take it when made).
var frameLimit = MaxMessageSize

// tokenOK is the plugin's one-byte answer to a good token.
const tokenOK = 1

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
		return nil, &sizeError{int(n), int(limit)}
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err := io.ReadFull(r, buf)
	return buf, err
}

// shrink drops a buffer grown past keepBuffer by one large message.
func shrink(b []byte) []byte {
	if cap(b) > keepBuffer {
		return nil
	}
	return b
}

// validSocket reports whether a path and token a plugin announced look
// like the SDK's: an absolute path named as listenRenderSocket names it,
// and a token of tokenSize bytes. Anything else is ignored (gRPC).
func validSocket(path string, token []byte) bool {
	return len(token) == tokenSize && filepath.IsAbs(path) && filepath.Base(path) == sockName &&
		strings.HasPrefix(filepath.Base(filepath.Dir(path)), sockDirPrefix)
}

// removeSocketDir removes the directory of a socket a plugin announced,
// once its process has exited (a killed plugin cannot). Only a path
// validSocket accepts is touched.
func removeSocketDir(path string, token []byte) {
	if validSocket(path, token) {
		_ = os.RemoveAll(filepath.Dir(path))
	}
}

// sockListener is the plugin's side: one listener per process, opened on
// the first Configure.
type sockListener struct {
	dir, path string
	token     []byte
	ln        net.Listener

	wait  time.Duration // handshakeWait when it was opened
	limit int           // frameLimit when it was opened

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
	dir, err := os.MkdirTemp("", sockDirPrefix) // 0700
	if err != nil {
		return nil, err
	}
	l := &sockListener{dir: dir, path: filepath.Join(dir, sockName), token: make([]byte, tokenSize), conns: map[net.Conn]struct{}{}, wait: handshakeWait, limit: frameLimit}
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
	var pause time.Duration
	for {
		c, err := l.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			// Out of file descriptors, say: wait and accept again, as
			// net/http does (meanwhile the host's handshakes time out and
			// its renders go through gRPC).
			pause = min(max(2*pause, 5*time.Millisecond), time.Second)
			s.log.Warn("render socket: accept failed; retrying", "error", err, "in", pause)
			time.Sleep(pause)
			continue
		}
		pause = 0
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
	// Before the token: a bounded read, no buffers.
	_ = c.SetDeadline(time.Now().Add(l.wait))
	var tok [4 + tokenSize]byte
	if _, err := io.ReadFull(c, tok[:]); err != nil ||
		binary.LittleEndian.Uint32(tok[:4]) != tokenSize || subtle.ConstantTimeCompare(tok[4:], l.token) != 1 {
		return
	}
	if _, err := c.Write([]byte{tokenOK}); err != nil {
		return
	}
	_ = c.SetDeadline(time.Time{})
	r, w := bufio.NewReaderSize(c, sockBuffer), bufio.NewWriterSize(c, sockBuffer)
	var in, out []byte
	var err error
	for {
		in, out = shrink(in), shrink(out)
		if in, err = readFrameMax(r, in, uint32(l.limit)); err != nil {
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
		if len(out) > l.limit {
			// As gRPC would: a clear, permanent error, not a hang.
			resp = &pb.RenderResponse{Error: errorToPB(sdk.Permanent(fmt.Errorf("rendered request of %d bytes is over the %d MiB plugin message limit", len(out), l.limit>>20)))}
			if out, err = (proto.MarshalOptions{}).MarshalAppend(out[:0], resp); err != nil {
				return
			}
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
	wait  time.Duration // handshakeWait when it was made
	limit int           // frameLimit when it was made

	mu     sync.Mutex
	idle   []*sockConn
	closed bool
	// downUntil: a dial or handshake failed; until then renders go
	// through gRPC without trying the socket.
	downUntil time.Time
}

// sockRetry is how long renders skip a socket that could not be reached.
const sockRetry = time.Second

func newSockClient(path string, token []byte) *sockClient {
	return &sockClient{path: path, token: token, wait: handshakeWait, limit: frameLimit}
}

type sockConn struct {
	c     net.Conn
	r     *bufio.Reader
	w     *bufio.Writer
	buf   []byte
	limit int
	dead  bool // its deadline was forced or a call failed: not reused
}

// errSocketDown says the socket cannot be used; the caller renders
// through gRPC instead.
var errSocketDown = errors.New("render socket unavailable")

func (sc *sockClient) get(ctx context.Context) (*sockConn, error) {
	sc.mu.Lock()
	if sc.closed || time.Now().Before(sc.downUntil) {
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
	c, err := sc.dial(ctx)
	if err != nil {
		sc.mu.Lock()
		sc.downUntil = time.Now().Add(sockRetry)
		sc.mu.Unlock()
		return nil, fmt.Errorf("%w: %v", errSocketDown, err)
	}
	return c, nil
}

// dial opens a connection and shows the token; the plugin's one-byte
// answer says it is served (a plugin that stopped accepting would
// otherwise leave the call waiting for its caller's deadline).
func (sc *sockClient) dial(ctx context.Context) (*sockConn, error) {
	deadline := time.Now().Add(sc.wait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	d := net.Dialer{Deadline: deadline}
	c, err := d.DialContext(ctx, "unix", sc.path)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(deadline)
	conn := &sockConn{c: c, r: bufio.NewReaderSize(c, sockBuffer), w: bufio.NewWriterSize(c, sockBuffer), limit: sc.limit}
	var ok [1]byte
	if err := writeFrame(conn.w, sc.token); err != nil {
		_ = c.Close()
		return nil, err
	}
	if _, err := io.ReadFull(conn.r, ok[:]); err != nil || ok[0] != tokenOK {
		_ = c.Close()
		return nil, fmt.Errorf("no answer to the token: %v", err)
	}
	_ = c.SetDeadline(time.Time{})
	return conn, nil
}

func (sc *sockClient) put(c *sockConn) {
	if c.dead {
		_ = c.c.Close()
		return
	}
	c.buf = shrink(c.buf)
	sc.mu.Lock()
	if len(sc.idle) < idleSockets && !sc.closed {
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
	sc.idle, sc.closed = nil, true
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
	c, err := sc.get(ctx)
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
	var tooLarge *sizeError
	switch {
	case err == nil:
		return resp, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.As(err, &tooLarge):
		// As on gRPC: permanent, and gRPC would refuse it too.
		return nil, status.Error(codes.ResourceExhausted, err.Error())
	}
	return nil, fmt.Errorf("%w: %v", errSocketDown, err)
}

// sizeError is a frame over MaxMessageSize.
type sizeError struct{ n, limit int }

func (e *sizeError) Error() string {
	return fmt.Sprintf("render socket: a message of %d bytes is over the %d-byte limit", e.n, e.limit)
}

func (c *sockConn) roundTrip(req *pb.RenderRequest) (*pb.RenderResponse, error) {
	var err error
	if c.buf, err = (proto.MarshalOptions{}).MarshalAppend(c.buf[:0], req); err != nil {
		return nil, err
	}
	if len(c.buf) > c.limit {
		return nil, &sizeError{len(c.buf), c.limit}
	}
	if err := writeFrame(c.w, c.buf); err != nil {
		return nil, err
	}
	if c.buf, err = readFrameMax(c.r, c.buf, uint32(c.limit)); err != nil {
		return nil, err
	}
	resp := &pb.RenderResponse{}
	if err := proto.Unmarshal(c.buf, resp); err != nil {
		return nil, err
	}
	return resp, nil
}
