package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hookferry/hookferry/core/internal/queue"
)

// Backend is what the API serves.
type Backend interface {
	History() queue.History
	Replay(ctx context.Context, id queue.DeliveryID) error
	// Depths reports every sink's backlog.
	Depths(ctx context.Context) ([]queue.Depth, error)
	// Ready reports why the engine cannot take webhooks, or nil.
	Ready() error
}

// Server is the admin HTTP server.
type Server struct {
	b         Backend
	closing   chan struct{} // closed by Shutdown: ends streams
	closeOnce sync.Once
	log       *slog.Logger
	srv       *http.Server
	ln        net.Listener

	tokenSum *[32]byte // sha256 of the token; nil: no token required
	denied   func()
	metrics  http.Handler
}

// New builds the server.
func New(b Backend, log *slog.Logger, opts ...Option) *Server {
	s := &Server{b: b, log: log, closing: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	mux.HandleFunc("GET /readyz", s.ready)
	mux.HandleFunc("GET /v1/deliveries", s.list)
	mux.HandleFunc("GET /v1/deliveries/{id}", s.show)
	mux.HandleFunc("POST /v1/replay", s.replay)
	mux.HandleFunc("GET /v1/sinks", s.sinks)
	if t, ok := b.(Tools); ok {
		s.mountTools(mux, t)
	}
	if c, ok := b.(Console); ok {
		s.mountConsole(mux, c)
	}
	if r, ok := b.(Reloader); ok {
		s.mountReload(mux, r)
	}
	if s.metrics != nil {
		mux.Handle("GET /metrics", s.metrics)
	}
	s.srv = &http.Server{
		Handler:           s.requireToken(http.MaxBytesHandler(mux, 1<<20)),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	return s
}

// Listen binds addr.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	return nil
}

// Addr is the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until Shutdown.
func (s *Server) Serve() error {
	if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops the server.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() { close(s.closing) })
	return s.srv.Shutdown(ctx)
}

func (s *Server) ready(w http.ResponseWriter, _ *http.Request) {
	if err := s.b.Ready(); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": err.Error()})
		return
	}
	writeJSON(w, 200, map[string]string{"status": "ready"})
}

func (s *Server) sinks(w http.ResponseWriter, r *http.Request) {
	d, err := s.b.Depths(r.Context())
	if err != nil {
		writeJSON(w, 500, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, 200, map[string]any{"sinks": d})
}

// Filter is the JSON and query form of a record filter.
type Filter struct {
	State    string `json:"state,omitempty"`
	Pipeline string `json:"pipeline,omitempty"`
	Sink     string `json:"sink,omitempty"`
	Since    string `json:"since,omitempty"` // a duration back from now: "2h"
	Limit    int    `json:"limit,omitempty"`
}

func (f Filter) queue(now time.Time) (queue.Filter, error) {
	q := queue.Filter{State: f.State, Pipeline: f.Pipeline, Sink: f.Sink, Limit: f.Limit}
	switch f.State {
	case "", queue.StateDelivering, queue.StateRetrying, queue.StateSucceeded, queue.StateDead:
	default:
		return q, fmt.Errorf("state %q: use delivering, retrying, succeeded or dead", f.State)
	}
	if f.Since != "" {
		d, err := time.ParseDuration(f.Since)
		if err != nil || d <= 0 {
			return q, fmt.Errorf("since %q: use a duration such as 30m or 2h", f.Since)
		}
		q.Since = now.Add(-d)
	}
	return q, nil
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	limit, _ := strconv.Atoi(v.Get("limit"))
	f, err := Filter{State: v.Get("state"), Pipeline: v.Get("pipeline"), Sink: v.Get("sink"), Since: v.Get("since"), Limit: limit}.queue(time.Now())
	if err != nil {
		writeJSON(w, 400, map[string]string{"error": err.Error()})
		return
	}
	recs, err := s.b.History().List(r.Context(), f)
	if err != nil {
		writeJSON(w, 500, map[string]string{"error": err.Error()})
		return
	}
	if recs == nil {
		recs = []*queue.Record{}
	}
	writeJSON(w, 200, map[string]any{"deliveries": recs})
}

func (s *Server) show(w http.ResponseWriter, r *http.Request) {
	id, err := queue.ParseDeliveryID(r.PathValue("id"))
	if err != nil {
		writeJSON(w, 400, map[string]string{"error": err.Error()})
		return
	}
	rec, err := s.b.History().Get(r.Context(), id)
	switch {
	case errors.Is(err, queue.ErrNotFound):
		writeJSON(w, 404, map[string]string{"error": err.Error()})
	case err != nil:
		writeJSON(w, 500, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, 200, rec)
	}
}

// Replay requests that name nothing, or two things at once.
var (
	ErrNothingToReplay = errors.New("nothing to replay: give delivery ids (PIPELINE.SINK.SEQ) or a selection (state, pipeline, sink, since)")
	ErrIDsAndFilter    = errors.New("give delivery ids or a selection, not both")
)

// ReplayRequest names deliveries by id, or by a filter.
type ReplayRequest struct {
	IDs    []string `json:"ids,omitempty"`
	Filter *Filter  `json:"filter,omitempty"`
}

// ReplayResponse lists what was queued again and what was not.
type ReplayResponse struct {
	Replayed []string          `json:"replayed"`
	Failed   map[string]string `json:"failed,omitempty"`
}

func (s *Server) replay(w http.ResponseWriter, r *http.Request) {
	var req ReplayRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, 400, map[string]string{"error": "body: " + err.Error()})
		return
	}
	switch {
	case len(req.IDs) == 0 && req.Filter == nil:
		writeJSON(w, 400, map[string]string{"error": ErrNothingToReplay.Error()})
		return
	case len(req.IDs) > 0 && req.Filter != nil:
		writeJSON(w, 400, map[string]string{"error": ErrIDsAndFilter.Error()})
		return
	}
	ids := req.IDs
	if req.Filter != nil {
		f, err := req.Filter.queue(time.Now())
		if err != nil {
			writeJSON(w, 400, map[string]string{"error": err.Error()})
			return
		}
		recs, err := s.b.History().List(r.Context(), f)
		if err != nil {
			writeJSON(w, 500, map[string]string{"error": err.Error()})
			return
		}
		for _, rec := range recs {
			ids = append(ids, rec.ID)
		}
	}
	resp := ReplayResponse{Replayed: []string{}, Failed: map[string]string{}}
	for _, s2 := range ids {
		id, err := queue.ParseDeliveryID(s2)
		if err == nil {
			err = s.b.Replay(r.Context(), id)
		}
		if err != nil {
			resp.Failed[s2] = err.Error()
			continue
		}
		resp.Replayed = append(resp.Replayed, s2)
	}
	s.log.Info("admin: replay", "replayed", len(resp.Replayed), "failed", len(resp.Failed))
	status := 200
	if len(resp.Failed) > 0 && len(resp.Replayed) == 0 {
		status = 404
	}
	writeJSON(w, status, resp)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
