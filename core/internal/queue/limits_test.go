package queue

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/hookferry/hookferry/sdk"
)

// startExternalNATS runs a NATS server with JetStream on 127.0.0.1 as an
// "external" server would be, with the given max_payload (0: NATS's
// default, 1 MiB).
func startExternalNATS(t *testing.T, maxPayload int32) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		NoSigs: true, NoLog: true, MaxPayload: maxPayload,
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("external NATS did not start")
	}
	return ns.ClientURL()
}

// TestExternalServerTooSmallForMaxBodySizeIsRefused: an external NATS with
// the default 1 MiB max_payload cannot store the 5 MiB bodies the ingress
// accepts; opening the queue fails with an error naming max_body_size
// instead of answering 503 to every large webhook later.
func TestExternalServerTooSmallForMaxBodySizeIsRefused(t *testing.T) {
	url := startExternalNATS(t, 0)
	_, err := OpenJetStream(context.Background(), JetStreamConfig{URL: url, MaxBodySize: 5 << 20, MaxHeaderSize: 16 << 10})
	var se *SizeError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *SizeError", err)
	}
	for _, want := range []string{"max_body_size is 5 MiB", "takes messages up to 1 MiB", "max_payload"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	// A server configured for it is accepted, and stores such a body.
	url = startExternalNATS(t, 8<<20)
	q, err := OpenJetStream(context.Background(), JetStreamConfig{URL: url, MaxBodySize: 5 << 20, MaxHeaderSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(context.Background())
	publishAndReceive(t, q, 5<<20)
}

// TestEmbeddedQueueStoresBodiesUpToMaxBodySize: the embedded server is
// configured for the ingress limit (here above NATS's 8 MiB warning mark)
// with room for the stored headers.
func TestEmbeddedQueueStoresBodiesUpToMaxBodySize(t *testing.T) {
	q, err := OpenJetStream(context.Background(), JetStreamConfig{Dir: t.TempDir(), MaxBodySize: 12 << 20, MaxHeaderSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(context.Background())
	publishAndReceive(t, q, 12<<20)

	// Past what any NATS server should be asked to carry: refused at open.
	_, err = OpenJetStream(context.Background(), JetStreamConfig{Dir: t.TempDir(), MaxBodySize: 100 << 20})
	if se := (*SizeError)(nil); !errors.As(err, &se) || !strings.Contains(err.Error(), "lower server.max_body_size") {
		t.Fatalf("err = %v, want a *SizeError asking to lower max_body_size", err)
	}
}

// publishAndReceive stores a body of size bytes with a full set of
// request headers and checks that it comes back intact.
func publishAndReceive(t *testing.T, q *JetStream, size int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := q.Declare(ctx, "p", []Consumer{{Name: "s", MaxInFlight: 1}}); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte{'b'}, size)
	hdr := sdk.Header{"x-filler": {strings.Repeat("h", 15<<10)}}
	if _, err := q.Publish(ctx, &sdk.Event{ID: "big", Pipeline: "p", Body: body, Header: hdr}); err != nil {
		t.Fatalf("publish %d bytes: %v", size, err)
	}
	got := make(chan *sdk.Event, 1)
	go q.Consume(ctx, "p", "s", 1, func(_ context.Context, d Delivery) {
		_ = d.Ack()
		got <- d.Event()
	})
	select {
	case ev := <-got:
		if !bytes.Equal(ev.Body, body) || len(ev.Header.Get("x-filler")) != 15<<10 {
			t.Fatalf("got %d bytes back, want %d", len(ev.Body), size)
		}
	case <-ctx.Done():
		t.Fatal("large event not delivered")
	}
}
