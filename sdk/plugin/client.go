package plugin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
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
	mu   sync.RWMutex
	conn *connection
	gen  uint64

	// httpClients are the HTTP clients the host gave the components built
	// from this Client (sdk.Config.HTTP), by handle; the plugin names one
	// in each HostServices.HTTP call. They survive restarts.
	httpClients sync.Map // uint64 -> *http.Client
	nextHandle  atomic.Uint64
}

// connection is one plugin process: its gRPC client and broker, and the
// host services served to it (started on first need).
type connection struct {
	rpc    pb.PluginClient
	broker *goplugin.GRPCBroker

	hostOnce sync.Once
	hostID   uint32

	streamMu sync.Mutex
	stream   *renderStream // nil until the first streamed render

	sockMu sync.Mutex
	sock   *sockClient // the process's render socket; nil: none offered
}

// socket returns the client of the render socket the process offered,
// made on first use.
func (conn *connection) socket(path string, token []byte) *sockClient {
	conn.sockMu.Lock()
	defer conn.sockMu.Unlock()
	if conn.sock == nil || conn.sock.path != path {
		if conn.sock != nil {
			conn.sock.close()
		}
		conn.sock = newSockClient(path, token)
	}
	return conn.sock
}

// releaseSocket closes the render socket's idle connections and, the
// process being gone, removes the directory it announced.
func (conn *connection) releaseSocket() {
	conn.sockMu.Lock()
	defer conn.sockMu.Unlock()
	if conn.sock != nil {
		conn.sock.close()
		removeSocketDir(conn.sock.path, conn.sock.token)
	}
}

// Release is for after the plugin process has exited: it closes the
// render socket's connections and removes the socket's directory, which
// a plugin that was killed could not remove itself. (Swap does the same
// for the process it replaces.)
func (c *Client) Release() {
	conn, _ := c.current()
	if conn != nil {
		conn.releaseSocket()
	}
}

// Swap takes over the connection of a newer Client (a restarted process).
func (c *Client) Swap(newer *Client) {
	newer.mu.RLock()
	conn := newer.conn
	newer.mu.RUnlock()
	c.mu.Lock()
	old := c.conn
	c.conn = conn
	c.gen++
	c.mu.Unlock()
	if old != nil && old != conn {
		old.releaseSocket()
	}
}

func (c *Client) current() (*connection, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.conn, c.gen
}

// hostServices returns the broker id of the HostServices this host serves
// to conn's process, starting them the first time.
func (c *Client) hostServices(conn *connection) uint32 {
	if conn.broker == nil {
		return 0
	}
	conn.hostOnce.Do(func() {
		conn.hostID = conn.broker.NextId()
		go conn.broker.AcceptAndServe(conn.hostID, func(opts []grpc.ServerOption) *grpc.Server {
			s := GRPCServer(opts)
			pb.RegisterHostServicesServer(s, &hostServer{c: c})
			return s
		})
	})
	return conn.hostID
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
	conn, _ := c.current()
	r, err := conn.rpc.Describe(ctx, &pb.DescribeRequest{}, CallOptions()...)
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
	if cfg.HTTP != nil {
		rm.handle = c.nextHandle.Add(1)
		c.httpClients.Store(rm.handle, cfg.HTTP)
	}
	if _, _, err := rm.ensure(ctx); err != nil {
		rm.forget()
		return nil, err
	}
	switch kind {
	case sdk.KindSource:
		return &remoteSource{rm}, nil
	case sdk.KindTransform:
		return &remoteTransform{rm}, nil
	case sdk.KindSink:
		return &remoteSink{rm}, nil
	}
	rm.forget()
	return nil, fmt.Errorf("unknown component kind %d", kind)
}

// remote is one component instance in the plugin process. Its optional
// abilities are data (the Capabilities the plugin reported when it
// configured the instance), not Go types: the one type per kind implements
// every optional method and answers sdk.As through Capabilities.
type remote struct {
	c      *Client
	kind   sdk.Kind
	name   string
	cfg    sdk.Config
	handle uint64 // of cfg.HTTP in c.httpClients; 0: none

	mu   sync.Mutex
	rpc  pb.PluginClient
	id   string
	gen  uint64
	caps sdk.Capabilities
	refs bool        // the instance's process reads body references
	strm *connection // the instance's process serves RenderStream; nil: it does not
	sock *sockClient // the process's render socket; nil: none
	ok   bool
}

// ensure returns the connection and instance id to call, configuring the
// instance on the current process first when needed (the first call, or
// the first after a restart).
func (r *remote) ensure(ctx context.Context) (pb.PluginClient, string, error) {
	t, err := r.target(ctx)
	return t.rpc, t.id, err
}

// target is where a call goes: the process, the instance in it, and what
// that process reads beyond the first version of the protocol.
type target struct {
	rpc  pb.PluginClient
	id   string
	refs bool        // body references (Message.event_body)
	strm *connection // RenderStream is served; nil: unary Render only
	sock *sockClient // renders go to this socket first; nil: none
}

