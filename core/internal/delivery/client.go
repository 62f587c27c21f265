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

// NewClient returns a client with bounded connections, timeouts and
// response size, connecting only where egress allows.
func NewClient(egress Egress) *Client {
	return &Client{hc: &fasthttp.Client{
		Dial:                          egress.dialer(DefaultTimeout),
		Name:                          userAgent,
		MaxConnsPerHost:               DefaultMaxConnsPerHost,
		MaxIdleConnDuration:           30 * time.Second,
		ReadTimeout:                   DefaultTimeout,
		WriteTimeout:                  DefaultTimeout,
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
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)

	req.SetRequestURI(out.URL)
	req.Header.SetMethod(out.Method)
	for k, vals := range out.Header {
		for _, v := range vals {
			req.Header.Add(k, v)
		}
	}
	req.SetBodyRaw(out.Body)
	budget := time.Until(deadline).Round(time.Millisecond)
	if err := c.hc.DoDeadline(req, resp, deadline); err != nil {
		if errors.Is(err, ErrEgressRefused) {
			return nil, sdk.Permanent(err)
		}
		if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) {
			return nil, fmt.Errorf("no answer within %s: %w", budget, err)
		}
		return nil, err
	}
	r := &sdk.Response{StatusCode: resp.StatusCode(), Header: sdk.Header{}, Body: append([]byte(nil), resp.Body()...)}
	for k, v := range resp.Header.All() {
		r.Header.Add(strings.ToLower(string(k)), string(v))
	}
	return r, nil
}

// Close drops idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }
