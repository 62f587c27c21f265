package javascript

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dop251/goja"
	"github.com/valyala/fastjson"

	"github.com/hookferry/hookferry/sdk"
)

// consoleLog routes console.* to the structured log.
type consoleLog struct {
	logger   *slog.Logger
	pipeline string
	script   string
}

func newLog(cfg sdk.Config) consoleLog {
	return consoleLog{logger: cfg.Log(), pipeline: cfg.Pipeline}
}

// vm is one runtime. It is owned by one goroutine at a time (it lives in
// the pool channel between calls).
type vm struct {
	rt        *goja.Runtime
	fn        goja.Callable
	stringify goja.Callable
	parse     goja.Callable
	log       consoleLog
	msg       *sdk.Message
	// made holds the objects message() and split() built during the
	// current call, so a return value is recognised without exporting it.
	made map[*goja.Object]any
	// parser decodes bodies and num holds a number's text; both are
	// reused across calls, never shared.
	parser fastjson.Parser
	num    []byte
	// lazy builds JS values from the body as they are read (lazy.go);
	// off, the whole body is converted up front.
	lazy bool
	// spoiled is set when a limit interrupted the script: the runtime is
	// not returned to the pool.
	spoiled bool
	heap    *heapWatch
}

type outMessage struct {
	body   goja.Value
	header sdk.Header
}

type outSplit struct {
	items []goja.Value
}

func (t *Transform) newVM(ctx context.Context) (*vm, error) {
	rt := goja.New()
	rt.SetMaxCallStackSize(maxCallStack)
	log := t.log
	log.script = t.script
	v := &vm{rt: rt, log: log, made: map[*goja.Object]any{}}
	if err := installBigIntJSON(rt); err != nil {
		return nil, err
	}
	v.heap = newHeapWatch(v)
	if err := v.installLimits(); err != nil {
		return nil, err
	}
	jsonObj := rt.Get("JSON").ToObject(rt)
	v.stringify, _ = goja.AssertFunction(jsonObj.Get("stringify"))
	v.parse, _ = goja.AssertFunction(jsonObj.Get("parse"))

	console := rt.NewObject()
	for name, lvl := range map[string]slog.Level{
		"log": slog.LevelInfo, "info": slog.LevelInfo, "debug": slog.LevelDebug,
		"warn": slog.LevelWarn, "error": slog.LevelError,
	} {
		if err := console.Set(name, v.console(lvl)); err != nil {
			return nil, err
		}
	}
	for name, val := range map[string]any{"console": console, "message": v.jsMessage, "split": v.jsSplit} {
		if err := rt.Set(name, val); err != nil {
			return nil, err
		}
	}

	// Top-level code runs once per runtime; it gets the same deadline as
	// a call, so a loop there cannot hang the host.
	loadCtx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	stop := context.AfterFunc(loadCtx, func() { rt.Interrupt(errDeadline) })
	_, err := rt.RunProgram(t.prog)
	if !stop() {
		return nil, fmt.Errorf("top-level code still running after %s", t.timeout)
	}
	if err != nil {
		return nil, scriptError(err)
	}
	fn, ok := goja.AssertFunction(rt.Get("transform"))
	if !ok {
		return nil, errors.New("the script does not define function transform(event)")
	}
	v.fn = fn
	return v, nil
}

// call runs transform(event) once.
func (v *vm) call(msg sdk.Message, decodeGo bool) ([]sdk.Message, error) {
	v.msg = &msg
	defer func() {
		v.msg = nil
		clear(v.made)
	}()
	ev, err := v.event(msg, decodeGo)
	if err != nil {
		return nil, err
	}
	res, err := v.fn(goja.Undefined(), ev)
	if err != nil {
		var ie *goja.InterruptedError
		if errors.As(err, &ie) {
			return nil, err
		}
		return nil, scriptError(err)
	}
	out, err := v.results(msg, res)
	if err != nil {
		return nil, outputError{err}
	}
	return out, nil
}

