package plugin_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/plugin"
	"github.com/hookferry/hookferry/sdk/schema"
	"github.com/hookferry/hookferry/sdk/sdktest"
)

type renderSink struct{}

func (renderSink) Render(context.Context, sdk.Message) (*sdk.Outbound, error) {
	return &sdk.Outbound{Method: "POST", URL: "https://x.test"}, nil
}
func (renderSink) Close(context.Context) error { return nil }

type interpretSink struct{ renderSink }

func (interpretSink) Interpret(context.Context, *sdk.Outbound, *sdk.Response) sdk.Verdict {
	return sdk.Verdict{Outcome: sdk.Fail, Reason: "interpreted"}
}

type deliverSink struct{ renderSink }

func (deliverSink) Deliver(context.Context, sdk.Message) error { return nil }

type bothSink struct {
	interpretSink
	deliverSink
}

func (bothSink) Render(context.Context, sdk.Message) (*sdk.Outbound, error) { return nil, nil }
func (bothSink) Close(context.Context) error                                { return nil }

type pacedSink struct{ renderSink }

func (pacedSink) DefaultRateLimit() float64 { return 1 }

func sinkDef[S sdk.Sink](s S) sdk.Definition {
	return sdk.DefineSink("s", "", schema.Block{}, func(context.Context, sdk.Config) (S, error) { return s, nil })
}

// TestCapabilitiesCrossTheWireAsData: whatever optional interfaces a
// plugin's sink implements, the host-side component (one Go type for every
// sink) answers sdk.As exactly as the in-process component does.
func TestCapabilitiesCrossTheWireAsData(t *testing.T) {
	tests := []struct {
		name string
		def  sdk.Definition
	}{
		{"render only", sinkDef(renderSink{})},
		{"interpreter", sinkDef(interpretSink{})},
		{"deliverer", sinkDef(deliverSink{})},
		{"both", sinkDef(bothSink{})},
		{"pacer", sinkDef(pacedSink{})},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local, err := tt.def.Build(ctx, sdk.Config{})
			if err != nil {
				t.Fatal(err)
			}
			desc, err := sdktest.Serve(t, tt.def).Describe(ctx)
			if err != nil {
				t.Fatal(err)
			}
			remote, err := desc.Components[0].Build(ctx, sdk.Config{})
			if err != nil {
				t.Fatal(err)
			}
			_, li := sdk.As[sdk.Interpreter](local)
			_, ri := sdk.As[sdk.Interpreter](remote)
			_, ld := sdk.As[sdk.Deliverer](local)
			_, rd := sdk.As[sdk.Deliverer](remote)
			lp, lpok := sdk.As[sdk.Pacer](local)
			rp, rpok := sdk.As[sdk.Pacer](remote)
			if li != ri || ld != rd || lpok != rpok || (lpok && lp.DefaultRateLimit() != rp.DefaultRateLimit()) {
				t.Fatalf("through the wire interpreter %v deliverer %v pacer %v; in-process %v %v %v", ri, rd, rpok, li, ld, lpok)
			}
			if ri {
				in, _ := sdk.As[sdk.Interpreter](remote)
				if v := in.Interpret(ctx, &sdk.Outbound{}, &sdk.Response{StatusCode: 200}); v.Reason != "interpreted" {
					t.Fatalf("Interpret through the wire: %+v", v)
				}
			}
		})
	}
}

// hostSink makes one request with the host's client when it renders.
type hostSink struct {
	hc  *http.Client
	url string
}

func (s hostSink) Render(ctx context.Context, _ sdk.Message) (*sdk.Outbound, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader("ping"))
	req.Header.Set("X-Probe", "1")
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return &sdk.Outbound{Method: "POST", URL: s.url, Header: sdk.Header{"x-answer": {resp.Header.Get("X-Answer")}, "x-status": {resp.Status}}}, nil
}
func (hostSink) Close(context.Context) error { return nil }

