package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/hookferry/hookferry/plugins/transforms/javascript"
	"github.com/hookferry/hookferry/sdk"
)

// The reference servers run as child processes of this same binary (so
// their CPU and RSS are measured the way hookferry's are): the parent sets
// serveEnv to "bare" or "forward", listenEnv and destEnv.
const (
	serveEnv  = "HOOKFERRY_BENCH_SERVE"
	listenEnv = "HOOKFERRY_BENCH_LISTEN"
	destEnv   = "HOOKFERRY_BENCH_DEST"
)

// serveIfChild runs a reference server and exits when this process was
// started as one; otherwise it returns.
func serveIfChild() {
	kind := os.Getenv(serveEnv)
	if kind == "" {
		return
	}
	if err := serve(kind, os.Getenv(listenEnv), os.Getenv(destEnv)); err != nil {
		fmt.Fprintln(os.Stderr, "bench server:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func serve(kind, listen, dest string) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	var h fasthttp.RequestHandler
	switch kind {
	case "bare":
		h = func(rc *fasthttp.RequestCtx) { rc.SetStatusCode(fasthttp.StatusAccepted) }
	case "forward":
		h, err = forwarder(dest)
		if err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown server %q", kind)
	}
	srv := &fasthttp.Server{Handler: h, Concurrency: 4096, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); _ = srv.Shutdown() }()
	return srv.Serve(ln)
}

// forwarder answers only after the mapped event reached the destination:
// the same goja transform hookferry runs, no queue, no retries.
func forwarder(dest string) (fasthttp.RequestHandler, error) {
	tr, err := javascript.New(context.Background(), sdk.Config{Name: "bench", Pipeline: "bench",
		Values: []byte(`{"code":` + strconv.Quote(mapping) + `}`)})
	if err != nil {
		return nil, err
	}
	client := &fasthttp.Client{MaxConnsPerHost: 256, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	url := "http://" + dest + "/"
	return func(rc *fasthttp.RequestCtx) {
		ev := &sdk.Event{ID: "bench", Type: "push", ReceivedAt: time.Now(),
			Body: rc.PostBody(), ContentType: string(rc.Request.Header.ContentType())}
		out, err := tr.Transform(rc, sdk.MessageFromEvent(ev))
		if err != nil || len(out) != 1 {
			rc.Error("transform failed", fasthttp.StatusInternalServerError)
			return
		}
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI(url)
		req.Header.SetMethod("POST")
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(out[0].Body)
		if err := client.Do(req, resp); err != nil || resp.StatusCode()/100 != 2 {
			rc.Error("destination failed", fasthttp.StatusBadGateway)
			return
		}
		rc.SetStatusCode(fasthttp.StatusAccepted)
	}, nil
}

// mapping is the GitHub push → chat message mapping every JS mode runs
// (the same as BenchmarkPushMapping in plugins/transforms/javascript).
const mapping = `function transform(event) {
  const b = event.body;
  const commits = b.commits.map(c => ({ id: c.id.slice(0, 7), message: c.message.split("\n")[0], author: c.author.name }));
  return {
    text: b.pusher.name + " pushed " + b.commits.length + " commit(s) to " + b.repository.full_name + " (" + b.ref + ")",
    repository: b.repository.full_name,
    url: b.compare,
    sender: b.sender.login,
    commits: commits,
  };
}`
