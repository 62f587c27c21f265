package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/core/internal/tap"
	"github.com/hookferry/hookferry/sdk"
)

// Tools is what the tool endpoints need: the live tail, stored events and
// transform runs. The engine implements it.
type Tools interface {
	Tap() *tap.Hub
	StoredEvent(ctx context.Context, id queue.DeliveryID) (*sdk.Event, error)
	// RunTransform decodes a transform-run request from body and returns
	// the result to encode; errors wrapping ErrBadRequest are the
	// caller's fault.
	RunTransform(ctx context.Context, body []byte) (any, error)
}

// ErrBadRequest marks a tool request the caller got wrong (400).
var ErrBadRequest = errors.New("bad request")

func (s *Server) mountTools(mux *http.ServeMux, t Tools) {
	mux.HandleFunc("GET /v1/tap", func(w http.ResponseWriter, r *http.Request) { s.tap(w, r, t) })
	mux.HandleFunc("GET /v1/deliveries/{id}/event", func(w http.ResponseWriter, r *http.Request) { s.event(w, r, t) })
	mux.HandleFunc("POST /v1/transform/run", func(w http.ResponseWriter, r *http.Request) { s.transformRun(w, r, t) })
}

// tap streams accepted events as server-sent events: "event: webhook" with
// the event as JSON (body base64, credential headers removed), "event:
// dropped" when this watcher fell behind, and a comment every 15 s so
// proxies keep the stream open.
func (s *Server) tap(w http.ResponseWriter, r *http.Request, t Tools) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeJSON(w, 500, map[string]string{"error": "streaming unsupported"})
		return
	}
	pipeline := r.URL.Query().Get("pipeline")
	sub := t.Tap().Subscribe(pipeline, 256)
	defer t.Tap().Unsubscribe(sub)
	// The stream outlives the server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(200)
	fmt.Fprintf(w, ": watching %s\n\n", orAll(pipeline))
	fl.Flush()
	s.log.Info("admin: tap opened", "pipeline", orAll(pipeline))
	defer s.log.Info("admin: tap closed", "pipeline", orAll(pipeline))
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		case <-keepalive.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
		case ev := <-sub.C():
			if n := sub.Dropped(); n > 0 {
				fmt.Fprintf(w, "event: dropped\ndata: {\"dropped\":%d}\n\n", n)
			}
			b, _ := json.Marshal(ev)
			if _, err := fmt.Fprintf(w, "event: webhook\nid: %s\ndata: %s\n\n", sseSafe(ev.ID), b); err != nil {
				return
			}
		}
		fl.Flush()
	}
}

func orAll(p string) string {
	if p == "" {
		return "all pipelines"
	}
	return "pipeline " + p
}

// sseSafe keeps an id on its line.
func sseSafe(s string) string {
	out := []rune{}
	for _, r := range s {
		if r != '\n' && r != '\r' {
			out = append(out, r)
		}
	}
	return string(out)
}

func (s *Server) event(w http.ResponseWriter, r *http.Request, t Tools) {
	id, err := queue.ParseDeliveryID(r.PathValue("id"))
	if err != nil {
		writeJSON(w, 400, map[string]string{"error": err.Error()})
		return
	}
	ev, err := t.StoredEvent(r.Context(), id)
	switch {
	case errors.Is(err, queue.ErrNotFound):
		writeJSON(w, 404, map[string]string{"error": err.Error()})
	case err != nil:
		writeJSON(w, 500, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, 200, tap.FromEvent(ev))
	}
}

func (s *Server) transformRun(w http.ResponseWriter, r *http.Request, t Tools) {
	body, err := readBody(r)
	if err != nil {
		writeJSON(w, 400, map[string]string{"error": "body: " + err.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	res, err := t.RunTransform(ctx, body)
	switch {
	case errors.Is(err, ErrBadRequest):
		writeJSON(w, 400, map[string]string{"error": err.Error()})
	case errors.Is(err, queue.ErrNotFound):
		writeJSON(w, 404, map[string]string{"error": err.Error()})
	case err != nil:
		writeJSON(w, 500, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, 200, res)
	}
}

func readBody(r *http.Request) ([]byte, error) {
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		return nil, err
	}
	return raw, nil
}
