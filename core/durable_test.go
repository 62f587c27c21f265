package core_test

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
)

// timedDest records when each request arrived and answers with the
// responses it is given in order (then 200).
type timedDest struct {
	*destination
	mu    sync.Mutex
	at    []time.Time
	plan  []func(w http.ResponseWriter)
	bodys []string
}

func newTimedDest(t *testing.T, plan ...func(w http.ResponseWriter)) *timedDest {
	d := &timedDest{plan: plan, destination: &destination{notify: make(chan struct{}, 1000)}}
	d.Server = newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		d.mu.Lock()
		d.at = append(d.at, time.Now())
		d.bodys = append(d.bodys, string(b))
		var f func(http.ResponseWriter)
		if len(d.plan) > 0 {
			f, d.plan = d.plan[0], d.plan[1:]
		}
		d.mu.Unlock()
		d.destination.mu.Lock()
		d.got = append(d.got, received{Method: r.Method, Body: b})
		d.destination.mu.Unlock()
		if f != nil {
			f(w)
		} else {
			w.WriteHeader(200)
		}
		d.notify <- struct{}{}
	})
	return d
}

func status(code int, headers ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(code)
	}
}

func admin(t *testing.T, e *core.Engine, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+e.AdminAddr()+path, rd)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

type recordJSON struct {
	ID           string
	State        string
	Replays      int
	AttemptCount int `json:"attempt_count"`
	Attempts     []struct {
		Status  int
		Outcome string
		Reason  string
	}
}

func TestRetryAfterHonouredToTheSecond(t *testing.T) {
	date := func() func(http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
			w.WriteHeader(503)
		}
	}
	dest := newTimedDest(t, status(429, "Retry-After", "1"), date())
	e := startEngine(t, map[string]string{"config.hcl": `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "out" {
    url = env("DEST")
    retry { initial = "10ms" }
  }
}`}, map[string]string{"DEST": dest.URL})
	post(t, e, "/in", []byte(`{}`), nil)
	waitStats(t, e, "p", "out", 1, 0)
	dest.mu.Lock()
	defer dest.mu.Unlock()
	if len(dest.at) != 3 {
		t.Fatalf("%d attempts, want 3", len(dest.at))
	}
	// Retry-After: 1 (seconds) then an HTTP date ~2s ahead (whole seconds,
	// so between 1 and 2 seconds from when it was written).
	gap1, gap2 := dest.at[1].Sub(dest.at[0]), dest.at[2].Sub(dest.at[1])
	if gap1 < time.Second || gap1 > 1900*time.Millisecond {
		t.Errorf("after Retry-After: 1 the next attempt came %s later", gap1)
	}
	if gap2 < time.Second || gap2 > 2900*time.Millisecond {
		t.Errorf("after an HTTP-date Retry-After 2s ahead the next attempt came %s later", gap2)
	}
}

// TestDeadLetterAndReplay: a 400 gets exactly one attempt and is dead; a
// replay once the destination is fixed delivers it, through today's
// transforms, and the record keeps the whole history.
func TestDeadLetterAndReplay(t *testing.T) {
	var fixed atomic.Bool
	var bodies []string
	var mu sync.Mutex
	dest := newDestinationFunc(t, func(r *http.Request) {})
	dest.Server.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		if !fixed.Load() {
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"error":"bad field"}`))
			return
		}
		w.WriteHeader(200)
	})
	e := startEngine(t, map[string]string{"config.hcl": `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  transform "javascript" { code = "function transform(e) { return {n: e.body.n, v: 1}; }" }
  sink "http" "out" { url = env("DEST") }
}`}, map[string]string{"DEST": dest.URL})
	post(t, e, "/in", []byte(`{"n":7}`), map[string]string{"Content-Type": "application/json"})
	waitStats(t, e, "p", "out", 0, 1)

	var list struct{ Deliveries []recordJSON }
	admin(t, e, "GET", "/v1/deliveries?state=dead&sink=out", nil, &list)
	if len(list.Deliveries) != 1 {
		t.Fatalf("dead deliveries: %+v", list)
	}
	dead := list.Deliveries[0]
	if dead.AttemptCount != 1 || dead.Attempts[0].Status != 400 || !strings.Contains(dead.Attempts[0].Reason, "bad field") {
		t.Fatalf("dead record %+v", dead)
	}

	fixed.Store(true)
	var rr struct{ Replayed []string }
	if code := admin(t, e, "POST", "/v1/replay", map[string]any{"filter": map[string]any{"state": "dead", "sink": "out", "since": "1h"}}, &rr); code != 200 || len(rr.Replayed) != 1 {
		t.Fatalf("replay: %d %+v", code, rr)
	}
	waitStats(t, e, "p", "out", 1, 1)
	var rec recordJSON
	admin(t, e, "GET", "/v1/deliveries/"+dead.ID, nil, &rec)
	if rec.State != "succeeded" || rec.AttemptCount != 2 || rec.Replays != 1 {
		t.Fatalf("after replay: %+v", rec)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 || bodies[1] != `{"n":7,"v":1}` {
		t.Fatalf("bodies %q", bodies)
	}
	if code := admin(t, e, "POST", "/v1/replay", map[string]any{"ids": []string{"p.out.999"}}, nil); code != 404 {
		t.Fatalf("replay of an unknown delivery: %d", code)
	}
}

func TestDuplicateNotDeliveredTwice(t *testing.T) {
	dest := newDestination(t)
	e := startEngine(t, map[string]string{"config.hcl": `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "out" { url = env("DEST") }
}`}, map[string]string{"DEST": dest.URL})
	for i := range 3 {
		code, body := post(t, e, "/in", []byte(`{}`), map[string]string{"Idempotency-Key": "delivery-1"})
		want := 202
		if i > 0 {
			want = 200
		}
		if code != want {
			t.Fatalf("post %d: %d %s", i, code, body)
		}
	}
	post(t, e, "/in", []byte(`{}`), map[string]string{"Idempotency-Key": "delivery-2"})
	waitStats(t, e, "p", "out", 2, 0)
	time.Sleep(200 * time.Millisecond) // a duplicate delivery would show up here
	if n := dest.count(); n != 2 {
		t.Fatalf("destination got %d, want 2", n)
	}
}

// TestOrderedSinkKeepsOrderAcrossRetry: the head fails twice; nothing
// behind it is delivered before it.
func TestOrderedSinkKeepsOrderAcrossRetry(t *testing.T) {
	dest := newTimedDest(t, status(500), status(500))
	e := startEngine(t, map[string]string{"config.hcl": `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "out" {
    url     = env("DEST")
    ordered = true
    retry {
      initial = "20ms"
      max     = "50ms"
    }
  }
}`}, map[string]string{"DEST": dest.URL})
	for i := range 8 {
		post(t, e, "/in", []byte(fmt.Sprint(i)), nil)
	}
	waitStats(t, e, "p", "out", 8, 0)
	dest.mu.Lock()
	defer dest.mu.Unlock()
	got := strings.Join(dest.bodys, ",")
	if got != "0,0,0,1,2,3,4,5,6,7" {
		t.Fatalf("order %s, want 0 three times (two failures) then 1..7", got)
	}
}

// TestBreakerHoldsConsumption: after two failures the breaker opens and
// no attempt is made until its first hold (cooldown/8) is over; a failed
// trial doubles the hold.
func TestBreakerHoldsConsumption(t *testing.T) {
	dest := newTimedDest(t, status(503), status(503), status(503))
	e := startEngine(t, map[string]string{"config.hcl": `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "out" {
    url = env("DEST")
    concurrency = 1
    retry {
      max_attempts = 10
      initial      = "1ms"
      max          = "2ms"
    }
    breaker {
      failures = 2
      cooldown = "2s"
    }
  }
}`}, map[string]string{"DEST": dest.URL})
	post(t, e, "/in", []byte(`{}`), nil)
	waitStats(t, e, "p", "out", 1, 0)
	dest.mu.Lock()
	defer dest.mu.Unlock()
	if len(dest.at) != 4 {
		t.Fatalf("%d attempts, want 4 (2 failures, a half-open failure, success)", len(dest.at))
	}
	if gap := dest.at[2].Sub(dest.at[1]); gap < 250*time.Millisecond {
		t.Fatalf("breaker open, yet the next attempt came after %s (first hold 250ms)", gap)
	}
	if gap := dest.at[3].Sub(dest.at[2]); gap < 500*time.Millisecond {
		t.Fatalf("half-open failure reopened the breaker, yet the next attempt came after %s (hold doubled to 500ms)", gap)
	}
}

func TestRateLimitPaces(t *testing.T) {
	dest := newTimedDest(t)
	e := startEngine(t, map[string]string{"config.hcl": `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "out" {
    url        = env("DEST")
    rate_limit = 10
  }
}`}, map[string]string{"DEST": dest.URL})
	for i := range 20 {
		post(t, e, "/in", []byte(fmt.Sprint(i)), nil)
	}
	waitStats(t, e, "p", "out", 20, 0)
	dest.mu.Lock()
	defer dest.mu.Unlock()
	// A burst of 10, then one every 100ms: the 20th is at least ~0.9s after the first.
	if span := dest.at[19].Sub(dest.at[0]); span < 850*time.Millisecond {
		t.Fatalf("20 deliveries at rate_limit 10/s took only %s", span)
	}
}

// TestFullStoreGives503ThenRecovers: with the store full the sender gets
// 503, never a 2xx; once retention frees space, 202 again.
func TestFullStoreGives503ThenRecovers(t *testing.T) {
	dest := newDestination(t)
	e := startEngine(t, map[string]string{"config.hcl": `
queue {
  max_store    = "48KiB"
  retention    = "2s"
  dedup_window = "1s"
}
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "out" { url = env("DEST") }
}`}, map[string]string{"DEST": dest.URL})
	// Random bytes: stored bodies are compressed, and these do not shrink.
	body := make([]byte, 8<<10)
	_, _ = crand.Read(body)
	accepted, refused := 0, 0
	for i := 0; i < 40 && refused == 0; i++ {
		code, resp := post(t, e, "/in", body, nil)
		switch code {
		case 202:
			accepted++
		case 503:
			refused++
			if !strings.Contains(string(resp), "retry later") {
				t.Fatalf("503 body %s", resp)
			}
		default:
			t.Fatalf("status %d %s", code, resp)
		}
	}
	if refused == 0 || accepted == 0 {
		t.Fatalf("accepted %d, refused %d: the store never filled", accepted, refused)
	}
	waitStats(t, e, "p", "out", int64(accepted), 0)
	deadline := time.Now().Add(15 * time.Second)
	for {
		if code, _ := post(t, e, "/in", body, nil); code == 202 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the store never took events again after retention freed it")
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitStats(t, e, "p", "out", int64(accepted)+1, 0)
}

func TestSinkDepth(t *testing.T) {
	release := make(chan struct{})
	dest := newDestinationFunc(t, func(r *http.Request) { <-release })
	defer close(release)
	e := startEngine(t, map[string]string{"config.hcl": `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "slow" {
    url         = env("DEST")
    concurrency = 1
  }
}`}, map[string]string{"DEST": dest.URL})
	for i := range 5 {
		post(t, e, "/in", []byte(fmt.Sprint(i)), nil)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var resp struct {
			Sinks []struct {
				Sink     string
				Pending  uint64
				InFlight uint64 `json:"in_flight"`
			}
		}
		admin(t, e, "GET", "/v1/sinks", nil, &resp)
		// One attempt at the destination, one pulled ahead for the sink's
		// worker (the queue hands out twice the concurrency), three
		// waiting in the store.
		if len(resp.Sinks) == 1 && resp.Sinks[0].Pending == 3 && resp.Sinks[0].InFlight == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("depth %+v, want 3 pending and 2 in flight (1 attempted, 1 pulled ahead)", resp.Sinks)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestShutdownFinishesInFlight: on shutdown the attempt in flight
// completes and is acknowledged (not sent again after a restart), and the
// events still waiting are delivered by the next process on the same data.
func TestShutdownFinishesInFlight(t *testing.T) {
	started := make(chan struct{}, 10)
	var mu sync.Mutex
	var got []string
	dest := newDestinationFunc(t, func(r *http.Request) {
		started <- struct{}{}
		time.Sleep(300 * time.Millisecond)
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
	})
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.hcl")
	_ = os.WriteFile(cfgPath, []byte(`
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "out" {
    url         = "`+dest.URL+`"
    concurrency = 1
  }
}`), 0o644)
	load := func() *core.Engine {
		e, err := core.Load(context.Background(), core.Options{ConfigPath: cfgPath, DataDir: filepath.Join(dir, "data"),
			Components: all.Definitions(all.Options{}), Listen: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := load()
	post(t, e, "/in", []byte("first"), nil)
	post(t, e, "/in", []byte("second"), nil)
	<-started // "first" is in flight
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if strings.Join(got, ",") != "first" {
		t.Fatalf("after shutdown the destination has %q, want the in-flight one finished", got)
	}
	mu.Unlock()

	e2 := load()
	defer e2.Shutdown(context.Background())
	waitStats(t, e2, "p", "out", 1, 0)
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, ",") != "first,second" {
		t.Fatalf("after restart the destination has %q, want first once, then second", got)
	}
}

// TestSinkConcurrencyBoundsTheDestination: the queue hands a sink's
// workers twice its concurrency ahead of time, but the destination never
// has more than concurrency requests open at once, and it does have that
// many (so the bound is what limits, not the load).
func TestSinkConcurrencyBoundsTheDestination(t *testing.T) {
	var open, most atomic.Int64
	gate := make(chan struct{})
	dest := newDestinationFunc(t, func(r *http.Request) {
		n := open.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-gate
		open.Add(-1)
	})
	e := startEngine(t, map[string]string{"config.hcl": `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "out" {
    url         = env("DEST")
    concurrency = 3
  }
}`}, map[string]string{"DEST": dest.URL})
	const events = 30
	for i := range events {
		if code, _ := post(t, e, "/in", []byte(fmt.Sprint(i)), nil); code/100 != 2 {
			t.Fatalf("event %d: HTTP %d", i, code)
		}
	}
	// The destination holds every request: the workers fill up, and
	// the deliveries pulled ahead must wait for them.
	deadline := time.Now().Add(15 * time.Second)
	for open.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // room for a fourth to show up if it could
	close(gate)
	waitStats(t, e, "p", "out", events, 0)
	if got := most.Load(); got != 3 {
		t.Fatalf("at most %d requests were open at the destination at once, want exactly the sink's concurrency, 3", got)
	}
}