// event builds the argument of transform: body (parsed JSON or raw text),
// headers (lower-case names, repeated fields joined with ", "), id, type,
// source, pipeline and received_at (RFC 3339).
func (v *vm) event(msg sdk.Message, decodeGo bool) (*goja.Object, error) {
	rt := v.rt
	obj := rt.NewObject()
	ev := msg.Event
	if ev == nil {
		ev = &sdk.Event{}
	}
	body, err := v.body(msg, decodeGo)
	if err != nil {
		return nil, err
	}
	hdr := rt.NewObject()
	for k, vals := range ev.Header {
		_ = hdr.Set(k, strings.Join(vals, ", "))
	}
	for _, kv := range []struct {
		k string
		v any
	}{
		{"body", body},
		{"headers", hdr},
		{"id", ev.ID},
		{"type", ev.Type},
		{"source", ev.Source},
		{"pipeline", ev.Pipeline},
		{"received_at", ev.ReceivedAt.UTC().Format(time.RFC3339Nano)},
	} {
		if err := obj.Set(kv.k, kv.v); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

func (v *vm) body(msg sdk.Message, decodeGo bool) (goja.Value, error) {
	if !msg.IsJSON() {
		return v.rt.ToValue(string(msg.Body)), nil
	}
	if decodeGo {
		decode := v.decodeJSON
		if hasSurrogateEscape(msg.Body) {
			decode = v.decodeJSONStd
		}
		val, err := decode(msg.Body)
		if err == nil {
			return val, nil
		}
		// Not JSON after all: the script gets the raw text.
		return v.rt.ToValue(string(msg.Body)), nil
	}
	// JSON.parse (the benchmarks' comparison) rounds big integers.
	val, err := v.parse(goja.Undefined(), v.rt.ToValue(string(msg.Body)))
	if err != nil {
		return v.rt.ToValue(string(msg.Body)), nil
	}
	return val, nil
}

// results turns transform's return value into messages.
func (v *vm) results(in sdk.Message, res goja.Value) ([]sdk.Message, error) {
	if goja.IsUndefined(res) || goja.IsNull(res) {
		return nil, nil
	}
	if o, ok := res.(*goja.Object); ok {
		switch x := v.made[o].(type) {
		case *outMessage:
			m, err := v.toMessage(in, x.body, x.header)
			if err != nil {
				return nil, err
			}
			return []sdk.Message{m}, nil
		case *outSplit:
			out := make([]sdk.Message, 0, len(x.items))
			for i, item := range x.items {
				var hdr sdk.Header
				if io, ok := item.(*goja.Object); ok {
					switch y := v.made[io].(type) {
					case *outMessage:
						item, hdr = y.body, y.header
					case *outSplit:
						return nil, fmt.Errorf("%s: split() item %d is itself a split(); nest no further than one level", v.log.script, i)
					}
				}
				if goja.IsUndefined(item) || goja.IsNull(item) {
					continue
				}
				m, err := v.toMessage(in, item, hdr)
				if err != nil {
					return nil, fmt.Errorf("split() item %d: %w", i, err)
				}
				out = append(out, m)
			}
			return out, nil
		}
	}
	m, err := v.toMessage(in, res, nil)
	if err != nil {
		return nil, err
	}
	return []sdk.Message{m}, nil
}

// toMessage renders one body: a string is sent as raw text, any other
// value as JSON. Headers set by message() are merged over those earlier
// transforms set.
func (v *vm) toMessage(in sdk.Message, body goja.Value, hdr sdk.Header) (sdk.Message, error) {
	out := sdk.Message{Event: in.Event, Header: in.Header}
	if len(hdr) > 0 {
		merged := in.Header.Clone()
		if merged == nil {
			merged = sdk.Header{}
		}
		for k, vals := range hdr {
			merged[k] = vals
		}
		out.Header = merged
	}
	if _, isObj := body.(*goja.Object); !isObj {
		if s, ok := body.Export().(string); ok {
			out.Body, out.ContentType = []byte(s), sdk.ContentTypeText
			return out, nil
		}
	}
	js, err := v.stringify(goja.Undefined(), body)
	if err != nil {
		return out, scriptError(err)
	}
	if goja.IsUndefined(js) {
		return out, fmt.Errorf("%s: transform returned a value JSON cannot represent (a function or symbol?)", v.log.script)
	}
	out.Body, out.ContentType = []byte(js.String()), sdk.ContentTypeJSON
	return out, nil
}

// forbiddenHeaders are set by the HTTP client from the request itself.
var forbiddenHeaders = map[string]bool{
	"host": true, "content-length": true, "transfer-encoding": true, "connection": true,
	"keep-alive": true, "upgrade": true, "te": true, "trailer": true, "proxy-connection": true,
}

// jsMessage is message(body, {headers: {...}}): one message with outbound
// headers.
func (v *vm) jsMessage(call goja.FunctionCall) goja.Value {
	m := &outMessage{body: call.Argument(0)}
	if opts, ok := call.Argument(1).(*goja.Object); ok {
		if h, ok := opts.Get("headers").(*goja.Object); ok {
			m.header = sdk.Header{}
			for _, k := range h.Keys() {
				name := strings.ToLower(k)
				if forbiddenHeaders[name] || name == "" || strings.ContainsAny(name, " \t\r\n:") {
					panic(v.rt.NewTypeError("message(): header %q cannot be set by a transform", k))
				}
				val := h.Get(k).String()
				if strings.ContainsAny(val, "\r\n") {
					panic(v.rt.NewTypeError("message(): header %q contains a line break", k))
				}
				m.header.Set(name, val)
			}
		}
	}
	obj := v.rt.ToValue(m).(*goja.Object)
	v.made[obj] = m
	return obj
}

// jsSplit is split([a, b, ...]): several messages, each a body or a
// message().
func (v *vm) jsSplit(call goja.FunctionCall) goja.Value {
	arr, ok := call.Argument(0).(*goja.Object)
	if !ok || arr.ClassName() != "Array" {
		panic(v.rt.NewTypeError("split() takes an array of bodies or message() values"))
	}
	n := int(arr.Get("length").ToInteger())
	s := &outSplit{items: make([]goja.Value, 0, n)}
	for i := range n {
		s.items = append(s.items, arr.Get(fmt.Sprint(i)))
	}
	obj := v.rt.ToValue(s).(*goja.Object)
	v.made[obj] = s
	return obj
}

func (v *vm) console(level slog.Level) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		parts := make([]string, 0, len(call.Arguments))
		for _, a := range call.Arguments {
			if o, ok := a.(*goja.Object); ok {
				if _, isFn := goja.AssertFunction(o); !isFn {
					if s, err := v.stringify(goja.Undefined(), o); err == nil && !goja.IsUndefined(s) {
						parts = append(parts, s.String())
						continue
					}
				}
			}
			parts = append(parts, a.String())
		}
		line := strings.Join(parts, " ")
		if len(line) > maxConsoleLine {
			line = line[:maxConsoleLine] + "…"
		}
		attrs := []slog.Attr{slog.String("pipeline", v.log.pipeline), slog.String("script", v.log.script)}
		if v.msg != nil && v.msg.Event != nil {
			attrs = append(attrs, slog.String("event_id", v.msg.Event.ID))
		}
		v.log.logger.LogAttrs(context.Background(), level, "console: "+line, attrs...)
		return goja.Undefined()
	}
}

