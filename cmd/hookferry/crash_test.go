package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hookferry")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listening on %s", addr)
}

// TestCrashLosesNothingAcknowledged sends webhooks while the destination
// is failing, kills the process with SIGKILL at random moments several
// times, restarting it each time, then lets the destination recover: every
// event that got a 2xx must be delivered at least once. Both sync modes:
// with "always" the embedded server writes without its own fsync and the
// acks wait for a sync of the filesystem (on Linux). A SIGKILL leaves the
// page cache, so this cannot tell a missing sync; that is checked by
// queue's TestAlwaysAcksOnlyWhatASyncSawInTheFiles.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	t.Run("interval", func(t *testing.T) { testCrashLosesNothingAcknowledged(t, "interval") })
	t.Run("always", func(t *testing.T) { testCrashLosesNothingAcknowledged(t, "always") })
}

func testCrashLosesNothingAcknowledged(t *testing.T, syncMode string) {
	const (
		events  = 600
		senders = 8
		kills   = 3
		// pace spreads sending over about a second and a half, so the
		// kills land while events are arriving.
		pace = 20 * time.Millisecond
	)
	bin := buildBinary(t)
	dir := t.TempDir()

	var healthy atomic.Bool
	var mu sync.Mutex
	delivered := map[string]int{}
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct{ Key string }
		_ = json.NewDecoder(r.Body).Decode(&b)
		if !healthy.Load() {
			w.WriteHeader(503)
			return
		}
		mu.Lock()
		delivered[b.Key]++
		mu.Unlock()
		w.WriteHeader(200)
	}))
	defer dest.Close()

	addr := freePort(t)
	cfg := filepath.Join(dir, "crash.hcl")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`
server { listen = %q }
queue {
  ack_wait = "2s"
  sync     = %q
}
pipeline "crash" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "dest" {
    url         = %q
    concurrency = 16
    retry {
      max_attempts = 100000
      initial      = "20ms"
      max          = "300ms"
    }
    breaker { enabled = false }
  }
}`, addr, syncMode, dest.URL)), 0o644); err != nil {
		t.Fatal(err)
	}

	srv := startKillable(t, bin, cfg, filepath.Join(dir, "data"), addr)

	// Senders: like real webhook senders, they retry the same delivery
	// until it is acknowledged with a 2xx.
	var acked sync.Map
	var next atomic.Int64
	var sendWG sync.WaitGroup
	client := &http.Client{Timeout: 2 * time.Second}
	for range senders {
		sendWG.Go(func() {
			for {
				i := next.Add(1)
				if i > events {
					return
				}
				time.Sleep(pace)
				key := fmt.Sprintf("evt-%04d", i)
				body, _ := json.Marshal(map[string]string{"key": key})
				for try := 0; try < 200; try++ {
					req, _ := http.NewRequest("POST", "http://"+addr+"/in", bytes.NewReader(body))
					req.Header.Set("Idempotency-Key", key)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err == nil {
						resp.Body.Close()
						if resp.StatusCode/100 == 2 {
							acked.Store(key, true)
							break
						}
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}

	// The killer: SIGKILL at random moments while events flow, restart.
	for k := range kills {
		time.Sleep(time.Duration(100+rand.IntN(300)) * time.Millisecond)
		srv.killAndRestart()
		t.Logf("kill %d: SIGKILL after %d events sent", k+1, min(next.Load(), events))
	}
	sendWG.Wait()
	var ackedKeys []string
	acked.Range(func(k, _ any) bool { ackedKeys = append(ackedKeys, k.(string)); return true })
	if len(ackedKeys) != events {
		t.Fatalf("only %d of %d events were ever acknowledged", len(ackedKeys), events)
	}

	healthy.Store(true)
	deadline := time.Now().Add(90 * time.Second)
	for {
		mu.Lock()
		missing := 0
		for _, k := range ackedKeys {
			if delivered[k] == 0 {
				missing++
			}
		}
		total := 0
		for _, n := range delivered {
			total += n
		}
		mu.Unlock()
		if missing == 0 {
			t.Logf("%d acknowledged events, all delivered; %d deliveries in all, %d duplicates", len(ackedKeys), total, total-len(ackedKeys))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged events never delivered", missing, len(ackedKeys))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// killable runs the binary on a config and restarts it after each SIGKILL
// (crash tests): one process at a time, under a lock.
type killable struct {
	t        *testing.T
	bin, cfg string
	data     string
	addr     string
	mu       sync.Mutex
	proc     *exec.Cmd
}

func startKillable(t *testing.T, bin, cfg, dataDir, addr string) *killable {
	k := &killable{t: t, bin: bin, cfg: cfg, data: dataDir, addr: addr}
	k.start()
	t.Cleanup(func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		_ = k.proc.Process.Kill()
		_, _ = k.proc.Process.Wait()
	})
	return k
}

func (k *killable) start() {
	cmd := exec.Command(k.bin, "run", "-c", k.cfg, "--data-dir", k.data, "--log-level", "error")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		k.t.Fatal(err)
	}
	k.mu.Lock()
	k.proc = cmd
	k.mu.Unlock()
	waitListening(k.t, k.addr)
}

// killAndRestart sends SIGKILL (no shutdown code runs), reaps the process
// and starts a new one on the same data.
func (k *killable) killAndRestart() {
	k.mu.Lock()
	_ = k.proc.Process.Kill()
	_, _ = k.proc.Process.Wait()
	k.mu.Unlock()
	k.start()
}
