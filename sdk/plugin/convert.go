package plugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	pb "github.com/hookferry/hookferry/sdk/internal/proto/hookferry/v1"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

func headerToPB(h sdk.Header) map[string]*pb.Values {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]*pb.Values, len(h))
	for k, v := range h {
		out[k] = &pb.Values{Values: v}
	}
	return out
}

func headerFromPB(h map[string]*pb.Values) sdk.Header {
	if len(h) == 0 {
		return nil
	}
	out := make(sdk.Header, len(h))
	for k, v := range h {
		out[k] = v.GetValues()
	}
	return out
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func eventToPB(e *sdk.Event) *pb.Event {
	if e == nil {
		return nil
	}
	return &pb.Event{Id: e.ID, Type: e.Type, Source: e.Source, Pipeline: e.Pipeline, ReceivedAtUnixNano: unixNano(e.ReceivedAt),
		Header: headerToPB(e.Header), ContentType: e.ContentType, Body: e.Body}
}

func eventFromPB(e *pb.Event) *sdk.Event {
	if e == nil {
		return nil
	}
	return &sdk.Event{ID: e.Id, Type: e.Type, Source: e.Source, Pipeline: e.Pipeline, ReceivedAt: fromUnixNano(e.ReceivedAtUnixNano),
		Header: headerFromPB(e.Header), ContentType: e.ContentType, Body: e.Body}
}

// messageToPB converts m; with refs (the receiver reads body references)
// a body that is the event's body is sent once, as the event's.
func messageToPB(m sdk.Message, refs bool) *pb.Message {
	pm := &pb.Message{Event: eventToPB(m.Event), Body: m.Body, ContentType: m.ContentType, Header: headerToPB(m.Header),
		DeliveryId: m.DeliveryID, Index: int32(m.Index)}
	if refs && pm.Event != nil && len(m.Body) > 0 && sameBytes(m.Body, m.Event.Body) {
		pm.Body, pm.EventBody = nil, true
	}
	return pm
}

func messageFromPB(m *pb.Message) sdk.Message {
	out := sdk.Message{Event: eventFromPB(m.GetEvent()), Body: m.GetBody(), ContentType: m.GetContentType(), Header: headerFromPB(m.GetHeader()),
		DeliveryID: m.GetDeliveryId(), Index: int(m.GetIndex())}
	if m.GetEventBody() && out.Event != nil {
		out.Body = out.Event.Body
	}
	return out
}

// sameBytes reports whether a and b hold the same bytes; the common case,
// one slice passed along unchanged, is answered without reading them.
func sameBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	return len(a) == 0 || &a[0] == &b[0] || bytes.Equal(a, b)
}

func requestToPB(r *sdk.Request) *pb.Request {
	return &pb.Request{Method: r.Method, Path: r.Path, Query: r.Query, Header: headerToPB(r.Header), Body: r.Body,
		RemoteAddr: r.RemoteAddr, ReceivedAtUnixNano: unixNano(r.ReceivedAt)}
}

func requestFromPB(r *pb.Request) *sdk.Request {
	return &sdk.Request{Method: r.GetMethod(), Path: r.GetPath(), Query: r.GetQuery(), Header: headerFromPB(r.GetHeader()), Body: r.GetBody(),
		RemoteAddr: r.GetRemoteAddr(), ReceivedAt: fromUnixNano(r.GetReceivedAtUnixNano())}
}

func responseToPB(r *sdk.Response) *pb.Response {
	if r == nil {
		return nil
	}
	return &pb.Response{StatusCode: int32(r.StatusCode), Header: headerToPB(r.Header), Body: r.Body}
}

func responseFromPB(r *pb.Response) *sdk.Response {
	if r == nil {
		return nil
	}
	return &sdk.Response{StatusCode: int(r.StatusCode), Header: headerFromPB(r.Header), Body: r.Body}
}

func outboundToPB(o *sdk.Outbound) *pb.Outbound {
	if o == nil {
		return nil
	}
	return &pb.Outbound{Method: o.Method, Url: o.URL, Header: headerToPB(o.Header), Body: o.Body, TimeoutMs: o.Timeout.Milliseconds()}
}

func outboundFromPB(o *pb.Outbound) *sdk.Outbound {
	if o == nil {
		return nil
	}
	return &sdk.Outbound{Method: o.Method, URL: o.Url, Header: headerFromPB(o.Header), Body: o.Body, Timeout: time.Duration(o.TimeoutMs) * time.Millisecond}
}

func verdictToPB(v sdk.Verdict) *pb.Verdict {
	return &pb.Verdict{Outcome: pb.Verdict_Outcome(v.Outcome), RetryAfterMs: v.RetryAfter.Milliseconds(), Reason: v.Reason}
}

func verdictFromPB(v *pb.Verdict) sdk.Verdict {
	o := sdk.Outcome(v.GetOutcome())
	if o < sdk.Success || o > sdk.Fail {
		o = sdk.Retry
	}
	return sdk.Verdict{Outcome: o, RetryAfter: time.Duration(v.GetRetryAfterMs()) * time.Millisecond, Reason: v.GetReason()}
}

