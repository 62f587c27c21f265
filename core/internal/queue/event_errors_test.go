package queue

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// TestReplayErrorsSayWhatIsWrongWithTheID: a replay of an id that names
// no pipeline, no sink of that pipeline, an event never stored, or one no
// longer stored says which, in both queues, instead of blaming retention.
func TestReplayErrorsSayWhatIsWrongWithTheID(t *testing.T) {
	ctx := context.Background()
	js, err := OpenJetStream(ctx, JetStreamConfig{Dir: t.TempDir(), Retention: 168 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = js.Close(ctx) })
	queues := map[string]Queue{"jetstream": js, "memory": NewMemory(10)}
	for name, q := range queues {
		t.Run(name, func(t *testing.T) {
			if err := q.Declare(ctx, "github", []Consumer{{Name: "chat", MaxInFlight: 1}, {Name: "audit", MaxInFlight: 1}}); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"a", "b"} {
				if _, err := q.Publish(ctx, &sdk.Event{ID: id, Pipeline: "github", Body: []byte("{}")}); err != nil {
					t.Fatal(err)
				}
			}
			tests := []struct {
				id   DeliveryID
				want string
			}{
				{DeliveryID{"nosuch", "out", 99}, `no pipeline "nosuch" (pipelines: github)`},
				{DeliveryID{"github", "out", 1}, `pipeline "github" has no sink "out" (sinks: audit, chat)`},
				{DeliveryID{"github", "chat", 99}, "no event 99 was ever stored (the newest is 2)"},
			}
			for _, tc := range tests {
				err := q.Replay(ctx, tc.id)
				if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("replay %s: %v, want %q", tc.id, err, tc.want)
				}
			}
			if err := q.Replay(ctx, DeliveryID{"github", "chat", 2}); err != nil {
				t.Errorf("replay of a stored event: %v", err)
			}
		})
	}
	// An event that was stored and is gone (retention, or removed).
	if err := js.events.DeleteMsg(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := js.Replay(ctx, DeliveryID{"github", "chat", 1}); err == nil || !strings.Contains(err.Error(), "event 1 is no longer stored (retention 168h0m0s)") {
		t.Errorf("replay of a removed event: %v", err)
	}
}
