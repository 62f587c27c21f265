package ingress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/hookferry/hookferry/core/internal/telemetry"
	"github.com/hookferry/hookferry/sdk"
)

// Endpoint serves one path.
type Endpoint interface {
	// Methods lists the HTTP methods the endpoint accepts.
	Methods() []string
	// Serve answers one request. The request is the endpoint's to keep.
	Serve(ctx context.Context, req *sdk.Request) *sdk.Response
}

// Config holds the listener's limits.
type Config struct {
	MaxBodySize    int
	MaxHeaderSize  int
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	IdleTimeout    time.Duration
	MaxConcurrency int
	// HandlerTimeout bounds one endpoint call (verification plus storing
	// the event); 0 means ReadTimeout.
	HandlerTimeout time.Duration
	// Unrouted is the meter of requests that match no route (its pipeline
	// label is empty: a path a sender invents never becomes a label).
	// Routed requests are timed and counted with their endpoint's meter
	// (Metered). nil meters count nothing.
	Unrouted *telemetry.Ingress
}

// Metered is an Endpoint with a meter: the ingress times every request
// routed to it and counts those it answers itself (a wrong method, a body
// too large); the endpoint counts the rest.
type Metered interface {
	Meter() *telemetry.Ingress
}

// Server is the ingress listener.
type Server struct {
	cfg Config
	// table is the route table; SetRoutes swaps it whole (routes.go).
	table  atomic.Pointer[table]
	srv    *fasthttp.Server
	ln     net.Listener
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
}

// New builds a server for routes (exact path -> endpoint).
func New(cfg Config, routes map[string]Endpoint, log *slog.Logger) *Server {
	if cfg.HandlerTimeout <= 0 {
		cfg.HandlerTimeout = cfg.ReadTimeout
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, log: log, ctx: ctx, cancel: cancel}
	s.table.Store(newTable(routes))
	s.srv = &fasthttp.Server{
		Handler:                       s.handle,
		ErrorHandler:                  s.handleError,
		Name:                          "hookferry",
		ReadTimeout:                   cfg.ReadTimeout,
		WriteTimeout:                  cfg.WriteTimeout,
		IdleTimeout:                   cfg.IdleTimeout,
		Concurrency:                   cfg.MaxConcurrency,
		MaxRequestBodySize:            cfg.MaxBodySize,
		ReadBufferSize:                cfg.MaxHeaderSize,
		DisablePreParseMultipartForm:  true,
		NoDefaultDate:                 false,
		NoDefaultContentType:          true,
		CloseOnShutdown:               true,
		Logger:                        slogPrintf{log},
		DisableHeaderNamesNormalizing: false,
	}
	return s
}

// Listen binds addr ("127.0.0.1:0" picks a free port).
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	return nil
}

// Addr is the bound address, after Listen.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Serve accepts connections until Shutdown.
func (s *Server) Serve() error {
	if s.ln == nil {
		return errors.New("ingress: Serve before Listen")
	}
	return s.srv.Serve(s.ln)
}

// Shutdown stops accepting, waits for open requests until ctx ends, then
// cancels the ones still running.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.ShutdownWithContext(ctx)
	s.cancel()
	return err
}

