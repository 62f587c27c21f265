package plugin

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/hookferry/hookferry/sdk/internal/proto/hookferry/v1"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

// echoSink renders a request whose body is the message's (or upper-cased
// with upper), and remembers the last message it saw.
type echoSink struct {
	upper bool
	mu    sync.Mutex
	seen  sdk.Message
}

func (s *echoSink) Render(_ context.Context, m sdk.Message) (*sdk.Outbound, error) {
	s.mu.Lock()
	s.seen = m
	s.mu.Unlock()
	body := m.Body
	if s.upper {
		body = bytes.ToUpper(m.Body)
	}
	return &sdk.Outbound{Method: "POST", URL: "https://x.test", Body: body}, nil
}
func (s *echoSink) Close(context.Context) error { return nil }

// wire sits where the network is: it records the requests and replies of
// Render (unary or streamed) as they crossed it. With old set it acts as a
// plugin built before body references and RenderStream: it announces
// neither and does not know their fields; with unary, one that does not
// serve RenderStream.
type wire struct {
	*server
	old, unary bool
	socket     bool // offer the render socket (its renders bypass the recording)

	mu      sync.Mutex
	req     *pb.RenderRequest
	reply   *pb.RenderResponse
	unaries int // Render calls
	streams int // RenderStream calls
}

func (w *wire) Configure(ctx context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	resp, err := w.server.Configure(ctx, req)
	if w.old && resp != nil {
		resp.BodyRefs = false
	}
	if (w.old || w.unary) && resp != nil {
		resp.RenderStream = false
	}
	if (w.old || !w.socket) && resp != nil {
		resp.RenderSocket, resp.RenderToken = "", nil
	}
	return resp, err
}

func (w *wire) RenderStream(st pb.Plugin_RenderStreamServer) error {
	if w.old || w.unary {
		return w.server.UnimplementedPluginServer.RenderStream(st)
	}
	w.mu.Lock()
	w.streams++
	w.mu.Unlock()
	return w.server.RenderStream(&recordingStream{Plugin_RenderStreamServer: st, w: w})
}

type recordingStream struct {
	pb.Plugin_RenderStreamServer
	w *wire
}

func (r *recordingStream) Recv() (*pb.RenderRequest, error) {
	req, err := r.Plugin_RenderStreamServer.Recv()
	if req != nil {
		r.w.mu.Lock()
		r.w.req = req
		r.w.mu.Unlock()
	}
	return req, err
}

func (r *recordingStream) Send(resp *pb.RenderResponse) error {
	r.w.mu.Lock()
	r.w.reply = resp
	r.w.mu.Unlock()
	return r.Plugin_RenderStreamServer.Send(resp)
}

func (w *wire) Render(ctx context.Context, req *pb.RenderRequest) (*pb.RenderResponse, error) {
	w.mu.Lock()
	w.req = req
	w.unaries++
	w.mu.Unlock()
	if w.old {
		req.BodyRefs = false
		if req.Message != nil {
			req.Message.EventBody = false
		}
	}
	resp, err := w.server.Render(ctx, req)
	w.mu.Lock()
	w.reply = resp
	w.mu.Unlock()
	return resp, err
}

type wirePlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	w *wire
}

func (p *wirePlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterPluginServer(s, p.w)
	return nil
}

func (p *wirePlugin) GRPCClient(ctx context.Context, b *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return (&GRPCPlugin{}).GRPCClient(ctx, b, c)
}

func serveWire(t *testing.T, w *wire) sdk.Sink {
	t.Helper()
	sink, _ := serveWireServer(t, w)
	return sink
}

func serveWireServer(t *testing.T, w *wire) (sdk.Sink, *goplugin.GRPCServer) {
	t.Helper()
	sink, gs, _ := serveWireClient(t, w)
	return sink, gs
}

