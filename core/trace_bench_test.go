package core_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/internal/corpus"
	"github.com/hookferry/hookferry/plugins/all"
)

// discardCollector accepts OTLP/HTTP exports on loopback and throws them
// away unread beyond the body: the exporter's real cost (protobuf, HTTP)
// is measured, a collector's is not.
func discardCollector(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 64<<20))
		w.Header().Set("Content-Type", "application/x-protobuf")
	})}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// tracingSettings are the three settings compared: off, on at ratio 0
// (spans made but not recorded; traceparent stored and sent), on at 0.1
// (one trace in ten exported over OTLP/HTTP to a collector on loopback).
var tracingSettings = []struct{ name, telemetry string }{
	{"off", ""},
	{"ratio_0", `sample_ratio = 0`},
	{"ratio_0.1", `sample_ratio = 0.1`},
}

// benchEngine starts an engine with one http-source pipeline delivering to
// a local destination, with the queue block and telemetry settings given.
func benchEngine(b *testing.B, queueBlock, telemetry string) (*core.Engine, *sinkServer) {
	dest := newSinkServer(b)
	dir := b.TempDir()
	tel := ""
	if telemetry != "" {
		tel = "telemetry {\n  otlp_endpoint = \"" + discardCollector(b) + "\"\n  " + telemetry + "\n}\n"
	}
	cfg := queueBlock + "\n" + tel + `
pipeline "bench" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "http" "dest" {
    url         = "http://` + dest.addr + `/"
    concurrency = 32
  }
}`
	_ = os.WriteFile(filepath.Join(dir, "config.hcl"), []byte(cfg), 0o644)
	e, err := core.Load(context.Background(), core.Options{
		ConfigPath: filepath.Join(dir, "config.hcl"),
		DataDir:    filepath.Join(dir, "data"),
		Components: all.Definitions(all.Options{Stdout: io.Discard}),
		LookupEnv:  func(string) (string, bool) { return "", false },
		Listen:     "127.0.0.1:0",
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.Shutdown(context.Background()) })
	return e, dest
}

// BenchmarkIngressTracing: accepted webhooks per second through the
// ingress (fasthttp, http source, queue; the consumer delivers to a local
// destination meanwhile) for each tracing setting, on the GitHub push
// payload.
func BenchmarkIngressTracing(b *testing.B) {
	body := corpus.Read(b, corpus.GitHubPush)
	for _, q := range []struct{ name, block string }{
		{"memory", `queue { backend = "memory" }`},
		{"jetstream", ``},
	} {
		for _, tc := range tracingSettings {
			b.Run(q.name+"/"+tc.name, func(b *testing.B) {
				e, _ := benchEngine(b, q.block, tc.telemetry)
				b.SetBytes(int64(len(body)))
				b.ResetTimer()
				postAll(b, "http://"+e.Addr()+"/in", body, b.N, 32, 202)
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "accepted/s")
			})
		}
	}
}

// BenchmarkIngressTracingInterleaved compares the three settings in one
// run on a shared, noisy machine: the three engines run side by side and
// each round (one b.N) posts the same batch (250 webhooks) to each in turn, in a rotating
// order, waiting for the batch's deliveries to drain before the next
// engine's turn. It reports each setting's accepted/s over all rounds and
// the median per-round cost against off (paired rounds cancel the drift of
// other load):
//
//	go test -run '^$' -bench IngressTracingInterleaved -benchtime 150x ./core/
func BenchmarkIngressTracingInterleaved(b *testing.B) {
	body := corpus.Read(b, corpus.GitHubPush)
	const batch = 250
	for _, q := range []struct{ name, block string }{
		{"memory", `queue { backend = "memory" }`},
		{"jetstream", ``},
	} {
		b.Run(q.name, func(b *testing.B) {
			engines := make([]*core.Engine, len(tracingSettings))
			dests := make([]*sinkServer, len(tracingSettings))
			// One client per engine for all rounds: a new one per round
			// would leave its idle connections open on the server until
			// they fill its concurrency limit.
			clients := make([]*fasthttp.Client, len(tracingSettings))
			for i, tc := range tracingSettings {
				engines[i], dests[i] = benchEngine(b, q.block, tc.telemetry)
				clients[i] = &fasthttp.Client{MaxConnsPerHost: 32}
			}
			total, cpu := make([]time.Duration, len(engines)), make([]time.Duration, len(engines))
			ratios, cpuRatios := make([][]float64, len(engines)), make([][]float64, len(engines))
			b.ResetTimer()
			for round := range b.N {
				took, used := make([]time.Duration, len(engines)), make([]time.Duration, len(engines))
				for k := range engines {
					i := (round + k) % len(engines)
					start, startCPU := time.Now(), cpuTime()
					postWith(b, clients[i], "http://"+engines[i].Addr()+"/in", body, batch, 32)
					took[i] = time.Since(start)
					want := int64(batch * (round + 1))
					for deadline := time.Now().Add(time.Minute); dests[i].n.Load() < want; time.Sleep(time.Millisecond) {
						if time.Now().After(deadline) {
							b.Fatalf("%s: delivered %d of %d", tracingSettings[i].name, dests[i].n.Load(), want)
						}
					}
					// CPU through delivery: what the batch cost the
					// process end to end, load generator included.
					used[i] = cpuTime() - startCPU
				}
				for i := range engines {
					total[i] += took[i]
					ratios[i] = append(ratios[i], float64(took[i])/float64(took[0]))
					cpu[i] += used[i]
					cpuRatios[i] = append(cpuRatios[i], float64(used[i])/float64(used[0]))
				}
			}
			b.StopTimer()
			for i, tc := range tracingSettings {
				b.ReportMetric(float64(batch*b.N)/total[i].Seconds(), tc.name+"_accepted/s")
				b.ReportMetric(float64(cpu[i].Microseconds())/float64(batch*b.N), tc.name+"_cpu_us/event")
				if i > 0 {
					b.ReportMetric(100*(median(ratios[i])-1), tc.name+"_median_cost_%")
					b.ReportMetric(100*(median(cpuRatios[i])-1), tc.name+"_median_cpu_cost_%")
				}
			}
		})
	}
}

// postWith sends n POSTs of body to url from conc goroutines through
// client and fails on any status but 202.
func postWith(b *testing.B, client *fasthttp.Client, url string, body []byte, n, conc int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for next.Add(1) <= int64(n) {
				req.SetRequestURI(url)
				req.Header.SetMethod("POST")
				req.Header.SetContentType("application/json")
				req.SetBody(body)
				if err := client.DoTimeout(req, resp, 10*time.Second); err != nil {
					b.Error(err)
					return
				}
				if resp.StatusCode() != http.StatusAccepted {
					b.Errorf("status %d: %s", resp.StatusCode(), resp.Body())
					return
				}
			}
		})
	}
	wg.Wait()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
