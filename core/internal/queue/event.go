package queue

import (
	"context"
	"errors"
	"fmt"

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

// Event reads the stored event of a delivery.
func (q *JetStream) Event(ctx context.Context, id DeliveryID) (*sdk.Event, error) {
	q.mu.Lock()
	_, ok := q.cons[id.Pipeline+"/"+id.Sink]
	q.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: no sink %q in pipeline %q", ErrNotFound, id.Sink, id.Pipeline)
	}
	raw, err := q.events.GetMsg(ctx, id.Seq)
	if err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, fmt.Errorf("%w: event %d is no longer stored (retention %s)", ErrNotFound, id.Seq, q.cfg.Retention)
		}
		return nil, err
	}
	if raw.Subject != subjEvents+id.Pipeline {
		return nil, fmt.Errorf("%w: event %d does not belong to pipeline %s", ErrNotFound, id.Seq, id.Pipeline)
	}
	return eventFrom(raw.Header, raw.Data), nil
}

// Event reads the stored event of a delivery.
func (m *Memory) Event(_ context.Context, id DeliveryID) (*sdk.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byName[id.Pipeline+"/"+id.Sink] == nil {
		return nil, fmt.Errorf("%w: no sink %q in pipeline %q", ErrNotFound, id.Sink, id.Pipeline)
	}
	ev, ok := m.events[id.Seq]
	if !ok || ev.Pipeline != id.Pipeline {
		return nil, fmt.Errorf("%w: event %d is no longer kept in memory", ErrNotFound, id.Seq)
	}
	return ev, nil
}
