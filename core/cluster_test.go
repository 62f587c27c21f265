package core_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
)

// TestInstancesShareAnExternalNATS: two hookferry instances pointed at
// one NATS server (a real one, listening on loopback) share the work:
// each event is delivered once, by whichever instance pulled it.
func TestInstancesShareAnExternalNATS(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
		// Room for server.max_body_size (5 MiB by default); hookferry refuses a
		// server that cannot store it.
		MaxPayload: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}

	var mu sync.Mutex
	seen := map[string]int{}
	dest := newDestinationFunc(t, func(r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[string(b)]++
		mu.Unlock()
	})
	dir := t.TempDir()
	cfg := fmt.Sprintf(`
queue { url = %q }
pipeline "shared" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "out" {
    url = %q
    concurrency = 2
  }
}`, ns.ClientURL(), dest.URL)
	if err := os.WriteFile(filepath.Join(dir, "c.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var engines []*core.Engine
	for range 2 {
		e, err := core.Load(context.Background(), core.Options{
			ConfigPath: filepath.Join(dir, "c.hcl"), Components: all.Definitions(all.Options{}), Listen: "127.0.0.1:0",
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer e.Shutdown(context.Background())
		engines = append(engines, e)
	}
	const n = 60
	for i := range n {
		// Alternate the instance that receives; either may deliver.
		if code, b := post(t, engines[i%2], "/in", []byte(fmt.Sprintf("event-%d", i)), map[string]string{"Idempotency-Key": fmt.Sprint(i)}); code != 202 {
			t.Fatalf("post %d: %d %s", i, code, b)
		}
	}
	// The same id sent to the other instance is a duplicate there too:
	// de-duplication lives in the shared stream.
	if code, b := post(t, engines[1], "/in", []byte("event-0"), map[string]string{"Idempotency-Key": "0"}); code != 200 {
		t.Fatalf("cross-instance duplicate: %d %s", code, b)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		d0, _, _, _ := engines[0].SinkStats("shared", "out")
		d1, _, _, _ := engines[1].SinkStats("shared", "out")
		if d0+d1 == n {
			mu.Lock()
			defer mu.Unlock()
			for i := range n {
				if c := seen[fmt.Sprintf("event-%d", i)]; c != 1 {
					t.Fatalf("event-%d delivered %d times", i, c)
				}
			}
			if d0 == 0 || d1 == 0 {
				t.Fatalf("one instance did all the work (%d/%d): the consumer is not shared", d0, d1)
			}
			t.Logf("instance A delivered %d, instance B %d", d0, d1)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d+%d of %d", d0, d1, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
