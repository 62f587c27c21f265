package queue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookferry/hookferry/internal/testdisk"
	"github.com/hookferry/hookferry/sdk"
)

// TestStoreRecoversAfterDiskFullWithoutRestart fills the store's real
// filesystem (a small tmpfs) while the queue runs, with no free-space
// reserve, so the store itself hits ENOSPC. While full: publishing fails
// promptly (no full timeout) and Ready says why. After space is freed the
// queue stores and delivers events again, in the same process.
func TestStoreRecoversAfterDiskFullWithoutRestart(t *testing.T) {
	dir := testdisk.Mount(t, 16<<20)
	ctx := context.Background()
	q, err := OpenJetStream(ctx, JetStreamConfig{Dir: filepath.Join(dir, "js"), MinFree: -1, HealthEvery: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	if err := q.Declare(ctx, "p", []Consumer{{Name: "s", MaxInFlight: 4}}); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 100)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go q.Consume(cctx, "p", "s", 4, func(_ context.Context, d Delivery) {
		_ = d.Ack()
		got <- d.Event().ID
	})
	publish := func(id string) error {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err := q.Publish(pctx, &sdk.Event{ID: id, Pipeline: "p", Body: make([]byte, 4<<10)})
		return err
	}
	if err := publish("before"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, got, "before")

	filler := testdisk.Fill(t, dir)
	// The first writes that find the disk full fail in the store; from
	// then on the queue refuses at once and is not ready.
	var fullErr error
	for i := 0; i < 50 && fullErr == nil; i++ {
		start := time.Now()
		err := publish(fmt.Sprintf("full-%d", i))
		if err != nil {
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("a publish to the full store took %s to fail", took)
			}
			fullErr = err
		}
	}
	if fullErr == nil {
		t.Fatal("the full disk never refused an event")
	}
	eventually(t, 10*time.Second, func() error {
		if q.Ready() == nil {
			return errors.New("queue still ready with its disk full")
		}
		return publishRefused(publish("while-full"))
	})
	t.Logf("while full: %v", q.Ready())

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	eventually(t, 30*time.Second, func() error {
		if err := q.Ready(); err != nil {
			return err
		}
		return publish("after")
	})
	t.Logf("taking events %s after space was freed", time.Since(freed).Round(time.Millisecond))
	waitFor(t, got, "after")
}

func publishRefused(err error) error {
	if err == nil {
		return errors.New("an event was stored on a full disk")
	}
	if !errors.Is(err, ErrFull) {
		return fmt.Errorf("refused with %v, want ErrFull", err)
	}
	return nil
}

// eventually polls cond until it returns nil or limit passes.
func eventually(t *testing.T, limit time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitFor(t *testing.T, got <-chan string, id string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case g := <-got:
			if g == id {
				return
			}
		case <-timeout:
			t.Fatalf("event %s not delivered", id)
		}
	}
}
