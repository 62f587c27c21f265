package sdktest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/plugin"
)

// Case is one component to check, with a valid configuration and inputs.
type Case struct {
	Definition sdk.Definition
	// Config holds the attribute values (with defaults filled in, as the
	// host would send them).
	Config map[string]any
	// BaseDir for components that read files.
	BaseDir string
	// Requests are fed to a source; Messages to a transform or a sink.
	Requests []*sdk.Request
	Messages []sdk.Message
	// Responses are fed to a sink's Interpret (with the rendering of the
	// first message).
	Responses []*sdk.Response
	// BadConfig, when set, must be refused with diagnostics on Configure.
	BadConfig map[string]any
	// HTTP is the host's HTTP client handed to the component (in-process
	// directly, through the wire as the host's service); a test points it
	// at a local server. Nil: requests fail with sdk.ErrNoHost.
	HTTP *http.Client
}

// Serve starts the plugin protocol in-process for defs and returns the
// host-side client, through real gRPC.
func Serve(t testing.TB, defs ...sdk.Definition) *plugin.Client {
	t.Helper()
	impl, err := plugin.NewTestPlugin("sdktest", "0.0.0", defs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(impl.Close) // after the connection's (cleanups run last first)
	client, _ := goplugin.TestPluginGRPCConn(t, false, map[string]goplugin.Plugin{plugin.PluginName: impl})
	t.Cleanup(func() { _ = client.Close() })
	raw, err := client.Dispense(plugin.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(*plugin.Client)
}

// Conformance runs the suite for one component.
func Conformance(t *testing.T, c Case) {
	t.Helper()
	ctx := context.Background()
	def := c.Definition
	if err := def.Validate(); err != nil {
		t.Fatalf("definition: %v", err)
	}
	client := Serve(t, def)

	desc, err := client.Describe(ctx)
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if desc.ProtocolVersion != plugin.ProtocolVersion || desc.SDKVersion != sdk.Version || len(desc.Components) != 1 {
		t.Fatalf("Describe: %+v", desc)
	}
	remoteDef := desc.Components[0]
	if remoteDef.Kind != def.Kind || remoteDef.Name != def.Name || remoteDef.Description != def.Description {
		t.Fatalf("Describe: %s %q, want %s %q", remoteDef.Kind, remoteDef.Name, def.Kind, def.Name)
	}
	if got, want := remoteDef.Schema.Doc(), def.Schema.Doc(); got != want {
		t.Fatalf("the schema changed crossing the wire:\n got %s\nwant %s", got, want)
	}

	values, _ := json.Marshal(c.Config)
	// Build checks the struct the constructor decodes into against the
	// schema: a drift fails here.
	cfg := sdk.Config{Values: values, BaseDir: c.BaseDir, Pipeline: "conformance", Name: def.Name, HTTP: c.HTTP}
	local, err := def.Build(ctx, cfg)
	if err != nil {
		t.Fatalf("in-process build: %v", err)
	}
	defer local.Close(ctx)
	remote, err := remoteDef.Build(ctx, cfg)
	if err != nil {
		t.Fatalf("build through the wire: %v", err)
	}

	if c.BadConfig != nil {
		bad, _ := json.Marshal(c.BadConfig)
		_, err := remoteDef.Build(ctx, sdk.Config{Values: bad, Pipeline: "conformance"})
		var ds sdk.Diagnostics
		if !errors.As(err, &ds) || len(ds) == 0 {
			t.Errorf("a bad config came back as %v, want diagnostics naming attributes", err)
		}
	}

	if lc, rc := sdk.CapabilitiesOf(local), sdk.CapabilitiesOf(remote); !reflect.DeepEqual(lc, rc) {
		t.Errorf("capabilities through the wire %+v, in-process %+v", rc, lc)
	}
	switch def.Kind {
	case sdk.KindSource:
		checkSource(t, local.(sdk.Source), remote.(sdk.Source), c.Requests)
	case sdk.KindTransform:
		checkTransform(t, local.(sdk.Transform), remote.(sdk.Transform), c.Messages)
	case sdk.KindSink:
		checkSink(t, local.(sdk.Sink), remote.(sdk.Sink), c.Messages, c.Responses)
	}
	if err := remote.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func checkSource(t *testing.T, local, remote sdk.Source, reqs []*sdk.Request) {
	t.Helper()
	lm, lok := sdk.As[sdk.MethodLister](local)
	rm, rok := sdk.As[sdk.MethodLister](remote)
	if lok != rok || (lok && !reflect.DeepEqual(lm.Methods(), rm.Methods())) {
		t.Errorf("method lister through the wire %v, in-process %v", rok, lok)
	}
	for i, req := range reqs {
		lr, lerr := local.Receive(context.Background(), req)
		rr, rerr := remote.Receive(context.Background(), req)
		sameError(t, i, lerr, rerr)
		if lr.Event != nil && rr.Event != nil {
			le, re := *lr.Event, *rr.Event
			if le.ID != re.ID && !generatedID(le.ID, re.ID) {
				t.Errorf("request %d: id %q through the wire, %q in-process", i, re.ID, le.ID)
			}
			le.ID, re.ID = "", ""
			if !reflect.DeepEqual(normalEvent(le), normalEvent(re)) {
				t.Errorf("request %d: event differs:\n wire %+v\nlocal %+v", i, re, le)
			}
		} else if (lr.Event == nil) != (rr.Event == nil) {
			t.Errorf("request %d: event through the wire %v, in-process %v", i, rr.Event, lr.Event)
		}
		if !reflect.DeepEqual(lr.Reply, rr.Reply) {
			t.Errorf("request %d: reply %+v through the wire, %+v in-process", i, rr.Reply, lr.Reply)
		}
	}
}

// generatedID accepts two different ids when both were generated (ULIDs
// minted on each side).
func generatedID(a, b string) bool { return len(a) == 26 && len(b) == 26 }

func normalEvent(e sdk.Event) sdk.Event {
	if len(e.Header) == 0 {
		e.Header = nil
	}
	if len(e.Body) == 0 {
		e.Body = nil
	}
	return e
}

func checkTransform(t *testing.T, local, remote sdk.Transform, msgs []sdk.Message) {
	t.Helper()
	for i, m := range msgs {
		lo, lerr := local.Transform(context.Background(), m)
		ro, rerr := remote.Transform(context.Background(), m)
		sameError(t, i, lerr, rerr)
		if len(lo) != len(ro) {
			t.Errorf("message %d: %d messages through the wire, %d in-process", i, len(ro), len(lo))
			continue
		}
		for j := range lo {
			if string(lo[j].Body) != string(ro[j].Body) || lo[j].ContentType != ro[j].ContentType || !sameHeader(lo[j].Header, ro[j].Header) {
				t.Errorf("message %d.%d differs:\n wire %s %q %v\nlocal %s %q %v", i, j, ro[j].Body, ro[j].ContentType, ro[j].Header, lo[j].Body, lo[j].ContentType, lo[j].Header)
			}
		}
	}
}

func checkSink(t *testing.T, local, remote sdk.Sink, msgs []sdk.Message, resps []*sdk.Response) {
	t.Helper()
	lDeliverer, lDel := sdk.As[sdk.Deliverer](local)
	rDeliverer, rDel := sdk.As[sdk.Deliverer](remote)
	lInterpreter, lInt := sdk.As[sdk.Interpreter](local)
	rInterpreter, rInt := sdk.As[sdk.Interpreter](remote)
	if lDel != rDel || lInt != rInt {
		t.Fatalf("capabilities through the wire (deliverer %v, interpreter %v) differ from in-process (%v, %v)", rDel, rInt, lDel, lInt)
	}
	var first *sdk.Outbound
	for i, m := range msgs {
		if lDel {
			sameError(t, i, lDeliverer.Deliver(context.Background(), m), rDeliverer.Deliver(context.Background(), m))
			continue
		}
		lo, lerr := local.Render(context.Background(), m)
		ro, rerr := remote.Render(context.Background(), m)
		sameError(t, i, lerr, rerr)
		if lo == nil || ro == nil {
			continue
		}
		if lo.Method != ro.Method || lo.URL != ro.URL || string(lo.Body) != string(ro.Body) || lo.Timeout != ro.Timeout || !sameSignedHeader(lo.Header, ro.Header) {
			t.Errorf("message %d renders differently:\n wire %+v\nlocal %+v", i, ro, lo)
		}
		if first == nil {
			first = lo
		}
	}
	if lInt && first != nil {
		for i, r := range resps {
			lv := lInterpreter.Interpret(context.Background(), first, r)
			rv := rInterpreter.Interpret(context.Background(), first, r)
			if lv.Outcome != rv.Outcome || lv.Reason != rv.Reason || (lv.RetryAfter-rv.RetryAfter).Abs() > 2e9 {
				t.Errorf("response %d: verdict %+v through the wire, %+v in-process", i, rv, lv)
			}
		}
	}
}

func sameError(t *testing.T, i int, local, remote error) {
	t.Helper()
	if (local == nil) != (remote == nil) {
		t.Errorf("input %d: error %v through the wire, %v in-process", i, remote, local)
		return
	}
	if local == nil {
		return
	}
	ld, _ := sdk.RetryAfterOf(local)
	rd, _ := sdk.RetryAfterOf(remote)
	if ld.Truncate(time.Millisecond) != rd {
		t.Errorf("input %d: retry after %v through the wire, %v in-process", i, rd, ld)
	}
	if sdk.IsPermanent(local) != sdk.IsPermanent(remote) {
		t.Errorf("input %d: permanent=%v through the wire, %v in-process (%v)", i, sdk.IsPermanent(remote), sdk.IsPermanent(local), local)
	}
	var lr, rr *sdk.RejectError
	if errors.As(local, &lr) != errors.As(remote, &rr) || (lr != nil && (lr.Status != rr.Status || lr.Public != rr.Public)) {
		t.Errorf("input %d: rejection %v through the wire, %v in-process", i, rr, lr)
	}
}

func sameHeader(a, b sdk.Header) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// sameSignedHeader ignores the per-attempt timestamp and signature.
func sameSignedHeader(a, b sdk.Header) bool {
	strip := func(h sdk.Header) sdk.Header {
		c := h.Clone()
		delete(c, "webhook-timestamp")
		delete(c, "webhook-signature")
		return c
	}
	return sameHeader(strip(a), strip(b))
}
