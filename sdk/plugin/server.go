package plugin

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	pb "github.com/hookferry/hookferry/sdk/internal/proto/hookferry/v1"

	"github.com/hookferry/hookferry/sdk"
)

// server is the plugin side: it builds component instances from the
// definitions it was given and answers the host's calls on them.
type server struct {
	pb.UnimplementedPluginServer
	name, version string
	defs          map[pb.Kind]map[string]sdk.Definition
	order         []sdk.Definition
	log           *slog.Logger

	mu        sync.Mutex
	instances map[string]sdk.Component
	next      atomic.Uint64

	// broker reaches the host's services; nil in a server without one.
	broker *goplugin.GRPCBroker
	hosts  map[uint32]*hostClient // by broker id, dialled once each

	// sock is the render socket (socket.go), opened on the first
	// Configure; nil when it could not be or noSocket is set.
	sockOnce sync.Once
	sock     *sockListener
	noSocket bool
}

// closeSocket stops the render socket and removes its directory.
func (s *server) closeSocket() {
	s.sockOnce.Do(func() {}) // none opened after this
	s.sock.close()
}

func newServer(name, version string, defs []sdk.Definition, log *slog.Logger) (*server, error) {
	s := &server{name: name, version: version, defs: map[pb.Kind]map[string]sdk.Definition{}, instances: map[string]sdk.Component{}, log: log,
		hosts: map[uint32]*hostClient{}}
	for _, d := range defs {
		if err := d.Validate(); err != nil {
			return nil, err
		}
		k := pb.Kind(d.Kind)
		if s.defs[k] == nil {
			s.defs[k] = map[string]sdk.Definition{}
		}
		if _, dup := s.defs[k][d.Name]; dup {
			return nil, fmt.Errorf("%s %q is defined twice", d.Kind, d.Name)
		}
		s.defs[k][d.Name] = d
		s.order = append(s.order, d)
	}
	return s, nil
}

func (s *server) Describe(context.Context, *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	resp := &pb.DescribeResponse{PluginName: s.name, PluginVersion: s.version, SdkVersion: sdk.Version, ProtocolVersion: ProtocolVersion}
	for _, d := range s.order {
		resp.Components = append(resp.Components, &pb.Component{Kind: pb.Kind(d.Kind), Name: d.Name, Description: d.Description, Schema: blockToPB(d.Schema)})
	}
	return resp, nil
}

func (s *server) Configure(ctx context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	d, ok := s.defs[req.Kind][req.Name]
	if !ok {
		return &pb.ConfigureResponse{Error: errorToPB(fmt.Errorf("this plugin has no %s %q", sdk.Kind(req.Kind), req.Name))}, nil
	}
	cfg := sdk.Config{Values: req.ValuesJson, BaseDir: req.BaseDir, Pipeline: req.Pipeline, Name: req.InstanceName,
		Logger: s.log.With("pipeline", req.Pipeline, sdk.Kind(req.Kind).String(), req.Name)}
	if req.HttpHandle != 0 && req.HostServices != 0 {
		host, err := s.hostServices(req.HostServices)
		if err != nil {
			return &pb.ConfigureResponse{Error: errorToPB(fmt.Errorf("host services: %w", err))}, nil
		}
		cfg.HTTP = host.httpClient(req.HttpHandle)
	}
	c, err := d.Build(ctx, cfg)
	if err != nil {
		return &pb.ConfigureResponse{Error: errorToPB(err)}, nil
	}
	id := strconv.FormatUint(s.next.Add(1), 10)
	s.mu.Lock()
	s.instances[id] = c
	s.mu.Unlock()
	resp := &pb.ConfigureResponse{InstanceId: id, Capabilities: capabilitiesToPB(sdk.CapabilitiesOf(c)), BodyRefs: true,
		RenderStream: true}
	if _, sink := c.(sdk.Sink); sink && !s.noSocket {
		if l := s.renderSocket(); l != nil {
			resp.RenderSocket, resp.RenderToken = l.path, l.token
		}
	}
	return resp, nil
}

func (s *server) instance(id string) (sdk.Component, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.instances[id]
	if !ok {
		return nil, fmt.Errorf("no component instance %q (the plugin restarted?)", id)
	}
	return c, nil
}

func as[T any](s *server, id string) (T, error) {
	var zero T
	c, err := s.instance(id)
	if err != nil {
		return zero, err
	}
	t, ok := c.(T)
	if !ok {
		return zero, sdk.Permanent(fmt.Errorf("instance %s does not support this call", id))
	}
	return t, nil
}

