package plugin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"

	pb "github.com/hookferry/hookferry/sdk/internal/proto/hookferry/v1"

	"github.com/hookferry/hookferry/sdk"
)

// MaxHostHTTPBody bounds the request and the response body of one HTTP
// call a plugin makes through the host (sdk.Config.HTTP).
const MaxHostHTTPBody = 16 << 20

// errBodyTooLarge is permanent: the same body will always be too large.
var errBodyTooLarge = fmt.Errorf("body over the %d MiB limit of host HTTP calls", MaxHostHTTPBody>>20)

// hostServer is the host side of HostServices: it performs a plugin
// component's HTTP requests with the client the host gave that component.
type hostServer struct {
	pb.UnimplementedHostServicesServer
	c *Client
}

func (h *hostServer) HTTP(ctx context.Context, req *pb.HTTPRequest) (*pb.HTTPResponse, error) {
	v, ok := h.c.httpClients.Load(req.Handle)
	if !ok {
		return &pb.HTTPResponse{Error: errorToPB(sdk.Permanent(errors.New("the host gave this component no HTTP client")))}, nil
	}
	resp, err := do(ctx, v.(*http.Client), outboundFromPB(req.Request))
	if err != nil {
		return &pb.HTTPResponse{Error: errorToPB(err)}, nil
	}
	return &pb.HTTPResponse{Response: responseToPB(resp)}, nil
}

// do performs out with hc (the host's egress-checked client) and reads
// the answer, at most MaxHostHTTPBody of it. A positive out.Timeout
// bounds the call.
func do(ctx context.Context, hc *http.Client, out *sdk.Outbound) (*sdk.Response, error) {
	if out == nil {
		return nil, sdk.Permanent(errors.New("no request"))
	}
	if out.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, out.Timeout)
		defer cancel()
	}
	hreq, err := http.NewRequestWithContext(ctx, out.Method, out.URL, bytes.NewReader(out.Body))
	if err != nil {
		return nil, sdk.Permanent(err)
	}
	for k, vs := range out.Header {
		if strings.EqualFold(k, "host") && len(vs) > 0 {
			hreq.Host = vs[0]
			continue
		}
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxHostHTTPBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(body) > MaxHostHTTPBody {
		return nil, sdk.Permanent(errBodyTooLarge)
	}
	r := &sdk.Response{StatusCode: resp.StatusCode, Header: make(sdk.Header, len(resp.Header)), Body: body}
	for k, vs := range resp.Header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	return r, nil
}

// hostClient is the plugin side of HostServices.
type hostClient struct {
	rpc pb.HostServicesClient
}

// hostServices dials the host's services (broker id), once per id: the
// broker hands out a connection's address only once.
func (s *server) hostServices(id uint32) (*hostClient, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.hosts[id]; ok {
		return h, nil
	}
	if s.broker == nil {
		return nil, errors.New("no broker to reach the host")
	}
	conn, err := s.broker.DialWithOptions(id, grpc.WithDefaultCallOptions(CallOptions()...))
	if err != nil {
		return nil, err
	}
	h := &hostClient{rpc: pb.NewHostServicesClient(conn)}
	s.hosts[id] = h
	return h, nil
}

// httpClient is the *http.Client a component in the plugin receives as
// sdk.Config.HTTP: its transport hands every request to the host.
func (h *hostClient) httpClient(handle uint64) *http.Client {
	return &http.Client{
		Transport: &hostTransport{rpc: h.rpc, handle: handle},
		// The host does not follow redirects either; the caller sees the
		// 3xx and decides.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type hostTransport struct {
	rpc    pb.HostServicesClient
	handle uint64
}

func (t *hostTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	out := &sdk.Outbound{Method: req.Method, URL: req.URL.String(), Header: sdk.Header{}}
	if req.Body != nil {
		body, err := io.ReadAll(io.LimitReader(req.Body, MaxHostHTTPBody+1))
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		if len(body) > MaxHostHTTPBody {
			return nil, sdk.Permanent(errBodyTooLarge)
		}
		out.Body = body
	}
	if out.Method == "" {
		out.Method = http.MethodGet
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			out.Header.Add(k, v)
		}
	}
	if req.Host != "" && req.Host != req.URL.Host {
		out.Header.Set("host", req.Host)
	}
	if d, ok := req.Context().Deadline(); ok {
		out.Timeout = max(time.Until(d), time.Millisecond)
	}
	r, err := t.rpc.HTTP(req.Context(), &pb.HTTPRequest{Handle: t.handle, Request: outboundToPB(out)}, CallOptions()...)
	if err != nil {
		return nil, fmt.Errorf("host unavailable: %w", err)
	}
	if r.Error != nil {
		return nil, errorFromPB(r.Error)
	}
	resp := responseFromPB(r.Response)
	if resp == nil {
		return nil, errors.New("the host sent no answer")
	}
	h := make(http.Header, len(resp.Header))
	for k, vs := range resp.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	return &http.Response{
		Status:        sdk.StatusReason(resp.StatusCode),
		StatusCode:    resp.StatusCode,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(resp.Body)),
		ContentLength: int64(len(resp.Body)),
		Request:       req,
	}, nil
}
