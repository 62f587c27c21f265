package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/valyala/fasthttp"
)

func main() {
	bin := flag.String("bin", "", "hookferry binary (required)")
	bodyPath := flag.String("body", "", "request body file (required)")
	n := flag.Int("n", 20000, "requests per mode")
	conc := flag.Int("c", 64, "concurrent senders")
	timeout := flag.Duration("timeout", 5*time.Minute, "give up after this long")
	modes := flag.String("modes", "memory,interval,interval-group,always-single,always,e2e", "what to measure, comma-separated")
	flag.Parse()
	if *bin == "" || *bodyPath == "" {
		flag.Usage()
		os.Exit(2)
	}
	body, err := os.ReadFile(*bodyPath)
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "mode\trequests\tconcurrency\taccepted/s\tp50 ack\tp99 ack\tdelivered/s\terrors\n")
	for _, mode := range splitComma(*modes) {
		r, err := runMode(ctx, *bin, mode, body, *n, *conc)
		if err != nil {
			fail(fmt.Errorf("%s: %w", mode, err))
		}
		delivered := "-"
		if r.deliveredPerSec > 0 {
			delivered = fmt.Sprintf("%.0f", r.deliveredPerSec)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%d\n", mode, *n, *conc, r.acceptedPerSec,
			r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), delivered, r.errors)
	}
	_ = tw.Flush()
	fmt.Printf("body %d bytes, %d requests per mode, loopback\n", len(body), *n)
}

type result struct {
	acceptedPerSec  float64
	deliveredPerSec float64
	p50, p99        time.Duration
	errors          int64
}

// runMode starts hookferry with a config for mode, loads it, stops it.
func runMode(ctx context.Context, bin, mode string, body []byte, n, conc int) (result, error) {
	dir, err := os.MkdirTemp("", "hookferry-load-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)

	var sinkCount atomic.Int64
	sink, sinkAddr, err := startSink(&sinkCount)
	if err != nil {
		return result{}, err
	}
	defer sink.Shutdown()

	addr, err := freeAddr()
	if err != nil {
		return result{}, err
	}
	queue := `queue { backend = "memory" }`
	transform := ""
	switch mode {
	case "memory":
	case "interval", "e2e":
		queue = `queue { sync = "interval" }`
	case "interval-group":
		queue = `queue {
  sync         = "interval"
  group_commit = true
}`
	case "always":
		queue = `queue { sync = "always" }`
	case "always-single":
		queue = `queue {
  sync         = "always"
  group_commit = false
}`
	default:
		return result{}, fmt.Errorf("unknown mode %q", mode)
	}
	if mode == "e2e" {
		transform = `transform "javascript" {
    code = "function transform(e) { const b = e.body; return { text: (b.pusher ? b.pusher.name : 'someone') + ' pushed to ' + (b.repository ? b.repository.full_name : '?') }; }"
  }`
	}
	cfg := fmt.Sprintf(`
server {
  listen          = %q
  max_concurrency = 4096
}
%s
pipeline "load" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  %s
  sink "http" "local" {
    url         = "http://%s/"
    concurrency = 64
  }
}`, addr, queue, transform, sinkAddr)
	cfgPath := filepath.Join(dir, "load.hcl")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return result{}, err
	}
	cmd := exec.CommandContext(ctx, bin, "run", "-c", cfgPath, "--data-dir", filepath.Join(dir, "data"), "--log-level", "error")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	if err := waitListening(ctx, addr); err != nil {
		return result{}, err
	}

	lat := make([]time.Duration, n)
	var next, errs atomic.Int64
	client := &fasthttp.Client{MaxConnsPerHost: conc, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	url := "http://" + addr + "/in"
	start := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || ctx.Err() != nil {
					return
				}
				req.SetRequestURI(url)
				req.Header.SetMethod("POST")
				req.Header.SetContentType("application/json")
				req.Header.Set("Idempotency-Key", fmt.Sprintf("load-%s-%d", mode, i))
				req.SetBodyRaw(body)
				t0 := time.Now()
				err := client.Do(req, resp)
				lat[i] = time.Since(t0)
				if err != nil || resp.StatusCode() != 202 {
					errs.Add(1)
				}
			}
		})
	}
	wg.Wait()
	acceptedIn := time.Since(start)
	for sinkCount.Load() < int64(n)-errs.Load() {
		if ctx.Err() != nil {
			return result{}, fmt.Errorf("delivered %d of %d before the timeout", sinkCount.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	deliveredIn := time.Since(start)
	slices.Sort(lat)
	r := result{
		acceptedPerSec: float64(n) / acceptedIn.Seconds(),
		p50:            lat[n/2],
		p99:            lat[n*99/100],
		errors:         errs.Load(),
	}
	if mode == "e2e" {
		r.deliveredPerSec = float64(n) / deliveredIn.Seconds()
	}
	return r, nil
}

func startSink(count *atomic.Int64) (*fasthttp.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	s := &fasthttp.Server{Handler: func(rc *fasthttp.RequestCtx) { count.Add(1) }}
	go func() { _ = s.Serve(ln) }()
	return s, ln.Addr().String(), nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitListening(ctx context.Context, addr string) error {
	for ctx.Err() == nil {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("hookferry never listened on %s", addr)
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	os.Exit(1)
}
