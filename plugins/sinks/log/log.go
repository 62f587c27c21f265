package log

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

// Name is the sink's type label in HCL.
const Name = "log"

// Definition describes the log sink writing to w. Every log sink built
// from it shares w and a lock, so lines never interleave.
func Definition(w io.Writer) sdk.Definition {
	shared := &writer{w: w}
	return sdk.DefineSink(Name,
		"Writes each message as one JSON line to standard output.",
		schema.Block{
			Attributes: []schema.Attribute{
				{Name: "include_headers", Type: schema.Bool, Default: false, Description: "Also print the headers transforms set."},
			},
		},
		func(_ context.Context, cfg sdk.Config) (*Sink, error) {
			var c struct {
				IncludeHeaders bool `json:"include_headers"`
			}
			if err := cfg.Decode(&c); err != nil {
				return nil, err
			}
			return &Sink{out: shared, pipeline: cfg.Pipeline, name: cfg.Name, headers: c.IncludeHeaders}, nil
		})
}

type writer struct {
	mu sync.Mutex
	w  io.Writer
}

// Sink prints messages.
type Sink struct {
	out      *writer
	pipeline string
	name     string
	headers  bool
}

var (
	_ sdk.Sink      = (*Sink)(nil)
	_ sdk.Deliverer = (*Sink)(nil)
)

type line struct {
	Time        string          `json:"time"`
	Pipeline    string          `json:"pipeline"`
	Sink        string          `json:"sink"`
	EventID     string          `json:"event_id"`
	EventType   string          `json:"event_type,omitempty"`
	ContentType string          `json:"content_type,omitempty"`
	Header      sdk.Header      `json:"headers,omitempty"`
	Body        json.RawMessage `json:"body,omitempty"`
	Text        string          `json:"text,omitempty"`
}

// Deliver writes msg as one line.
func (s *Sink) Deliver(_ context.Context, msg sdk.Message) error {
	l := line{Time: time.Now().UTC().Format(time.RFC3339Nano), Pipeline: s.pipeline, Sink: s.name, ContentType: msg.ContentType}
	if msg.Event != nil {
		l.EventID, l.EventType = msg.Event.ID, msg.Event.Type
	}
	if s.headers {
		l.Header = msg.Header
	}
	if msg.IsJSON() && json.Valid(msg.Body) {
		l.Body = msg.Body
	} else {
		l.Text = string(msg.Body)
	}
	b, err := json.Marshal(l)
	if err != nil {
		return sdk.Permanent(err)
	}
	b = append(b, '\n')
	s.out.mu.Lock()
	defer s.out.mu.Unlock()
	_, err = s.out.w.Write(b)
	return err
}

// Render is not used: the log sink delivers itself.
func (s *Sink) Render(context.Context, sdk.Message) (*sdk.Outbound, error) {
	return nil, errors.New("log sink renders no request; it delivers itself")
}

// Close does nothing.
func (s *Sink) Close(context.Context) error { return nil }
