package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/valyala/fastjson"

	"github.com/hookferry/hookferry/sdk"
)

// EventReader reads the stored event behind a delivery, for tools that
// turn it into a test fixture or run a transform on it (hookferry tap
// --from-delivery, the console's playground).
type EventReader interface {
	Event(ctx context.Context, id DeliveryID) (*sdk.Event, error)
}

var (
	_ EventReader = (*JetStream)(nil)
	_ EventReader = (*Memory)(nil)
)

// Event reads the stored event of a delivery. Its errors (ErrNotFound)
// say what is wrong with the id: no such pipeline, no such sink in it, an
// event that was never stored, or one no longer kept.
func (q *JetStream) Event(ctx context.Context, id DeliveryID) (*sdk.Event, error) {
	q.mu.Lock()
	_, ok := q.cons[id.Pipeline+"/"+id.Sink]
	var err error
	if !ok {
		err = unknownConsumer(slices.Collect(maps.Keys(q.cons)), id)
	}
	q.mu.Unlock()
	if err != nil {
		return nil, err
	}
	raw, err := q.events.GetMsg(ctx, id.Seq)
	if err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			if info, ierr := q.events.Info(ctx); ierr == nil && id.Seq > info.State.LastSeq {
				return nil, fmt.Errorf("%w: no event %d was ever stored (the newest is %d)", ErrNotFound, id.Seq, info.State.LastSeq)
			}
			return nil, fmt.Errorf("%w: event %d is no longer stored (retention %s)", ErrNotFound, id.Seq, q.cfg.Retention)
		}
		return nil, err
	}
	if raw.Subject != subjEvents+id.Pipeline {
		return nil, fmt.Errorf("%w: event %d belongs to another pipeline, not %s", ErrNotFound, id.Seq, id.Pipeline)
	}
	ev, err := eventFrom(raw.Header, raw.Data)
	if err != nil {
		return nil, fmt.Errorf("event %d: %w", id.Seq, err)
	}
	return ev, nil
}

// Event reads the stored event of a delivery.
func (m *Memory) Event(_ context.Context, id DeliveryID) (*sdk.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byName[id.Pipeline+"/"+id.Sink] == nil {
		return nil, unknownConsumer(slices.Collect(maps.Keys(m.byName)), id)
	}
	ev, ok := m.events[id.Seq]
	switch {
	case id.Seq > m.seq:
		return nil, fmt.Errorf("%w: no event %d was ever stored (the newest is %d)", ErrNotFound, id.Seq, m.seq)
	case !ok:
		return nil, fmt.Errorf("%w: event %d is no longer kept in memory", ErrNotFound, id.Seq)
	case ev.Pipeline != id.Pipeline:
		return nil, fmt.Errorf("%w: event %d belongs to another pipeline, not %s", ErrNotFound, id.Seq, id.Pipeline)
	}
	return ev, nil
}

// unknownConsumer says which part of id names nothing: the pipeline, or
// the sink within it, listing what exists. keys are "PIPELINE/SINK".
func unknownConsumer(keys []string, id DeliveryID) error {
	var pipelines, sinks []string
	for _, k := range keys {
		p, s, _ := strings.Cut(k, "/")
		if !slices.Contains(pipelines, p) {
			pipelines = append(pipelines, p)
		}
		if p == id.Pipeline {
			sinks = append(sinks, s)
		}
	}
	slices.Sort(pipelines)
	slices.Sort(sinks)
	if len(sinks) == 0 {
		return fmt.Errorf("%w: no pipeline %q (pipelines: %s)", ErrNotFound, id.Pipeline, strings.Join(pipelines, ", "))
	}
	return fmt.Errorf("%w: pipeline %q has no sink %q (sinks: %s)", ErrNotFound, id.Pipeline, id.Sink, strings.Join(sinks, ", "))
}

// headerParsers reuse fastjson's parse buffers across deliveries.
var headerParsers fastjson.ParserPool

// decodeHeader reads the stored request headers (eventMsg writes them as
// a JSON object of string arrays). It is on every delivery's path, where
// encoding/json cost 2.5% of the CPU of a delivery (reflection and one
// allocation per token); anything not of that shape goes through
// encoding/json as before.
func decodeHeader(s string) sdk.Header {
	p := headerParsers.Get()
	defer headerParsers.Put(p)
	// encoding/json turns invalid UTF-8 into U+FFFD, fastjson keeps the
	// bytes: what json.Marshal wrote is always valid, anything else takes
	// the slow path.
	v, err := p.Parse(s)
	if err == nil && utf8.ValidString(s) {
		if o, err := v.Object(); err == nil {
			h := make(sdk.Header, o.Len())
			ok := true
			o.Visit(func(k []byte, v *fastjson.Value) {
				if !ok {
					return
				}
				if v.Type() == fastjson.TypeNull {
					h[string(k)] = nil
					return
				}
				arr, err := v.Array()
				if err != nil {
					ok = false
					return
				}
				vals := make([]string, len(arr))
				for i, e := range arr {
					b, err := e.StringBytes()
					if err != nil {
						ok = false
						return
					}
					vals[i] = string(b)
				}
				h[string(k)] = vals
			})
			if ok {
				return h
			}
		}
	}
	var h sdk.Header
	_ = json.Unmarshal([]byte(s), &h)
	return h
}
