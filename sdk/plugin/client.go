package plugin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"

	pb "github.com/hookbridge/hookbridge/sdk/proto/hookbridge/v1"

	"github.com/hookbridge/hookbridge/sdk"
)

// Client is the host side of one plugin process.
type Client struct {
	rpc pb.PluginClient
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
	r, err := c.rpc.Describe(ctx, &pb.DescribeRequest{}, CallOptions()...)
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

// transport marks a failure to reach the plugin (it died, it is
// restarting) as retryable: the work is not lost, it waits.
func transport(err error) error {
	return fmt.Errorf("plugin unavailable: %w", err)
}

func (c *Client) configure(ctx context.Context, kind sdk.Kind, name string, cfg sdk.Config) (sdk.Component, error) {
	r, err := c.rpc.Configure(ctx, &pb.ConfigureRequest{Kind: pb.Kind(kind), Name: name, ValuesJson: cfg.Values, BaseDir: cfg.BaseDir,
		Pipeline: cfg.Pipeline, InstanceName: cfg.Name}, CallOptions()...)
	if err != nil {
		return nil, transport(err)
	}
	if r.Error != nil {
		return nil, errorFromPB(r.Error)
	}
	rm := &remote{rpc: c.rpc, id: r.InstanceId, caps: r.Capabilities}
	switch kind {
	case sdk.KindSource:
		return &remoteSource{rm}, nil
	case sdk.KindTransform:
		return &remoteTransform{rm}, nil
	case sdk.KindSink:
		sk := remoteSink{rm}
		switch caps := r.Capabilities; {
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

type remote struct {
	rpc  pb.PluginClient
	id   string
	caps *pb.Capabilities
}

func (r *remote) call() []grpc.CallOption { return CallOptions() }

func (r *remote) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	resp, err := r.rpc.Close(ctx, &pb.CloseRequest{InstanceId: r.id}, r.call()...)
	if err != nil {
		return transport(err)
	}
	return errorFromPB(resp.Error)
}

type remoteSource struct{ *remote }

func (s *remoteSource) Methods() []string {
	if m := s.caps.GetMethods(); len(m) > 0 {
		return m
	}
	return []string{"POST"}
}

func (s *remoteSource) Receive(ctx context.Context, req *sdk.Request) (sdk.Receipt, error) {
	r, err := s.rpc.Receive(ctx, &pb.ReceiveRequest{InstanceId: s.id, Request: requestToPB(req)}, s.call()...)
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
	r, err := t.rpc.Transform(ctx, &pb.TransformRequest{InstanceId: t.id, Message: messageToPB(m)}, t.call()...)
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

func (s *remoteSink) DefaultRateLimit() float64 { return s.caps.GetDefaultRateLimit() }

func (s *remoteSink) Render(ctx context.Context, m sdk.Message) (*sdk.Outbound, error) {
	r, err := s.rpc.Render(ctx, &pb.RenderRequest{InstanceId: s.id, Message: messageToPB(m)}, s.call()...)
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
	r, err := s.rpc.Interpret(ctx, &pb.InterpretRequest{InstanceId: s.id, Outbound: outboundToPB(out), Response: responseToPB(resp)}, s.call()...)
	if err != nil {
		return sdk.Verdict{Outcome: sdk.Retry, Reason: transport(err).Error()}
	}
	return verdictFromPB(r.Verdict)
}

func (s *remoteSink) deliver(ctx context.Context, m sdk.Message) error {
	r, err := s.rpc.Deliver(ctx, &pb.DeliverRequest{InstanceId: s.id, Message: messageToPB(m)}, s.call()...)
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
