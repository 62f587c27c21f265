package core

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/hookferry/hookferry/core/internal/admin"
	"github.com/hookferry/hookferry/core/internal/config"
	"github.com/hookferry/hookferry/core/internal/delivery"
	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/core/internal/tap"
	"github.com/hookferry/hookferry/sdk"
)

// TransformRunRequest asks for a transform run on one event, for tools:
// `hookferry test`'s sibling on a live instance, the console's playground.
// Nothing is delivered.
type TransformRunRequest struct {
	Pipeline string `json:"pipeline"`
	// Sink whose transforms run after the pipeline's and whose Render
	// shows the outbound request. Optional with Script.
	Sink string `json:"sink,omitempty"`
	// DeliveryID names a stored event ("PIPELINE.SINK.SEQ"); otherwise
	// Event is used.
	DeliveryID string    `json:"delivery_id,omitempty"`
	Event      *RunEvent `json:"event,omitempty"`
	Script     string    `json:"script,omitempty"`
	Timeout    string    `json:"timeout,omitempty"`
}

// RunEvent is an inline event: the body as JSON (any value) or text.
type RunEvent struct {
	ID      string            `json:"id,omitempty"`
	Type    string            `json:"type,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body"`
	// Text is a non-JSON body; set Body or Text.
	Text string `json:"text,omitempty"`
}

// TransformRunResult is what a run produced.
type TransformRunResult struct {
	Messages   []RunMessage `json:"messages"`
	Requests   []RunRequest `json:"requests,omitempty"`
	Console    []string     `json:"console"`
	Error      string       `json:"error,omitempty"`
	DurationMS float64      `json:"duration_ms"`
	Event      *tap.Event   `json:"event,omitempty"`
}

