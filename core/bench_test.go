package core_test

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/internal/corpus"
	"github.com/hookferry/hookferry/plugins/all"
)

// sinkServer is a fasthttp destination on loopback that counts requests.
type sinkServer struct {
	addr string
	n    atomic.Int64
	srv  *fasthttp.Server
}

func newSinkServer(b *testing.B) *sinkServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := &sinkServer{addr: ln.Addr().String()}
	s.srv = &fasthttp.Server{Handler: func(rc *fasthttp.RequestCtx) {
		s.n.Add(1)
		rc.SetStatusCode(200)
	}}
	go func() { _ = s.srv.Serve(ln) }()
	b.Cleanup(func() { _ = s.srv.Shutdown() })
	return s
}

// postAll sends n POSTs of body to url from conc goroutines and fails on
// any status other than want.
func postAll(b *testing.B, url string, body []byte, n, conc, want int) {
	client := &fasthttp.Client{MaxConnsPerHost: conc}
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
				req.Header.Set("X-GitHub-Event", "push")
				req.SetBody(body)
				if err := client.DoTimeout(req, resp, 10*time.Second); err != nil {
					b.Error(err)
					return
				}
				if resp.StatusCode() != want {
					b.Errorf("status %d", resp.StatusCode())
					return
				}
			}
		})
	}
	wg.Wait()
}

const benchScript = `
function transform(event) {
  const b = event.body;
  return { text: b.pusher.name + " pushed " + b.commits.length + " commit(s) to " + b.repository.full_name, ref: b.ref };
}`

// BenchmarkIngressToSink: events per op through the whole engine (fasthttp
// ingress, http source, queue, consumer, optional JS transform, http sink,
// fasthttp client) to a local fasthttp destination, on the GitHub push
// payload. direct_to_destination posts the same bodies straight to the
// destination: the loopback HTTP cost the engine adds to.
func BenchmarkIngressToSink(b *testing.B) {
	body := corpus.Read(b, corpus.GitHubPush)
	const conc = 32
	b.Run("direct_to_destination", func(b *testing.B) {
		dest := newSinkServer(b)
		b.SetBytes(int64(len(body)))
		b.ResetTimer()
		postAll(b, "http://"+dest.addr+"/", body, b.N, conc, 200)
	})
	for _, tc := range []struct {
		name, queue, transform string
	}{
		{"memory_no_transform", `queue { backend = "memory" }`, ""},
		{"memory_js_transform", `queue { backend = "memory" }`, `transform "javascript" { file = "t.js" }`},
		{"jetstream_js_transform", ``, `transform "javascript" { file = "t.js" }`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			dest := newSinkServer(b)
			dir := b.TempDir()
			_ = os.WriteFile(filepath.Join(dir, "t.js"), []byte(benchScript), 0o644)
			cfg := tc.queue + `
pipeline "bench" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  ` + tc.transform + `
  sink "http" "dest" {
    url = "http://` + dest.addr + `/"
    concurrency = 32
  }
}`
			_ = os.WriteFile(filepath.Join(dir, "config.hcl"), []byte(cfg), 0o644)
			e, err := core.Load(context.Background(), core.Options{
				ConfigPath: filepath.Join(dir, "config.hcl"),
				DataDir:    filepath.Join(dir, "data"),
				Components: all.Definitions(all.Options{Stdout: io.Discard}),
				Listen:     "127.0.0.1:0",
			})
			if err != nil {
				b.Fatal(err)
			}
			if err := e.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			defer e.Shutdown(context.Background())
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			postAll(b, "http://"+e.Addr()+"/in", body, b.N, conc, 202)
			deadline := time.Now().Add(time.Minute)
			for dest.n.Load() < int64(b.N) {
				if time.Now().After(deadline) {
					b.Fatalf("delivered %d of %d", dest.n.Load(), b.N)
				}
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