// errorToPB keeps what the host needs to act on an error: permanent or
// not, a rejection's status, configuration diagnostics.
func errorToPB(err error) *pb.Error {
	if err == nil {
		return nil
	}
	e := &pb.Error{Kind: pb.Error_ERROR_KIND_RETRYABLE, Message: err.Error()}
	var rej *sdk.RejectError
	var ds sdk.Diagnostics
	switch {
	case errors.As(err, &rej):
		e.Kind, e.RejectStatus, e.RejectPublic = pb.Error_ERROR_KIND_REJECT, int32(rej.Status), rej.Public
	case errors.As(err, &ds):
		e.Kind = pb.Error_ERROR_KIND_CONFIG
		for _, d := range ds {
			e.Diagnostics = append(e.Diagnostics, &pb.Diagnostic{Warning: d.Severity == sdk.SeverityWarning, Summary: d.Summary, Detail: d.Detail,
				Attribute: d.Attribute, File: d.File, Line: int32(d.Line), Column: int32(d.Column)})
		}
	case sdk.IsPermanent(err):
		e.Kind = pb.Error_ERROR_KIND_PERMANENT
	default:
		if d, ok := sdk.RetryAfterOf(err); ok {
			e.RetryAfterMs = max(d.Milliseconds(), 1)
		}
	}
	return e
}

// errorFromPB rebuilds an error the host's code understands.
func errorFromPB(e *pb.Error) error {
	if e == nil {
		return nil
	}
	base := errors.New(e.Message)
	switch e.Kind {
	case pb.Error_ERROR_KIND_PERMANENT:
		return sdk.Permanent(base)
	case pb.Error_ERROR_KIND_REJECT:
		return &sdk.RejectError{Status: int(e.RejectStatus), Public: e.RejectPublic, Err: base}
	case pb.Error_ERROR_KIND_CONFIG:
		ds := make(sdk.Diagnostics, 0, len(e.Diagnostics))
		for _, d := range e.Diagnostics {
			sev := sdk.SeverityError
			if d.Warning {
				sev = sdk.SeverityWarning
			}
			ds = append(ds, sdk.Diagnostic{Severity: sev, Summary: d.Summary, Detail: d.Detail, Attribute: d.Attribute, File: d.File, Line: int(d.Line), Column: int(d.Column)})
		}
		return ds
	}
	if e.RetryAfterMs > 0 {
		return sdk.RetryAfter(base, time.Duration(e.RetryAfterMs)*time.Millisecond)
	}
	return base
}

func capabilitiesToPB(c sdk.Capabilities) *pb.Capabilities {
	return &pb.Capabilities{Methods: c.Methods, Interpreter: c.Interpreter, Deliverer: c.Deliverer, DefaultRateLimit: c.DefaultRateLimit}
}

func capabilitiesFromPB(c *pb.Capabilities) sdk.Capabilities {
	return sdk.Capabilities{Methods: c.GetMethods(), Interpreter: c.GetInterpreter(), Deliverer: c.GetDeliverer(), DefaultRateLimit: c.GetDefaultRateLimit()}
}

func typeToPB(t schema.Type) *pb.Type {
	out := &pb.Type{}
	switch t.Kind() {
	case schema.KindString:
		out.Kind = pb.Type_TYPE_KIND_STRING
	case schema.KindNumber:
		out.Kind = pb.Type_TYPE_KIND_NUMBER
	case schema.KindBool:
		out.Kind = pb.Type_TYPE_KIND_BOOL
	case schema.KindList:
		out.Kind, out.Elem = pb.Type_TYPE_KIND_LIST, typeToPB(t.Elem())
	case schema.KindMap:
		out.Kind, out.Elem = pb.Type_TYPE_KIND_MAP, typeToPB(t.Elem())
	case schema.KindAny:
		out.Kind = pb.Type_TYPE_KIND_ANY
	}
	return out
}

func typeFromPB(t *pb.Type) schema.Type {
	switch t.GetKind() {
	case pb.Type_TYPE_KIND_STRING:
		return schema.String
	case pb.Type_TYPE_KIND_NUMBER:
		return schema.Number
	case pb.Type_TYPE_KIND_BOOL:
		return schema.Bool
	case pb.Type_TYPE_KIND_LIST:
		return schema.List(typeFromPB(t.GetElem()))
	case pb.Type_TYPE_KIND_MAP:
		return schema.Map(typeFromPB(t.GetElem()))
	}
	return schema.Any
}

func blockToPB(b schema.Block) *pb.Block {
	out := &pb.Block{Description: b.Description}
	for _, a := range b.Attributes {
		pa := &pb.Attribute{Name: a.Name, Type: typeToPB(a.Type), Required: a.Required, Description: a.Description, Sensitive: a.Sensitive}
		if a.Default != nil {
			pa.DefaultJson, _ = json.Marshal(a.Default)
		}
		out.Attributes = append(out.Attributes, pa)
	}
	for _, nb := range b.Blocks {
		out.Blocks = append(out.Blocks, &pb.NestedBlock{Name: nb.Name, Nesting: pb.NestedBlock_Nesting(nb.Nesting), Block: blockToPB(nb.Block), Required: nb.Required})
	}
	return out
}

func blockFromPB(b *pb.Block) schema.Block {
	out := schema.Block{Description: b.GetDescription()}
	for _, a := range b.GetAttributes() {
		sa := schema.Attribute{Name: a.Name, Type: typeFromPB(a.Type), Required: a.Required, Description: a.Description, Sensitive: a.Sensitive}
		if len(a.DefaultJson) > 0 {
			var v any
			if json.Unmarshal(a.DefaultJson, &v) == nil {
				sa.Default = v
			}
		}
		out.Attributes = append(out.Attributes, sa)
	}
	for _, nb := range b.GetBlocks() {
		out.Blocks = append(out.Blocks, schema.NestedBlock{Name: nb.Name, Nesting: schema.Nesting(nb.Nesting), Block: blockFromPB(nb.Block), Required: nb.Required})
	}
	return out
}