// TestHostHTTPAcrossTheBoundary: a plugin component's requests are made by
// the host, with the client the host gave it; the host's refusals reach
// the plugin with their class (permanent), and a rate limit keeps its
// delay.
func TestHostHTTPAcrossTheBoundary(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Probe")+" "+r.Header.Get("X-Via-Host"))
		w.Header().Set("X-Answer", "pong")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	def := sdk.DefineSink("h", "", schema.Block{Attributes: []schema.Attribute{{Name: "url", Type: schema.String}}},
		func(_ context.Context, cfg sdk.Config) (hostSink, error) {
			var c struct {
				URL string `json:"url"`
			}
			err := cfg.Decode(&c)
			return hostSink{hc: cfg.HTTPClient(), url: c.URL}, err
		})
	ctx := context.Background()
	desc, err := sdktest.Serve(t, def).Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The host's client: it marks what it sends, so the test can tell the
	// host made the request.
	hostClient := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		if strings.Contains(r.URL.Host, "refused.test") {
			return nil, sdk.Permanent(errors.New("egress refused: 10.0.0.1 is a private address"))
		}
		r.Header.Set("X-Via-Host", "yes")
		return http.DefaultTransport.RoundTrip(r)
	})}

	remote, err := desc.Components[0].Build(ctx, sdk.Config{Values: []byte(`{"url":"` + srv.URL + `/probe"}`), HTTP: hostClient})
	if err != nil {
		t.Fatal(err)
	}
	out, err := remote.(sdk.Sink).Render(ctx, sdk.Message{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Header.Get("x-answer") != "pong" || out.Header.Get("x-status") != "202 Accepted" {
		t.Fatalf("the plugin read %v", out.Header)
	}
	if len(seen) != 1 || seen[0] != "POST /probe 1 yes" {
		t.Fatalf("requests seen: %q", seen)
	}

	refused, err := desc.Components[0].Build(ctx, sdk.Config{Values: []byte(`{"url":"http://refused.test/"}`), HTTP: hostClient})
	if err != nil {
		t.Fatal(err)
	}
	_, err = refused.(sdk.Sink).Render(ctx, sdk.Message{})
	if !sdk.IsPermanent(err) || !strings.Contains(err.Error(), "egress refused") {
		t.Fatalf("refused request: err = %v, want permanent egress refusal", err)
	}

	// Built without a host client, the plugin's component has none either.
	hostless, err := desc.Components[0].Build(ctx, sdk.Config{Values: []byte(`{"url":"` + srv.URL + `"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hostless.(sdk.Sink).Render(ctx, sdk.Message{}); err == nil || !strings.Contains(err.Error(), "no host services") {
		t.Fatalf("hostless: err = %v", err)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type laterTransform struct{}

func (laterTransform) Transform(context.Context, sdk.Message) ([]sdk.Message, error) {
	return nil, sdk.RetryAfter(errors.New("busy"), 42*time.Second)
}
func (laterTransform) Close(context.Context) error { return nil }

// TestRetryAfterCrossesTheWire: an error's retry delay survives the
// plugin boundary.
func TestRetryAfterCrossesTheWire(t *testing.T) {
	def := sdk.DefineTransform("later", "", schema.Block{}, func(context.Context, sdk.Config) (laterTransform, error) { return laterTransform{}, nil })
	desc, err := sdktest.Serve(t, def).Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, err := desc.Components[0].Build(context.Background(), sdk.Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.(sdk.Transform).Transform(context.Background(), sdk.Message{Event: &sdk.Event{}})
	if d, ok := sdk.RetryAfterOf(err); !ok || d != 42*time.Second || sdk.IsPermanent(err) {
		t.Fatalf("err = %v, retry after %v", err, d)
	}
}

// TestServeReturnsErrors: Serve reports a bad definition or a binary run
// by hand as an error for main to print; it never exits the process.
func TestServeReturnsErrors(t *testing.T) {
	err := plugin.Serve(plugin.ServeOpts{Name: "bad", Components: []sdk.Definition{{Kind: sdk.KindSink, Name: "x"}}})
	if err == nil || !strings.Contains(err.Error(), "nil constructor") {
		t.Fatalf("bad definition: %v", err)
	}
	t.Setenv(plugin.Handshake.MagicCookieKey, "")
	err = plugin.Serve(plugin.ServeOpts{Name: "ok", Components: []sdk.Definition{sinkDef(renderSink{})}})
	if !errors.Is(err, plugin.ErrNotStartedByHost) {
		t.Fatalf("run by hand: %v", err)
	}
}