func (s *server) Receive(ctx context.Context, req *pb.ReceiveRequest) (*pb.ReceiveResponse, error) {
	src, err := as[sdk.Source](s, req.InstanceId)
	if err != nil {
		return &pb.ReceiveResponse{Error: errorToPB(err)}, nil
	}
	rec, err := src.Receive(ctx, requestFromPB(req.Request))
	if err != nil {
		return &pb.ReceiveResponse{Error: errorToPB(err)}, nil
	}
	return &pb.ReceiveResponse{Event: eventToPB(rec.Event), Reply: responseToPB(rec.Reply)}, nil
}

func (s *server) Transform(ctx context.Context, req *pb.TransformRequest) (*pb.TransformResponse, error) {
	t, err := as[sdk.Transform](s, req.InstanceId)
	if err != nil {
		return &pb.TransformResponse{Error: errorToPB(err)}, nil
	}
	out, err := t.Transform(ctx, messageFromPB(req.Message))
	if err != nil {
		return &pb.TransformResponse{Error: errorToPB(err)}, nil
	}
	resp := &pb.TransformResponse{Messages: make([]*pb.Message, len(out))}
	for i, m := range out {
		resp.Messages[i] = messageToPB(m, false)
	}
	return resp, nil
}

func (s *server) Render(ctx context.Context, req *pb.RenderRequest) (*pb.RenderResponse, error) {
	sk, err := as[sdk.Sink](s, req.InstanceId)
	if err != nil {
		return &pb.RenderResponse{Error: errorToPB(err)}, nil
	}
	m := messageFromPB(req.Message)
	out, err := sk.Render(ctx, m)
	if err != nil {
		return &pb.RenderResponse{Error: errorToPB(err)}, nil
	}
	po := outboundToPB(out)
	if req.BodyRefs && po != nil && len(po.Body) > 0 && sameBytes(po.Body, m.Body) {
		// The host has this body: say so instead of sending it back.
		po.Body, po.MessageBody = nil, true
	}
	return &pb.RenderResponse{Outbound: po}, nil
}

// RenderStream answers Render calls arriving on one stream, each in its
// own goroutine (calls from several deliveries overlap), under the
// call's deadline; the stream's end cancels the calls still running.
func (s *server) RenderStream(st pb.Plugin_RenderStreamServer) error {
	ctx := st.Context()
	var send sync.Mutex
	var running sync.WaitGroup
	defer running.Wait()
	for {
		req, err := st.Recv()
		if err != nil {
			return err
		}
		running.Go(func() {
			callCtx, cancel := ctx, context.CancelFunc(func() {})
			if req.DeadlineUnixNano != 0 {
				callCtx, cancel = context.WithDeadline(ctx, time.Unix(0, req.DeadlineUnixNano))
			}
			resp, _ := s.Render(callCtx, req)
			cancel()
			resp.CallId = req.CallId
			send.Lock()
			defer send.Unlock()
			_ = st.Send(resp) // a failed send ends the stream: Recv reports it
		})
	}
}

func (s *server) Interpret(ctx context.Context, req *pb.InterpretRequest) (*pb.InterpretResponse, error) {
	in, err := as[sdk.Interpreter](s, req.InstanceId)
	if err != nil {
		return &pb.InterpretResponse{Verdict: verdictToPB(sdk.Verdict{Outcome: sdk.Retry, Reason: err.Error()})}, nil
	}
	return &pb.InterpretResponse{Verdict: verdictToPB(in.Interpret(ctx, outboundFromPB(req.Outbound), responseFromPB(req.Response)))}, nil
}

func (s *server) Deliver(ctx context.Context, req *pb.DeliverRequest) (*pb.DeliverResponse, error) {
	dl, err := as[sdk.Deliverer](s, req.InstanceId)
	if err != nil {
		return &pb.DeliverResponse{Error: errorToPB(err)}, nil
	}
	return &pb.DeliverResponse{Error: errorToPB(dl.Deliver(ctx, messageFromPB(req.Message)))}, nil
}

func (s *server) Close(ctx context.Context, req *pb.CloseRequest) (*pb.CloseResponse, error) {
	s.mu.Lock()
	c, ok := s.instances[req.InstanceId]
	delete(s.instances, req.InstanceId)
	s.mu.Unlock()
	if !ok {
		return &pb.CloseResponse{}, nil
	}
	return &pb.CloseResponse{Error: errorToPB(c.Close(ctx))}, nil
}
