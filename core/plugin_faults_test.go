package core_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/plugins/all"
	"github.com/hookferry/hookferry/sdk"
)

// TestPluginKilledSevenTimesUnderTrafficDeadLettersNothing: the sink runs
// in a plugin process (the built-in http sink served by
// testdata/httpsinkplugin); it is killed with SIGKILL seven times while
// events keep arriving. A restart is not the destination's fault: no
// delivery is dead, the breaker (on, at its defaults) does not hold the
// sink, and deliveries resume within 2s of each restart.
func TestPluginKilledSevenTimesUnderTrafficDeadLettersNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a plugin process")
	}
	bin := filepath.Join(t.TempDir(), "hookferry-plugin-httpsink")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/httpsinkplugin").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var (
		mu       sync.Mutex
		arrivals []time.Time
		seen     = map[string]bool{}
	)
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		seen[string(b)] = true
		mu.Unlock()
	}))
	defer dest.Close()

	dir := t.TempDir()
	cfg := fmt.Sprintf(`
plugin "httpsink" { path = %q }
pipeline "p" {
  source "http" {
    path = "/in"
    allow_unauthenticated = true
  }
  sink "http" "out" {
    url         = "%s/hook"
    concurrency = 4
    retry {
      max_attempts = 3
      initial      = "20ms"
      max          = "100ms"
    }
  }
}`, bin, dest.URL)
	if err := os.WriteFile(filepath.Join(dir, "config.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	// The http sink comes from the plugin only.
	var defs []sdk.Definition
	for _, d := range all.Definitions(all.Options{}) {
		if !(d.Kind == sdk.KindSink && d.Name == "http") {
			defs = append(defs, d)
		}
	}
	e, err := core.Load(context.Background(), core.Options{ConfigPath: filepath.Join(dir, "config.hcl"), DataDir: filepath.Join(dir, "data"),
		Components: defs, Listen: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Shutdown(ctx)
	}()
	plugin := e.Plugins()[0]

	// Steady traffic: an event every 10ms until stopped.
	var sent atomic.Int64
	stop := make(chan struct{})
	trafficDone := make(chan struct{})
	go func() {
		defer close(trafficDone)
		client := &http.Client{Timeout: 5 * time.Second}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			body := fmt.Sprintf(`"event %d"`, i)
			req, _ := http.NewRequest("POST", "http://"+e.Addr()+"/in", bytes.NewReader([]byte(body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", fmt.Sprint("k", i))
			resp, err := client.Do(req)
			if err != nil {
				continue
			}
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted {
				sent.Add(1)
			}
		}
	}()
	arrivedAfter := func(at time.Time) (time.Time, bool) {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range arrivals {
			if a.After(at) {
				return a, true
			}
		}
		return time.Time{}, false
	}

	deadline := time.Now().Add(90 * time.Second)
	for kill := 1; kill <= 7; kill++ {
		// Traffic flows for a while, then the plugin is killed.
		time.Sleep(300 * time.Millisecond)
		if _, ok := waitFor(deadline, func() (time.Time, bool) { return arrivedAfter(time.Now().Add(-50 * time.Millisecond)) }); !ok {
			t.Fatalf("kill %d: no deliveries before it", kill)
		}
		pid := plugin.Pid()
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		restarted, ok := waitFor(deadline, func() (time.Time, bool) {
			if p := plugin.Pid(); p != pid && p != 0 && !plugin.Exited() {
				return time.Now(), true
			}
			return time.Time{}, false
		})
		if !ok {
			t.Fatalf("kill %d: plugin not restarted", kill)
		}
		resumed, ok := waitFor(deadline, func() (time.Time, bool) { return arrivedAfter(restarted) })
		if !ok {
			t.Fatalf("kill %d: no delivery after the restart", kill)
		}
		stall := resumed.Sub(restarted)
		t.Logf("kill %d: deliveries resumed %s after the restart", kill, stall.Round(time.Millisecond))
		if stall > 2*time.Second {
			t.Errorf("kill %d: deliveries stalled %s after the restart, want ≤ 2s", kill, stall)
		}
	}
	close(stop)
	<-trafficDone
	n := sent.Load()
	if _, ok := waitFor(deadline, func() (time.Time, bool) {
		d, _, f, _ := e.SinkStats("p", "out")
		return time.Time{}, d+f >= n
	}); !ok {
		d, _, f, _ := e.SinkStats("p", "out")
		t.Fatalf("settled %d+%d of %d", d, f, n)
	}
	if _, _, failed, _ := e.SinkStats("p", "out"); failed != 0 {
		t.Fatalf("%d of %d deliveries dead after 7 plugin restarts", failed, n)
	}
	mu.Lock()
	defer mu.Unlock()
	if int64(len(seen)) != n {
		t.Fatalf("%d distinct events arrived, %d accepted", len(seen), n)
	}
}

// waitFor polls f until it reports true or the deadline passes.
func waitFor(deadline time.Time, f func() (time.Time, bool)) (time.Time, bool) {
	for time.Now().Before(deadline) {
		if at, ok := f(); ok {
			return at, true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Time{}, false
}
