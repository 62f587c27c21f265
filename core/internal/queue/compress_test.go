package queue

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookferry/hookferry/sdk"
)

// TestCompressedBodiesReadBackExactly: with Compress, a body that
// shrinks is stored compressed (marked by its header) and one that is
// small or does not shrink is stored as it is; every one reads back
// byte for byte through a consumer, Event and a replay, and bodies
// stored before compression was turned on still read.
func TestCompressedBodiesReadBackExactly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	random := make([]byte, 8000)
	_, _ = rand.Read(random)
	bodies := map[string][]byte{
		"json":   []byte(`{"ref":"refs/heads/main","commits":[` + strings.Repeat(`{"id":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c","message":"Update README.md"},`, 60) + `{}]}`),
		"small":  []byte(`{"zen":"Keep it logically awesome."}`),
		"random": random,
		"empty":  nil,
	}
	wantCompressed := map[string]bool{"json": true}

	// One body stored by a queue without compression first.
	q, err := OpenJetStream(ctx, JetStreamConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Declare(ctx, "p", []Consumer{{Name: "s"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Publish(ctx, &sdk.Event{ID: "old", Pipeline: "p", Body: bodies["json"]}); err != nil {
		t.Fatal(err)
	}
	_ = q.Close(ctx)

	q, err = OpenJetStream(ctx, JetStreamConfig{Dir: dir, Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	if err := q.Declare(ctx, "p", []Consumer{{Name: "s"}}); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"old": bodies["json"]}
	for name, b := range bodies {
		if _, err := q.Publish(ctx, &sdk.Event{ID: name, Pipeline: "p", Body: b}); err != nil {
			t.Fatal(err)
		}
		want[name] = b
	}
	got := map[string]DeliveryID{}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	seen := make(chan Delivery, 16)
	go q.Consume(cctx, "p", "s", 2, func(_ context.Context, d Delivery) { seen <- d; _ = d.Ack() })
	for len(got) < len(want) {
		select {
		case d := <-seen:
			ev := d.Event()
			if !bytes.Equal(ev.Body, want[ev.ID]) {
				t.Fatalf("%s: consumed body differs (%d bytes, want %d)", ev.ID, len(ev.Body), len(want[ev.ID]))
			}
			got[ev.ID] = d.ID()
		case <-time.After(10 * time.Second):
			t.Fatalf("consumed %d of %d", len(got), len(want))
		}
	}
	for name, id := range got {
		raw, err := q.events.GetMsg(ctx, id.Seq)
		if err != nil {
			t.Fatal(err)
		}
		compressed := raw.Header.Get(hdrEncoding) == encodingS2
		if name != "old" && compressed != wantCompressed[name] {
			t.Errorf("%s: stored compressed %v, want %v", name, compressed, wantCompressed[name])
		}
		if name == "old" && compressed {
			t.Errorf("the body stored without compression is marked compressed")
		}
		if compressed && len(raw.Data) >= len(want[name])/2 {
			t.Errorf("%s: stored %d bytes for a %d-byte body", name, len(raw.Data), len(want[name]))
		}
		ev, err := q.Event(ctx, id)
		if err != nil || !bytes.Equal(ev.Body, want[name]) {
			t.Fatalf("%s: Event: %v (body equal: %v)", name, err, ev != nil && bytes.Equal(ev.Body, want[name]))
		}
	}
	// A replay is stored (compressed) and consumed again, the same bytes.
	if err := q.Replay(ctx, got["json"]); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-seen:
		if !d.Replayed() || !bytes.Equal(d.Event().Body, bodies["json"]) {
			t.Fatalf("replayed delivery %s: replayed %v, body equal %v", d.ID(), d.Replayed(), bytes.Equal(d.Event().Body, bodies["json"]))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("replay not consumed")
	}
}

// TestUnreadableStoredBodyIsDeadLettered: a stored body that cannot be
// decoded (here: a message marked compressed whose bytes are not, as a
// corrupted store or another program writing on our subject would leave)
// never reaches the handler and is not retried: it is dead, with the
// reason in its history record and in the dead-letter stream, and Event
// says what is wrong.
func TestUnreadableStoredBodyIsDeadLettered(t *testing.T) {
	ctx := context.Background()
	q, err := OpenJetStream(ctx, JetStreamConfig{Dir: t.TempDir(), Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	if err := q.Declare(ctx, "p", []Consumer{{Name: "s"}}); err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(subjEvents + "p")
	msg.Header.Set(hdrID, "bad")
	msg.Header.Set(hdrPipeline, "p")
	msg.Header.Set(hdrEncoding, encodingS2)
	msg.Data = []byte("this is not s2 at all, just text that claims to be")
	ack, err := q.js.PublishMsg(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Publish(ctx, &sdk.Event{ID: "good", Pipeline: "p", Body: []byte(strings.Repeat(`{"a":1}`, 200))}); err != nil {
		t.Fatal(err)
	}
	handled := make(chan string, 4)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go q.Consume(cctx, "p", "s", 1, func(_ context.Context, d Delivery) { handled <- d.Event().ID; _ = d.Ack() })
	select {
	case id := <-handled:
		if id != "good" {
			t.Fatalf("the handler got %q", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the readable event was not delivered")
	}
	id := DeliveryID{Pipeline: "p", Sink: "s", Seq: ack.Sequence}
	var r *Record
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err = q.History().Get(ctx, id)
		if err == nil && r.State == StateDead {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no dead record for the unreadable event: %+v %v", r, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(r.Attempts) != 1 || !strings.Contains(r.Attempts[0].Reason, "cannot be read") || r.EventID != "bad" {
		t.Fatalf("dead record: %+v", r)
	}
	dead, err := q.js.Stream(ctx, StreamDead)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := dead.Info(ctx); err != nil || info.State.Msgs != 1 {
		t.Fatalf("dead-letter stream: %v %v", info, err)
	}
	if _, err := q.Event(ctx, id); err == nil || !strings.Contains(err.Error(), fmt.Sprint(ack.Sequence)) {
		t.Fatalf("Event of the unreadable event: %v", err)
	}
	// Terminated, not left pending for a redelivery after ack_wait.
	ci, err := q.cons["p/s"].Info(ctx)
	if err != nil || ci.NumAckPending != 0 || ci.AckFloor.Stream < ack.Sequence {
		t.Fatalf("consumer after the dead letter: %+v %v", ci, err)
	}
	select {
	case id := <-handled:
		t.Fatalf("the handler got %q again", id)
	default:
	}
}

// TestStoredBodyDecodingRefusesWhatWeNeverWrite: an unknown encoding and a
// compressed body that would decode past the limit are errors, not
// guesses or allocations of whatever size the bytes claim.
func TestStoredBodyDecodingRefusesWhatWeNeverWrite(t *testing.T) {
	h := nats.Header{}
	h.Set(hdrEncoding, "zstd")
	if _, err := bodyFrom(h, []byte("x"), 0); err == nil || !strings.Contains(err.Error(), "unknown encoding") {
		t.Fatalf("unknown encoding: %v", err)
	}
	msg := nats.NewMsg("s")
	big := bytes.Repeat([]byte("a"), 1<<20)
	if compressInto(msg, big) == nil {
		t.Fatal("a repetitive megabyte was not compressed")
	}
	if _, err := bodyFrom(msg.Header, msg.Data, 1<<19); err == nil || !strings.Contains(err.Error(), "more than the largest") {
		t.Fatalf("over the limit: %v", err)
	}
	if b, err := bodyFrom(msg.Header, msg.Data, 1<<20); err != nil || !bytes.Equal(b, big) {
		t.Fatalf("at the limit: %v", err)
	}
}