// RunMessage is one message out of the transforms.
type RunMessage struct {
	ContentType string            `json:"content_type,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Body        json.RawMessage   `json:"body,omitempty"`
	Text        string            `json:"text,omitempty"`
}

// RunRequest is the request the sink rendered, secrets redacted: the URL
// loses its query values and userinfo, credential headers their values.
type RunRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
	Text    string            `json:"text,omitempty"`
}

// ErrBadRequest marks a request a tool got wrong (unknown pipeline, no
// event): the admin API answers 400 with it.
var ErrBadRequest = admin.ErrBadRequest

// RunTransform is TransformRun for the admin API.
func (e *Engine) RunTransform(ctx context.Context, body []byte) (any, error) {
	var req TransformRunRequest
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(&req); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return e.TransformRun(ctx, req)
}

// Tap is the hub that streams accepted events to watchers.
func (e *Engine) Tap() *tap.Hub { return &e.tap }

// StoredEvent reads the event behind a delivery.
func (e *Engine) StoredEvent(ctx context.Context, id queue.DeliveryID) (*sdk.Event, error) {
	r, ok := e.queue.(queue.EventReader)
	if !ok {
		return nil, errors.New("this queue cannot read stored events")
	}
	return r.Event(ctx, id)
}

// TransformRun runs the pipeline's transforms and the sink's (or a given
// script instead of both) on one event with the real runtime, and renders
// the results with the sink. The configured transforms are built afresh
// for the run so that their console lines can be returned; nothing is
// delivered and nothing is stored.
func (e *Engine) TransformRun(ctx context.Context, req TransformRunRequest) (*TransformRunResult, error) {
	pc, sc, err := e.findConfig(req.Pipeline, req.Sink, req.Script == "")
	if err != nil {
		return nil, err
	}
	ev, err := e.runEvent(ctx, req, pc)
	if err != nil {
		return nil, err
	}
	capture := &consoleCapture{}
	log := slog.New(capture)
	var chain []sdk.Transform
	defer func() {
		for _, t := range chain {
			_ = t.Close(context.WithoutCancel(ctx))
		}
	}()
	build := func(c *config.Component) error {
		cc := c.Config
		cc.Logger = log
		comp, err := c.Def.Build(ctx, cc)
		if err != nil {
			return err
		}
		chain = append(chain, comp.(sdk.Transform))
		return nil
	}
	if req.Script != "" {
		def, ok := e.definition(sdk.KindTransform, "javascript")
		if !ok {
			return nil, errors.New("the javascript transform is not available")
		}
		vals := map[string]any{"code": req.Script, "pool_size": 1}
		if req.Timeout != "" {
			vals["timeout"] = req.Timeout
		}
		raw, _ := json.Marshal(vals)
		comp, err := def.Build(ctx, sdk.Config{Values: raw, Pipeline: pc.Name, Name: "playground", Logger: log})
		if err != nil {
			return &TransformRunResult{Messages: []RunMessage{}, Console: []string{}, Error: err.Error()}, nil
		}
		chain = append(chain, comp.(sdk.Transform))
	} else {
		cs := append(append([]*config.Component(nil), pc.Transforms...), sc.Transforms...)
		for _, c := range cs {
			if err := build(c); err != nil {
				return nil, fmt.Errorf("building %s: %w", c.Type, err)
			}
		}
	}

	res := &TransformRunResult{Messages: []RunMessage{}, Console: []string{}}
	view := tap.FromEvent(ev)
	res.Event = &view
	start := time.Now()
	msgs, err := delivery.RunChain(ctx, chain, []sdk.Message{sdk.MessageFromEvent(ev)})
	if err != nil {
		res.Error = err.Error()
	} else {
		for _, m := range msgs {
			res.Messages = append(res.Messages, runMessage(m))
		}
		if sink := e.sinkNamed(pc.Name, req.Sink); sink != nil {
			outs, err := renderEach(ctx, sink, pc.Name+"."+req.Sink+".run", msgs)
			if err != nil {
				res.Error = err.Error()
			}
			for _, o := range outs {
				if o != nil {
					res.Requests = append(res.Requests, runRequest(o))
				}
			}
		}
	}
	res.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	res.Console = append(res.Console, capture.take()...)
	return res, nil
}

func (e *Engine) findConfig(pipeline, sink string, sinkRequired bool) (*config.Pipeline, *config.Sink, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, pc := range e.cfg.Pipelines {
		if pc.Name != pipeline {
			continue
		}
		if sink == "" {
			if sinkRequired {
				return nil, nil, fmt.Errorf("%w: name a sink of pipeline %q", ErrBadRequest, pipeline)
			}
			return pc, &config.Sink{}, nil
		}
		for _, sc := range pc.Sinks {
			if sc.Name == sink {
				return pc, sc, nil
			}
		}
		return nil, nil, fmt.Errorf("%w: pipeline %q has no sink %q", ErrBadRequest, pipeline, sink)
	}
	return nil, nil, fmt.Errorf("%w: no pipeline %q", ErrBadRequest, pipeline)
}

func (e *Engine) runEvent(ctx context.Context, req TransformRunRequest, pc *config.Pipeline) (*sdk.Event, error) {
	switch {
	case req.DeliveryID != "" && req.Event != nil:
		return nil, fmt.Errorf("%w: give delivery_id or event, not both", ErrBadRequest)
	case req.DeliveryID != "":
		id, err := queue.ParseDeliveryID(req.DeliveryID)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
		}
		if id.Pipeline != pc.Name {
			return nil, fmt.Errorf("%w: delivery %s is not of pipeline %q", ErrBadRequest, req.DeliveryID, pc.Name)
		}
		return e.StoredEvent(ctx, id)
	case req.Event != nil:
		body, ct := []byte(req.Event.Text), "text/plain; charset=utf-8"
		if len(req.Event.Body) > 0 {
			if req.Event.Text != "" {
				return nil, fmt.Errorf("%w: give event.body or event.text, not both", ErrBadRequest)
			}
			body, ct = req.Event.Body, sdk.ContentTypeJSON
		}
		h := sdk.Header{}
		for k, v := range req.Event.Headers {
			h.Set(k, v)
		}
		if h.Get("content-type") != "" {
			ct = h.Get("content-type")
		}
		at := time.Now().UTC()
		id := req.Event.ID
		if id == "" {
			id = "run-" + at.Format("20060102T150405.000")
		}
		src := ""
		if pc.Source != nil {
			src = pc.Source.Type
		}
		return &sdk.Event{ID: id, Type: req.Event.Type, Source: src, Pipeline: pc.Name, ReceivedAt: at, Header: h, ContentType: ct, Body: body}, nil
	}
	return nil, fmt.Errorf("%w: give an event or a delivery_id", ErrBadRequest)
}

func (e *Engine) definition(kind sdk.Kind, name string) (sdk.Definition, bool) {
	for _, d := range e.opts.Components {
		if d.Kind == kind && d.Name == name {
			return d, true
		}
	}
	return sdk.Definition{}, false
}

func (e *Engine) sinkNamed(pipeline, sink string) sdk.Sink {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, w := range e.workers {
		if w.Pipeline == pipeline && w.Sink.Name == sink {
			return w.Sink.Sink
		}
	}
	return nil
}

func runMessage(m sdk.Message) RunMessage {
	rm := RunMessage{ContentType: m.ContentType, Headers: tap.Headers(m.Header)}
	if json.Valid(m.Body) {
		rm.Body = m.Body
	} else {
		rm.Text = string(m.Body)
	}
	return rm
}

func runRequest(o *sdk.Outbound) RunRequest {
	rr := RunRequest{Method: o.Method, URL: RedactURL(o.URL), Headers: map[string]string{}}
	for k, v := range o.Header {
		if tap.Secret(k) {
			rr.Headers[k] = "<redacted>"
			continue
		}
		rr.Headers[k] = strings.Join(v, ", ")
	}
	if json.Valid(o.Body) {
		rr.Body = o.Body
	} else {
		rr.Text = string(o.Body)
	}
	return rr
}

// RedactURL shows where a URL points without what may authenticate it:
// no userinfo, every query value replaced, and every path segment that
// looks like a token (12 characters or more, letters and digits mixed, as
// in Slack and Discord webhook URLs) replaced by <redacted>.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<redacted>"
	}
	u.User = nil
	segs := strings.Split(u.Path, "/")
	for i, s := range segs {
		if looksLikeToken(s) {
			segs[i] = "<redacted>"
		}
	}
	out := u.Scheme + "://" + u.Host + strings.Join(segs, "/")
	if q := u.Query(); len(q) > 0 {
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k+"=<redacted>")
		}
		sort.Strings(keys)
		out += "?" + strings.Join(keys, "&")
	}
	return out
}

func looksLikeToken(s string) bool {
	if len(s) < 12 {
		return false
	}
	var letter, digit bool
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			letter = true
		case unicode.IsDigit(r):
			digit = true
		}
	}
	return letter && digit
}

// renderEach renders msgs as deliveryID's messages, without sending, the
// way an attempt would: a sink that is not HTTP (a Deliverer) renders
// nothing, so its entries are nil. Offline tests and transform runs use it.
func renderEach(ctx context.Context, sink sdk.Sink, deliveryID string, msgs []sdk.Message) ([]*sdk.Outbound, error) {
	out := make([]*sdk.Outbound, len(msgs))
	if _, deliverer := sdk.As[sdk.Deliverer](sink); deliverer {
		return out, nil
	}
	for i, m := range msgs {
		m.DeliveryID, m.Index = deliveryID, i
		o, err := sink.Render(ctx, m)
		if err != nil {
			return out[:i], fmt.Errorf("render: %w", err)
		}
		out[i] = o
	}
	return out, nil
}