func serveWireClient(t *testing.T, w *wire) (sdk.Sink, *goplugin.GRPCServer, *Client) {
	t.Helper()
	w.server.noSocket = !w.socket
	t.Cleanup(w.server.closeSocket)
	client, gs := goplugin.TestPluginGRPCConn(t, false, map[string]goplugin.Plugin{PluginName: &wirePlugin{w: w}})
	t.Cleanup(func() { _ = client.Close() })
	raw, err := client.Dispense(PluginName)
	if err != nil {
		t.Fatal(err)
	}
	host := raw.(*Client)
	desc, err := host.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, err := desc.Components[0].Build(context.Background(), sdk.Config{Values: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	return c.(sdk.Sink), gs, host
}

// TestRenderSendsTheBodyOnceEachWay: the delivery path hands a sink a
// message whose body is the event's body; to a current plugin it crosses
// the wire once (not as both), and a rendered body equal to it does not
// come back. A plugin built before body references gets both bodies and
// sends its body back, as before; a body the sink changed always comes
// back. Every sink sees the full body and the host gets the rendered one.
func TestRenderSendsTheBodyOnceEachWay(t *testing.T) {
	body := []byte(`{"ref":"refs/heads/main","commits":[{"id":"1"}]}`)
	tests := []struct {
		name              string
		old, unary, upper bool
		wantReqBody       bool // Message.body on the wire
		wantRespBody      bool // Outbound.body on the wire
	}{
		{name: "current plugin", wantReqBody: false, wantRespBody: false},
		{name: "current plugin, body changed", upper: true, wantReqBody: false, wantRespBody: true},
		{name: "current plugin, unary", unary: true, wantReqBody: false, wantRespBody: false},
		{name: "current plugin, unary, body changed", unary: true, upper: true, wantReqBody: false, wantRespBody: true},
		{name: "plugin older than body references", old: true, wantReqBody: true, wantRespBody: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &echoSink{upper: tt.upper}
			def := sdk.DefineSink("echo", "", schema.Block{}, func(context.Context, sdk.Config) (*echoSink, error) { return sink, nil })
			srv, err := newServer("t", "0", []sdk.Definition{def}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			w := &wire{server: srv, old: tt.old, unary: tt.unary}
			remote := serveWire(t, w)

			m := sdk.MessageFromEvent(&sdk.Event{ID: "e", Body: body})
			out, err := remote.Render(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			want := body
			if tt.upper {
				want = bytes.ToUpper(body)
			}
			if !bytes.Equal(out.Body, want) {
				t.Errorf("host got body %q, want %q", out.Body, want)
			}
			if !bytes.Equal(sink.seen.Body, body) || !bytes.Equal(sink.seen.Event.Body, body) {
				t.Errorf("sink saw body %q, event body %q; want both %q", sink.seen.Body, sink.seen.Event.Body, body)
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			if got := len(w.req.Message.Body) > 0; got != tt.wantReqBody {
				t.Errorf("request carried Message.body: %v, want %v", got, tt.wantReqBody)
			}
			if !bytes.Equal(w.req.Message.Event.Body, body) {
				t.Errorf("request's event body %q, want %q", w.req.Message.Event.Body, body)
			}
			if got := len(w.reply.Outbound.Body) > 0; got != tt.wantRespBody {
				t.Errorf("reply carried Outbound.body: %v, want %v", got, tt.wantRespBody)
			}
			if streamed := !tt.old && !tt.unary; (w.streams == 1 && w.unaries == 0) != streamed {
				t.Errorf("%d streams, %d unary renders; streamed: %v", w.streams, w.unaries, streamed)
			}
		})
	}
}

// TestOlderHostGetsTheRenderedBody: a host built before body references
// neither sets RenderRequest.body_refs nor reads Outbound.message_body;
// the plugin sends it the body.
func TestOlderHostGetsTheRenderedBody(t *testing.T) {
	body := []byte(`{"a":1}`)
	def := sdk.DefineSink("echo", "", schema.Block{}, func(context.Context, sdk.Config) (*echoSink, error) { return &echoSink{}, nil })
	srv, err := newServer("t", "0", []sdk.Definition{def}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cr, err := srv.Configure(ctx, &pb.ConfigureRequest{Kind: pb.Kind_KIND_SINK, Name: "echo", ValuesJson: []byte(`{}`)})
	if err != nil || cr.Error != nil {
		t.Fatal(err, cr.GetError())
	}
	r, err := srv.Render(ctx, &pb.RenderRequest{InstanceId: cr.InstanceId, Message: &pb.Message{Event: &pb.Event{Id: "e", Body: body}, Body: body}})
	if err != nil || r.Error != nil {
		t.Fatal(err, r.GetError())
	}
	if !bytes.Equal(r.Outbound.Body, body) || r.Outbound.MessageBody {
		t.Fatalf("outbound body %q, message_body %v; want the body itself", r.Outbound.Body, r.Outbound.MessageBody)
	}
}
