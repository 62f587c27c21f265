package plugin

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/hookferry/hookferry/sdk/internal/proto/hookferry/v1"

	"github.com/hookferry/hookferry/sdk"
)

// Client is the host side of one plugin. When the plugin process is
// restarted, Swap points the same Client at the new process, and every
// component built from it configures itself again on first use.
type Client struct {
	mu  sync.RWMutex
	rpc pb.PluginClient
	gen uint64
}

// Swap takes over the connection of a newer Client (a restarted process).
func (c *Client) Swap(newer *Client) {
	newer.mu.RLock()
	rpc := newer.rpc
	newer.mu.RUnlock()
	c.mu.Lock()
	c.rpc = rpc
	c.gen++
	c.mu.Unlock()
}

func (c *Client) current() (pb.PluginClient, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.rpc, c.gen
}

// Description is what a plugin says about itself.
type Description struct {
	Name            string
	Version         string
	SDKVersion      string
	ProtocolVersion int
	Components      []sdk.Definition
}

// Describe asks the plugin for its name, version and components. The
// returned definitions build components backed by this plugin process.
func (c *Client) Describe(ctx context.Context) (*Description, error) {
	rpc, _ := c.current()
	r, err := rpc.Describe(ctx, &pb.DescribeRequest{}, CallOptions()...)
	if err != nil {
		return nil, transport(err)
	}
	d := &Description{Name: r.PluginName, Version: r.PluginVersion, SDKVersion: r.SdkVersion, ProtocolVersion: int(r.ProtocolVersion)}
	for _, comp := range r.Components {
		kind, name := sdk.Kind(comp.Kind), comp.Name
		d.Components = append(d.Components, sdk.Definition{
			Kind: kind, Name: name, Description: comp.Description, Schema: blockFromPB(comp.Schema),
			New: func(ctx context.Context, cfg sdk.Config) (sdk.Component, error) {
				return c.configure(ctx, kind, name, cfg)
			},
		})
	}
	return d, nil
}

// transport classifies a failed call. A message over the size limit is
// permanent (the same reply will always be too large); anything else (the
// plugin died, it is restarting) is retryable: the work waits, it is not
// lost.
func transport(err error) error {
	if status.Code(err) == codes.ResourceExhausted {
		return sdk.Permanent(fmt.Errorf("plugin message over the %d MiB limit: %w", MaxMessageSize>>20, err))
	}
	return fmt.Errorf("plugin unavailable: %w", err)
}

func (c *Client) configure(ctx context.Context, kind sdk.Kind, name string, cfg sdk.Config) (sdk.Component, error) {
	rm := &remote{c: c, kind: kind, name: name, cfg: cfg}
	if _, _, err := rm.ensure(ctx); err != nil {
		return nil, err
	}
	switch kind {
	case sdk.KindSource:
		return &remoteSource{rm}, nil
	case sdk.KindTransform:
		return &remoteTransform{rm}, nil
	case sdk.KindSink:
		sk := remoteSink{rm}
		switch caps := rm.capabilities(); {
		case caps.GetInterpreter() && caps.GetDeliverer():
			return &remoteSinkInterpreterDeliverer{sk}, nil
		case caps.GetInterpreter():
			return &remoteSinkInterpreter{sk}, nil
		case caps.GetDeliverer():
			return &remoteSinkDeliverer{sk}, nil
		}
		return &sk, nil
	}
	return nil, fmt.Errorf("unknown component kind %d", kind)
}

// remote is one component instance in the plugin process.
type remote struct {
	c    *Client
	kind sdk.Kind
	name string
	cfg  sdk.Config

	mu   sync.Mutex
	rpc  pb.PluginClient
	id   string
	gen  uint64
	caps *pb.Capabilities
	ok   bool
}

// ensure returns the connection and instance id to call, configuring the
// instance on the current process first when needed (the first call, or
// the first after a restart).
func (r *remote) ensure(ctx context.Context) (pb.PluginClient, string, error) {
	rpc, gen := r.c.current()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ok && gen == r.gen {
		return r.rpc, r.id, nil
	}
	resp, err := rpc.Configure(ctx, &pb.ConfigureRequest{Kind: pb.Kind(r.kind), Name: r.name, ValuesJson: r.cfg.Values, BaseDir: r.cfg.BaseDir,
		Pipeline: r.cfg.Pipeline, InstanceName: r.cfg.Name}, CallOptions()...)
	if err != nil {
		return nil, "", transport(err)
	}
	if resp.Error != nil {
		return nil, "", errorFromPB(resp.Error)
	}
	r.rpc, r.id, r.gen, r.caps, r.ok = rpc, resp.InstanceId, gen, resp.Capabilities, true
	return r.rpc, r.id, nil
}

func (r *remote) call() []grpc.CallOption { return CallOptions() }

func (r *remote) capabilities() *pb.Capabilities {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.caps
}

