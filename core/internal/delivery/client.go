package delivery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/hookferry/hookferry/sdk"
)

// Defaults of the client.
const (
	DefaultTimeout         = 10 * time.Second
	DefaultMaxResponseBody = 1 << 20
	DefaultMaxConnsPerHost = 64
	userAgent              = "hookferry"
)

// Client sends outbound requests.
type Client struct {
	hc *fasthttp.Client
}

// requestWriteBuffer holds a request's head and body for one write: with
// fasthttp's default (4 KiB) a webhook of a few KiB went out in two
// write syscalls, the head with the body's start, then the rest (a
// profile at saturation: 11% of the process's CPU in those writes).
// The buffers are pooled per request sent, not held per connection.
const requestWriteBuffer = 32 << 10

// NewClient returns a client with bounded connections, timeouts and
// response size, connecting only where egress allows.
//
// The client sets no read or write timeout of its own: every request is
// sent with DoDeadline, and fasthttp applies that deadline to the
// connection's reads and writes, so the sink's timeout (which may be longer
// than DefaultTimeout) is the one that applies.
func NewClient(egress Egress) *Client {
	return &Client{hc: &fasthttp.Client{
		Dial:                          egress.dialer(DefaultTimeout),
		Name:                          userAgent,
		MaxConnsPerHost:               DefaultMaxConnsPerHost,
		WriteBufferSize:               requestWriteBuffer,
		MaxIdleConnDuration:           30 * time.Second,
		MaxResponseBodySize:           DefaultMaxResponseBody,
		MaxConnWaitTimeout:            DefaultTimeout,
		NoDefaultUserAgentHeader:      false,
		DisableHeaderNamesNormalizing: false,
		DisablePathNormalizing:        true,
	}}
}

// Send performs one attempt. The deadline is the earlier of ctx's and
// out.Timeout (DefaultTimeout when zero). A transport error (connection
// refused, timeout) is returned as an error; any HTTP answer as a Response.
// When ctx ends first (shutdown), Send returns ctx's error at once; the
// request left behind ends by its own deadline.
func (c *Client) Send(ctx context.Context, out *sdk.Outbound) (*sdk.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	timeout := out.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	req := fasthttp.AcquireRequest()
	req.SetRequestURI(out.URL)
	req.Header.SetMethod(out.Method)
	for k, vals := range out.Header {
		for _, v := range vals {
			req.Header.Add(k, v)
		}
	}
	req.SetBodyRaw(out.Body)
	budget := time.Until(deadline).Round(time.Millisecond)
	type result struct {
		r   *sdk.Response
		err error
	}
	// fasthttp takes no context: the request runs on its own goroutine,
	// which owns req and resp, so that a cancelled ctx need not wait for it.
	done := make(chan result, 1)
	go func() {
		resp := fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		if err := c.hc.DoDeadline(req, resp, deadline); err != nil {
			done <- result{err: err}
			return
		}
		r := &sdk.Response{StatusCode: resp.StatusCode(), Header: sdk.Header{}, Body: append([]byte(nil), resp.Body()...)}
		for k, v := range resp.Header.All() {
			r.Header.Add(strings.ToLower(string(k)), string(v))
		}
		done <- result{r: r}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		return nil, fmt.Errorf("attempt cancelled: %w", context.Cause(ctx))
	}
	if err := res.err; err != nil {
		if errors.Is(err, ErrEgressRefused) {
			return nil, sdk.Permanent(err)
		}
		if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) {
			return nil, fmt.Errorf("no answer within %s: %w", budget, err)
		}
		return nil, err
	}
	return res.r, nil
}

// Close drops idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }
