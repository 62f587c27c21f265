package queue

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/sdk"
)

func TestMemoryFanOutAckNak(t *testing.T) {
	q := NewMemory(10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := q.Declare(ctx, "p", []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	type seen struct {
		consumer string
		id       string
		attempt  int
	}
	got := make(chan seen, 100)
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b"} {
		wg.Go(func() {
			_ = q.Consume(ctx, "p", name, 2, func(_ context.Context, d Delivery) {
				got <- seen{name, d.Event().ID, d.Attempt()}
				if name == "b" && d.Attempt() < 3 {
					_ = d.Nak(time.Millisecond)
					return
				}
				_ = d.Ack()
				if err := d.Ack(); err == nil {
					t.Error("second settle accepted")
				}
			})
		})
	}
	if err := q.Publish(ctx, &sdk.Event{ID: "e1", Pipeline: "p"}); err != nil {
		t.Fatal(err)
	}
	want := map[seen]bool{{"a", "e1", 1}: true, {"b", "e1", 1}: true, {"b", "e1", 2}: true, {"b", "e1", 3}: true}
	for range len(want) {
		select {
		case s := <-got:
			if !want[s] {
				t.Fatalf("unexpected %+v", s)
			}
			delete(want, s)
		case <-time.After(5 * time.Second):
			t.Fatalf("missing %v", want)
		}
	}
	cancel()
	wg.Wait()
	select {
	case s := <-got:
		t.Fatalf("extra delivery %+v", s)
	default:
	}
}

func TestMemoryFullRefusesWholePublish(t *testing.T) {
	q := NewMemory(2)
	ctx := context.Background()
	_ = q.Declare(ctx, "p", []string{"a"})
	for i := range 2 {
		if err := q.Publish(ctx, &sdk.Event{ID: string(rune('0' + i)), Pipeline: "p"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Publish(ctx, &sdk.Event{ID: "x", Pipeline: "p"}); !errors.Is(err, ErrFull) {
		t.Fatalf("err = %v, want ErrFull", err)
	}
	if err := q.Publish(ctx, &sdk.Event{ID: "x", Pipeline: "nope"}); err == nil {
		t.Fatal("publish to an undeclared pipeline accepted")
	}
	_ = q.Close(ctx)
	if err := q.Publish(ctx, &sdk.Event{ID: "y", Pipeline: "p"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}