// target is ensure with all of the target.
func (r *remote) target(ctx context.Context) (target, error) {
	conn, gen := r.c.current()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ok && gen == r.gen {
		return target{r.rpc, r.id, r.refs, r.strm, r.sock}, nil
	}
	req := &pb.ConfigureRequest{Kind: pb.Kind(r.kind), Name: r.name, ValuesJson: r.cfg.Values, BaseDir: r.cfg.BaseDir,
		Pipeline: r.cfg.Pipeline, InstanceName: r.cfg.Name}
	if r.handle != 0 {
		req.HostServices, req.HttpHandle = r.c.hostServices(conn), r.handle
	}
	resp, err := conn.rpc.Configure(ctx, req, CallOptions()...)
	if err != nil {
		return target{}, transport(err)
	}
	if resp.Error != nil {
		return target{}, errorFromPB(resp.Error)
	}
	r.rpc, r.id, r.gen, r.caps, r.refs, r.ok = conn.rpc, resp.InstanceId, gen, capabilitiesFromPB(resp.Capabilities), resp.BodyRefs, true
	r.strm, r.sock = nil, nil
	if resp.RenderStream {
		r.strm = conn
	}
	if validSocket(resp.RenderSocket, resp.RenderToken) {
		r.sock = conn.socket(resp.RenderSocket, resp.RenderToken)
	}
	return target{r.rpc, r.id, r.refs, r.strm, r.sock}, nil
}

// call returns the per-call options: the message limits, built once
// (gRPC only reads them).
func (r *remote) call() []grpc.CallOption { return callOptions }

var callOptions = CallOptions()

// Capabilities reports what the plugin's component really implements.
func (r *remote) Capabilities() sdk.Capabilities {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.caps
}

func (r *remote) forget() {
	if r.handle != 0 {
		r.c.httpClients.Delete(r.handle)
	}
}

// Close closes the instance on the current process; one never configured
// there has nothing to close.
func (r *remote) Close(ctx context.Context) error {
	r.forget()
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
	if m := s.Capabilities().Methods; len(m) > 0 {
		return m
	}
	return []string{http.MethodPost}
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
	to, err := t.target(ctx)
	if err != nil {
		return nil, err
	}
	r, err := to.rpc.Transform(ctx, &pb.TransformRequest{InstanceId: to.id, Message: messageToPB(m, to.refs)}, t.call()...)
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

func (s *remoteSink) DefaultRateLimit() float64 { return s.Capabilities().DefaultRateLimit }

func (s *remoteSink) Render(ctx context.Context, m sdk.Message) (*sdk.Outbound, error) {
	to, err := s.target(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.render(ctx, to, &pb.RenderRequest{InstanceId: to.id, Message: messageToPB(m, to.refs), BodyRefs: true})
	if err != nil {
		return nil, transport(err)
	}
	if r.Error != nil {
		return nil, errorFromPB(r.Error)
	}
	if r.Outbound == nil {
		return nil, errors.New("plugin rendered no request")
	}
	out := outboundFromPB(r.Outbound)
	if r.Outbound.MessageBody {
		out.Body = m.Body
	}
	return out, nil
}

// render sends one render on the process's render socket when it offers
// one (socket.go), else, or when the socket fails, on its RenderStream
// when it serves one, as a unary call otherwise.
func (s *remoteSink) render(ctx context.Context, to target, req *pb.RenderRequest) (*pb.RenderResponse, error) {
	if to.sock != nil {
		resp, err := to.sock.call(ctx, req)
		switch {
		case err == nil:
			return resp, nil
		case ctx.Err() != nil:
			return nil, status.FromContextError(ctx.Err()).Err()
		case !errors.Is(err, errSocketDown):
			return nil, err // a gRPC status (ResourceExhausted)
		}
		// A render has no side effects: ask again through gRPC.
		req.DeadlineUnixNano = 0
	}
	if to.strm == nil {
		return to.rpc.Render(ctx, req, s.call()...)
	}
	rs, err := to.strm.renderStream()
	if err != nil {
		return nil, err
	}
	return rs.call(ctx, req)
}

// Interpret asks the plugin to read an answer. Hosts call it only when
// sdk.As reports an Interpreter.
func (s *remoteSink) Interpret(ctx context.Context, out *sdk.Outbound, resp *sdk.Response) sdk.Verdict {
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

// Deliver asks the plugin to deliver a message itself. Hosts call it only
// when sdk.As reports a Deliverer.
func (s *remoteSink) Deliver(ctx context.Context, m sdk.Message) error {
	to, err := s.target(ctx)
	if err != nil {
		return err
	}
	r, err := to.rpc.Deliver(ctx, &pb.DeliverRequest{InstanceId: to.id, Message: messageToPB(m, to.refs)}, s.call()...)
	if err != nil {
		return transport(err)
	}
	return errorFromPB(r.Error)
}

var (
	_ sdk.Source             = (*remoteSource)(nil)
	_ sdk.MethodLister       = (*remoteSource)(nil)
	_ sdk.Transform          = (*remoteTransform)(nil)
	_ sdk.Sink               = (*remoteSink)(nil)
	_ sdk.Pacer              = (*remoteSink)(nil)
	_ sdk.Interpreter        = (*remoteSink)(nil)
	_ sdk.Deliverer          = (*remoteSink)(nil)
	_ sdk.CapabilityReporter = (*remoteSink)(nil)
)
