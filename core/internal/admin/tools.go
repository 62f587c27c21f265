package admin

import (
	"context"
	"encoding/json"
	"errors"
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
	pipeline := r.URL.Query().Get("pipeline")
	sub := t.Tap().Subscribe(pipeline, 256)
	defer t.Tap().Unsubscribe(sub)
	if !tap.StartStream(w, "watching "+orAll(pipeline)) {
		return
	}
	s.log.Info("admin: tap opened", "pipeline", orAll(pipeline))
	defer s.log.Info("admin: tap closed", "pipeline", orAll(pipeline))
	tap.Stream(w, r, s.closing, sub, func(ev tap.Event) []byte {
		b, _ := json.Marshal(ev)
		return b
	})
}

func orAll(p string) string {
	if p == "" {
		return "all pipelines"
	}
	return "pipeline " + p
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
