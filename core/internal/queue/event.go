package queue

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

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
	return eventFrom(raw.Header, raw.Data), nil
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
