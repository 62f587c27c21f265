package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/hookferry/hookferry/core/internal/glob"
	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/core/internal/telemetry"
	"github.com/hookferry/hookferry/sdk"
)

// Pipeline is the ingress side of one pipeline: a source wired to the
// queue. Its sinks are consumed by delivery workers.
type Pipeline struct {
	Name       string
	SourceType string
	Source     sdk.Source
	// Events lists the event-type patterns the pipeline accepts ("push",
	// "pull_request.*", "orders/*"; see package glob); others are answered
	// 200, counted in Filtered and stored nowhere.
	Events []string
	Queue  queue.Queue
	Log    *slog.Logger
	// Tap, when set, sees every event stored (not duplicates): the live
	// tail. It must not block.
	Tap func(*sdk.Event)
	// Trace makes the receive span of each request; nil is tracing off.
	Trace *telemetry.Tracing

	// Filtered counts verified events answered 200 and not stored because
	// their type matched no pattern of Events.
	Filtered atomic.Int64
	// Accepted counts events stored for delivery (not duplicates).
	Accepted atomic.Int64
	// Metrics counts every request's result; nil counts nothing.
	Metrics *telemetry.Ingress
}

// Meter is the pipeline's ingress meter (ingress.Metered): the ingress
// times its requests and counts the ones it answers itself with it.
func (p *Pipeline) Meter() *telemetry.Ingress { return p.Metrics }

// Methods lists the HTTP methods the source accepts.
func (p *Pipeline) Methods() []string {
	if ml, ok := sdk.As[sdk.MethodLister](p.Source); ok {
		return ml.Methods()
	}
	return []string{http.MethodPost}
}

type accepted struct {
	ID        string `json:"id"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

// Serve is the ingress side: the source checks the request; an event is
// stored before the sender gets its 2xx. With tracing on, one span covers
// the request (the child of an inbound traceparent), verify and enqueue
// are events on it, and the event stores its traceparent.
func (p *Pipeline) Serve(ctx context.Context, req *sdk.Request) (resp *sdk.Response) {
	ctx, span := p.Trace.StartReceive(ctx, p.Name, req.Header)
	defer func() { telemetry.EndReceive(span, resp.StatusCode) }()
	rec, err := p.Source.Receive(ctx, req)
	telemetry.Stage(span, telemetry.EventVerified, err)
	if err != nil {
		var rej *sdk.RejectError
		if errors.As(err, &rej) {
			p.Log.Warn("request rejected", "pipeline", p.Name, "status", rej.Status, "reason", err.Error(), "remote", req.RemoteAddr)
			p.Metrics.Count(telemetry.ResultOf(rej.Status))
			return jsonResponse(rej.Status, map[string]string{"error": rej.Public})
		}
		p.Log.Error("source failed", "pipeline", p.Name, "error", err, "remote", req.RemoteAddr)
		p.Metrics.Count(telemetry.Unavailable)
		return jsonResponse(http.StatusInternalServerError, map[string]string{"error": "internal error"})
	}
	ev := rec.Event
	if ev == nil {
		// A handshake or challenge the source answered: nothing stored.
		p.Metrics.Count(telemetry.Filtered)
		if rec.Reply != nil {
			return rec.Reply
		}
		return &sdk.Response{StatusCode: http.StatusNoContent}
	}
	if !p.Wants(ev.Type) {
		p.Filtered.Add(1)
		p.Metrics.Count(telemetry.Filtered)
		p.Log.Debug("event type filtered out", "pipeline", p.Name, "type", ev.Type, "event_id", ev.ID, "patterns", p.Events)
		return jsonResponse(http.StatusOK, map[string]string{"status": "ignored", "type": ev.Type})
	}
	ev.Pipeline = p.Name
	if ev.Source == "" {
		ev.Source = p.SourceType
	}
	if ev.ReceivedAt.IsZero() {
		ev.ReceivedAt = req.ReceivedAt
	}
	if span.IsRecording() {
		span.SetAttributes(telemetry.AttrEventID.String(ev.ID), telemetry.AttrEventType.String(ev.Type))
	}
	ev.TraceParent = p.Trace.TraceParent(ctx)
	dup, err := p.Queue.Publish(ctx, ev)
	telemetry.Stage(span, telemetry.EventEnqueued, err)
	if dup && span.IsRecording() {
		span.SetAttributes(telemetry.AttrDuplicate.Bool(true))
	}
	if err != nil {
		p.Log.Error("event not stored; sender told to retry", "pipeline", p.Name, "event_id", ev.ID, "error", err)
		p.Metrics.Count(telemetry.Unavailable)
		r := jsonResponse(http.StatusServiceUnavailable, map[string]string{"error": "unavailable, retry later"})
		r.Header.Set("retry-after", "5")
		return r
	}
	if dup {
		// Already stored within the de-duplication window: acknowledge
		// again, deliver nothing new.
		p.Log.Info("duplicate event acknowledged, not delivered again", "pipeline", p.Name, "event_id", ev.ID)
		p.Metrics.Count(telemetry.Duplicate)
		return jsonResponse(http.StatusOK, accepted{ID: ev.ID, Duplicate: true})
	}
	p.Accepted.Add(1)
	p.Metrics.Count(telemetry.Accepted)
	p.Log.Debug("event accepted", "pipeline", p.Name, "event_id", ev.ID, "type", ev.Type, "bytes", len(ev.Body))
	if p.Tap != nil {
		p.Tap(ev)
	}
	if rec.Reply != nil {
		return rec.Reply
	}
	return jsonResponse(http.StatusAccepted, accepted{ID: ev.ID})
}

// Wants reports whether an event type passes the pipeline's filter.
func (p *Pipeline) Wants(typ string) bool {
	if len(p.Events) == 0 {
		return true
	}
	for _, pat := range p.Events {
		if glob.Match(pat, typ) {
			return true
		}
	}
	return false
}

func jsonResponse(status int, v any) *sdk.Response {
	b, _ := json.Marshal(v)
	return &sdk.Response{StatusCode: status, Header: sdk.Header{"content-type": {"application/json"}}, Body: b}
}