// decodeJSON builds native JS values from JSON in Go: objects keep their
// key order and arrays are real arrays (goja's ToValue on decoded Go maps
// and slices would give wrappers whose push() is lost and whose key order
// is random). fastjson's parser is owned by the vm, so it is reused
// without locking.
func (v *vm) decodeJSON(data []byte) (goja.Value, error) {
	if !v.lazy {
		root, err := v.parser.ParseBytes(data)
		if err != nil {
			return nil, err
		}
		return v.toJS(root, 0)
	}
	// Its own parser: the lazy values keep pointing into it (lazy.go).
	root, err := new(fastjson.Parser).ParseBytes(data)
	if err != nil {
		return nil, err
	}
	return v.lazyValue(root), nil
}

// hasSurrogateEscape reports a \uD800-\uDFFF escape. fastjson keeps an
// unpaired one as literal text where JSON.parse gives U+FFFD, so such
// bodies (rare: senders escape emoji in pairs, or not at all) go to
// decodeJSONStd, which decodes as JSON.parse does.
func hasSurrogateEscape(b []byte) bool {
	for {
		i := bytes.Index(b, []byte(`\u`))
		if i < 0 || i+3 >= len(b) {
			return false
		}
		if c, d := b[i+2]|0x20, b[i+3]|0x20; c == 'd' && d >= '8' && d <= 'f' {
			return true
		}
		b = b[i+2:]
	}
}

// maxJSONDepth bounds nesting, as JSON.parse's decoder does.
const maxJSONDepth = 10000

func (v *vm) toJS(j *fastjson.Value, depth int) (goja.Value, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("JSON nested too deeply")
	}
	rt := v.rt
	switch j.Type() {
	case fastjson.TypeObject:
		obj := rt.NewObject()
		var ferr error
		j.GetObject().Visit(func(key []byte, val *fastjson.Value) {
			if ferr != nil {
				return
			}
			jv, err := v.toJS(val, depth+1)
			if err != nil {
				ferr = err
				return
			}
			// An own property even for "__proto__", as JSON.parse does.
			ferr = obj.DefineDataProperty(string(key), jv, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE)
		})
		if ferr != nil {
			return nil, ferr
		}
		return obj, nil
	case fastjson.TypeArray:
		arr := j.GetArray()
		items := make([]any, len(arr))
		for i, el := range arr {
			jv, err := v.toJS(el, depth+1)
			if err != nil {
				return nil, err
			}
			items[i] = jv
		}
		return rt.NewArray(items...), nil
	case fastjson.TypeString:
		return rt.ToValue(string(j.GetStringBytes())), nil
	case fastjson.TypeNumber:
		// fastjson's float parsing is not correctly rounded (1e57 comes out
		// one ulp off); strconv's is, like JSON.parse. Short integers, the
		// common case, are exact either way.
		v.num = j.MarshalTo(v.num[:0])
		if len(v.num) <= 15 && !bytes.ContainsAny(v.num, ".eE") {
			return rt.ToValue(j.GetFloat64()), nil
		}
		return v.number(v.num)
	case fastjson.TypeTrue:
		return rt.ToValue(true), nil
	case fastjson.TypeFalse:
		return rt.ToValue(false), nil
	default:
		return goja.Null(), nil
	}
}