func (s *Server) handle(rc *fasthttp.RequestCtx) {
	start := time.Now()
	path := string(rc.Path())
	t := s.acquire()
	defer t.release()
	ep, ok := t.routes[path]
	if !ok {
		writeJSONError(rc, fasthttp.StatusNotFound, "no pipeline on this path")
		s.cfg.Unrouted.Count(telemetry.BadRequest)
		s.cfg.Unrouted.Request(len(rc.PostBody()), time.Since(start))
		return
	}
	// The endpoint counts the result of what it serves; the time and size
	// of every request routed to it are observed here.
	meter := t.meters[path]
	defer func() { meter.Request(len(rc.PostBody()), time.Since(start)) }()
	method := string(rc.Method())
	if !slices.Contains(ep.Methods(), method) {
		rc.Response.Header.Set("Allow", t.allow[path])
		writeJSONError(rc, fasthttp.StatusMethodNotAllowed, "method not allowed")
		meter.Count(telemetry.BadRequest)
		return
	}
	req := &sdk.Request{
		Method:     method,
		Path:       path,
		Query:      string(rc.URI().QueryString()),
		Header:     requestHeader(&rc.Request.Header),
		Body:       append([]byte(nil), rc.PostBody()...),
		RemoteAddr: rc.RemoteAddr().String(),
		ReceivedAt: start.UTC(),
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.HandlerTimeout)
	defer cancel()
	resp := ep.Serve(ctx, req)
	if resp == nil {
		rc.SetStatusCode(fasthttp.StatusNoContent)
		return
	}
	for k, vals := range resp.Header {
		for _, v := range vals {
			rc.Response.Header.Add(k, v)
		}
	}
	rc.SetStatusCode(resp.StatusCode)
	rc.SetBody(resp.Body)
}

// requestHeader copies the request's header fields, names in lower case,
// in three allocations whatever their number (one string holding every
// name and value, one slice holding every value, the map) instead of
// three or four per field: per request, this was most of the ingress's
// own allocations.
func requestHeader(h *fasthttp.RequestHeader) sdk.Header {
	n, size := 0, 0
	for k, v := range h.All() {
		n++
		size += len(k) + len(v)
	}
	buf := make([]byte, 0, size)
	for k, v := range h.All() {
		for _, c := range k {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf = append(buf, c)
		}
		buf = append(buf, v...)
	}
	all := string(buf)
	vals := make([]string, n)
	out := make(sdk.Header, n)
	i, off := 0, 0
	for k, v := range h.All() {
		name := all[off : off+len(k)]
		off += len(k)
		vals[i] = all[off : off+len(v)]
		off += len(v)
		if prev, ok := out[name]; ok {
			// A repeated field: its values get a slice of their own.
			out[name] = append(slices.Clip(prev), vals[i])
		} else {
			out[name] = vals[i : i+1 : i+1]
		}
		i++
	}
	return out
}

// handleError answers requests fasthttp could not parse: a body over the
// limit (413, without reading the rest), headers over the buffer (431), a
// read timeout (408), anything else (400).
func (s *Server) handleError(rc *fasthttp.RequestCtx, err error) {
	var status int
	var sizeErr *fasthttp.ErrSmallBuffer
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		status = fasthttp.StatusRequestEntityTooLarge
	case errors.As(err, &sizeErr):
		status = fasthttp.StatusRequestHeaderFieldsTooLarge
	case isTimeout(err):
		status = fasthttp.StatusRequestTimeout
	default:
		status = fasthttp.StatusBadRequest
	}
	s.log.Debug("ingress: bad request", "status", status, "error", err, "remote", rc.RemoteAddr().String())
	// The headers may have been read (a body over the limit): count it
	// against the pipeline its path routes to, if any.
	meter := s.cfg.Unrouted
	t := s.acquire()
	if m, ok := t.meters[string(rc.Path())]; ok {
		meter = m
	}
	t.release()
	meter.Count(telemetry.ResultOf(status))
	writeJSONError(rc, status, strings.ToLower(fasthttp.StatusMessage(status)))
	rc.SetConnectionClose()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func writeJSONError(rc *fasthttp.RequestCtx, status int, msg string) {
	rc.SetStatusCode(status)
	rc.SetContentType("application/json")
	b, _ := json.Marshal(map[string]string{"error": msg})
	rc.SetBody(b)
}

// slogPrintf adapts fasthttp's printf logger to slog.
type slogPrintf struct{ log *slog.Logger }

func (l slogPrintf) Printf(format string, args ...any) {
	l.log.Debug("fasthttp", "msg", strings.TrimSpace(fmt.Sprintf(format, args...)))
}