// Close closes the instance on the current process; one never configured
// there has nothing to close.
func (r *remote) Close(ctx context.Context) error {
	_, gen := r.c.current()
	r.mu.Lock()
	rpc, id, live := r.rpc, r.id, r.ok && gen == r.gen
	r.mu.Unlock()
	if !live {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	resp, err := rpc.Close(ctx, &pb.CloseRequest{InstanceId: id}, r.call()...)
	if err != nil {
		return transport(err)
	}
	return errorFromPB(resp.Error)
}

type remoteSource struct{ *remote }

func (s *remoteSource) Methods() []string {
	if m := s.capabilities().GetMethods(); len(m) > 0 {
		return m
	}
	return []string{"POST"}
}

func (s *remoteSource) Receive(ctx context.Context, req *sdk.Request) (sdk.Receipt, error) {
	rpc, id, err := s.ensure(ctx)
	if err != nil {
		return sdk.Receipt{}, err
	}
	r, err := rpc.Receive(ctx, &pb.ReceiveRequest{InstanceId: id, Request: requestToPB(req)}, s.call()...)
	if err != nil {
		return sdk.Receipt{}, transport(err)
	}
	if r.Error != nil {
		return sdk.Receipt{}, errorFromPB(r.Error)
	}
	return sdk.Receipt{Event: eventFromPB(r.Event), Reply: responseFromPB(r.Reply)}, nil
}

type remoteTransform struct{ *remote }

func (t *remoteTransform) Transform(ctx context.Context, m sdk.Message) ([]sdk.Message, error) {
	rpc, id, err := t.ensure(ctx)
	if err != nil {
		return nil, err
	}
	r, err := rpc.Transform(ctx, &pb.TransformRequest{InstanceId: id, Message: messageToPB(m)}, t.call()...)
	if err != nil {
		return nil, transport(err)
	}
	if r.Error != nil {
		return nil, errorFromPB(r.Error)
	}
	out := make([]sdk.Message, len(r.Messages))
	for i, pm := range r.Messages {
		out[i] = messageFromPB(pm)
		if out[i].Event == nil {
			out[i].Event = m.Event
		}
	}
	return out, nil
}

type remoteSink struct{ *remote }

func (s *remoteSink) DefaultRateLimit() float64 { return s.capabilities().GetDefaultRateLimit() }

func (s *remoteSink) Render(ctx context.Context, m sdk.Message) (*sdk.Outbound, error) {
	rpc, id, err := s.ensure(ctx)
	if err != nil {
		return nil, err
	}
	r, err := rpc.Render(ctx, &pb.RenderRequest{InstanceId: id, Message: messageToPB(m)}, s.call()...)
	if err != nil {
		return nil, transport(err)
	}
	if r.Error != nil {
		return nil, errorFromPB(r.Error)
	}
	if r.Outbound == nil {
		return nil, errors.New("plugin rendered no request")
	}
	return outboundFromPB(r.Outbound), nil
}

func (s *remoteSink) interpret(ctx context.Context, out *sdk.Outbound, resp *sdk.Response) sdk.Verdict {
	rpc, id, err := s.ensure(ctx)
	if err != nil {
		return sdk.Verdict{Outcome: sdk.Retry, Reason: err.Error()}
	}
	r, err := rpc.Interpret(ctx, &pb.InterpretRequest{InstanceId: id, Outbound: outboundToPB(out), Response: responseToPB(resp)}, s.call()...)
	if err != nil {
		return sdk.Verdict{Outcome: sdk.Retry, Reason: transport(err).Error()}
	}
	return verdictFromPB(r.Verdict)
}

func (s *remoteSink) deliver(ctx context.Context, m sdk.Message) error {
	rpc, id, err := s.ensure(ctx)
	if err != nil {
		return err
	}
	r, err := rpc.Deliver(ctx, &pb.DeliverRequest{InstanceId: id, Message: messageToPB(m)}, s.call()...)
	if err != nil {
		return transport(err)
	}
	return errorFromPB(r.Error)
}

// The optional capabilities are separate types, so that the engine's type
// assertions see exactly what the plugin's component implements.
type (
	remoteSinkInterpreter          struct{ remoteSink }
	remoteSinkDeliverer            struct{ remoteSink }
	remoteSinkInterpreterDeliverer struct{ remoteSink }
)

func (s *remoteSinkInterpreter) Interpret(ctx context.Context, o *sdk.Outbound, r *sdk.Response) sdk.Verdict {
	return s.interpret(ctx, o, r)
}
func (s *remoteSinkDeliverer) Deliver(ctx context.Context, m sdk.Message) error {
	return s.deliver(ctx, m)
}
func (s *remoteSinkInterpreterDeliverer) Interpret(ctx context.Context, o *sdk.Outbound, r *sdk.Response) sdk.Verdict {
	return s.interpret(ctx, o, r)
}
func (s *remoteSinkInterpreterDeliverer) Deliver(ctx context.Context, m sdk.Message) error {
	return s.deliver(ctx, m)
}

var (
	_ sdk.Source       = (*remoteSource)(nil)
	_ sdk.MethodLister = (*remoteSource)(nil)
	_ sdk.Transform    = (*remoteTransform)(nil)
	_ sdk.Sink         = (*remoteSink)(nil)
	_ sdk.Pacer        = (*remoteSink)(nil)
	_ sdk.Interpreter  = (*remoteSinkInterpreter)(nil)
	_ sdk.Deliverer    = (*remoteSinkDeliverer)(nil)
)
