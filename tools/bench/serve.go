package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/signal"
	"reflect"
	"strconv"
	"strings"
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
	tr, err := jsMapping()
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

func jsMapping() (*javascript.Transform, error) {
	return javascript.New(context.Background(), sdk.Config{Name: "bench", Pipeline: "bench",
		Values: []byte(`{"code":` + strconv.Quote(mapping) + `}`)})
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

// bloblangMapping is mapping in Benthos's bloblang, field by field, for
// the benthos mode; mapped checks that both make the same message.
const bloblangMapping = `root.text = this.pusher.name + " pushed " + this.commits.length().string() + " commit(s) to " + this.repository.full_name + " (" + this.ref + ")"
root.repository = this.repository.full_name
root.url = this.compare
root.sender = this.sender.login
root.commits = this.commits.map_each(c -> {"id": c.id.slice(0, 7), "message": c.message.split("\n").index(0), "author": c.author.name})`

// benthosConfig is the benthos mode's stream, the shape issue 14 measured
// (Benthos v4.60 http_server → bloblang → http_client): the input answers
// 200 only once the output has delivered the message (its default
// synchronous response, 502 when delivery failed), and the output posts
// with 64 requests in flight, the hookferry sink's concurrency. The HTTP
// API server is off: the input listens on its own address, and a fixed
// port (4195) could clash with another run.
func benthosConfig(listen, dest string, inFlight int) string {
	return fmt.Sprintf(`http:
  enabled: false
logger:
  level: WARN
input:
  http_server:
    address: %q
    path: /in
pipeline:
  processors:
    - mapping: |
%s
output:
  http_client:
    url: %q
    verb: POST
    headers:
      Content-Type: application/json
    max_in_flight: %d
`, listen, indent(bloblangMapping, "        "), "http://"+dest+"/", inFlight)
}

func indent(s, prefix string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		b.WriteString(prefix + line)
	}
	return b.String()
}

// mapped checks that got, a body the destination received, is the JSON
// the JS mapping makes of body (the same fields and values; key order and
// escaping may differ).
func mapped(body, got []byte) error {
	tr, err := jsMapping()
	if err != nil {
		return err
	}
	defer tr.Close(context.Background())
	out, err := tr.Transform(context.Background(), sdk.MessageFromEvent(&sdk.Event{ID: "bench", Type: "push",
		ReceivedAt: time.Now(), Body: body, ContentType: "application/json"}))
	if err != nil || len(out) != 1 {
		return fmt.Errorf("the JS mapping: %d messages, %v", len(out), err)
	}
	var a, b any
	if err := json.Unmarshal(out[0].Body, &a); err != nil {
		return fmt.Errorf("the JS mapping's output: %w", err)
	}
	if err := json.Unmarshal(got, &b); err != nil {
		return fmt.Errorf("the destination received %q: %w", got, err)
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Errorf("the destination received\n%s\nthe JS mapping makes\n%s", got, out[0].Body)
	}
	return nil
}
