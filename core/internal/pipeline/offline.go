package pipeline

import (
	"context"

	"github.com/hookferry/hookferry/sdk"
)

// Wants reports whether an event type passes the pipeline's events filter.
func (p *Pipeline) Wants(typ string) bool { return p.wants(typ) }

// Process runs the pipeline's transforms and then the sink's on one event,
// as an attempt does, and returns the messages the sink would render.
func (p *Pipeline) Process(ctx context.Context, s *Sink, ev *sdk.Event) ([]sdk.Message, error) {
	msgs := []sdk.Message{sdk.MessageFromEvent(ev)}
	var err error
	for _, chain := range [][]sdk.Transform{p.Transforms, s.Transforms} {
		if msgs, err = runChain(ctx, chain, msgs); err != nil {
			return nil, err
		}
	}
	return msgs, nil
}
