package javascript

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

// Name is the transform's type label in HCL.
const Name = "javascript"

// Limits and defaults.
const (
	DefaultTimeout = time.Second
	maxCallStack   = 512
	maxScriptSize  = 1 << 20
	maxConsoleLine = 4 << 10
)

// Definition describes the javascript transform for a registry.
func Definition() sdk.Definition {
	return sdk.DefineTransform(Name,
		"Runs function transform(event) from a JavaScript script on each message.",
		schema.Block{
			Attributes: []schema.Attribute{
				{Name: "code", Type: schema.String, Description: "Inline script source. Exactly one of code and file."},
				{Name: "file", Type: schema.String, Description: "Script file, relative to the config file. Exactly one of code and file."},
				{Name: "timeout", Type: schema.String, Default: DefaultTimeout.String(), Description: "Deadline of one call; a script still running then fails that event."},
				{Name: "pool_size", Type: schema.Number, Description: "Pre-warmed runtimes; the number of calls that may run at once. Default: the number of CPUs."},
			},
		},
		New)
}

type config struct {
	Code     *string `json:"code"`
	File     *string `json:"file"`
	Timeout  string  `json:"timeout"`
	PoolSize *int    `json:"pool_size"`
}

// Transform is a compiled script and its runtime pool.
type Transform struct {
	prog     *goja.Program
	script   string // file name shown in errors
	timeout  time.Duration
	pool     chan *vm
	log      consoleLog
	decodeGo bool // decode JSON bodies in Go instead of JSON.parse
	eager    bool // convert the whole body up front instead of lazily
	// memoryBudget is how far the heap may grow during a call (tests
	// lower it).
	memoryBudget uint64
}

var _ sdk.Transform = (*Transform)(nil)

// New compiles the script and pre-warms the pool. Problems come back as
// sdk.Diagnostics naming the attribute, and for a syntax error the script
// line and column.
func New(ctx context.Context, cfg sdk.Config) (*Transform, error) {
	var c config
	if err := cfg.Decode(&c); err != nil {
		return nil, err
	}
	if (c.Code == nil) == (c.File == nil) {
		return nil, sdk.AttributeError("", "Exactly one of code and file is required", "Give the script inline with code = <<-JS ... JS, or name a file with file = \"...\".")
	}
	t := &Transform{timeout: DefaultTimeout, log: newLog(cfg), decodeGo: true, memoryBudget: memoryBudget}
	if c.Timeout != "" {
		d, err := time.ParseDuration(c.Timeout)
		if err != nil || d <= 0 {
			return nil, sdk.AttributeError("timeout", "Invalid timeout", fmt.Sprintf("%q is not a positive duration such as \"500ms\" or \"2s\".", c.Timeout))
		}
		t.timeout = d
	}
	size := runtime.GOMAXPROCS(0)
	if c.PoolSize != nil {
		if *c.PoolSize < 1 || *c.PoolSize > 1024 {
			return nil, sdk.AttributeError("pool_size", "Invalid pool_size", "pool_size must be between 1 and 1024.")
		}
		size = *c.PoolSize
	}

	var src, attr, diagFile string
	if c.Code != nil {
		src, attr = *c.Code, "code"
		t.script = "inline:" + cfg.Pipeline + "/" + cfg.Name
	} else {
		attr = "file"
		p := *c.File
		if !filepath.IsAbs(p) {
			p = filepath.Join(cfg.BaseDir, p)
		}
		p = filepath.Clean(p)
		b, err := readScript(p)
		if err != nil {
			return nil, sdk.AttributeError("file", "Cannot read script", err.Error())
		}
		src, t.script, diagFile = string(b), p, p
		if isTypeScript(p) {
			if src, err = compileTypeScript(p, src); err != nil {
				return nil, err
			}
		}
	}
	limitRegexps()
	prog, err := compile(t.script, src)
	if err != nil {
		return nil, compileDiagnostic(err, attr, diagFile)
	}
	t.prog = prog

	t.pool = make(chan *vm, size)
	for range size {
		v, err := t.newVM(ctx)
		if err != nil {
			t.drain()
			return nil, sdk.Diagnostics{{Summary: "Script failed to load", Detail: err.Error(), Attribute: attr}}
		}
		t.pool <- v
	}
	return t, nil
}

func readScript(p string) ([]byte, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxScriptSize {
		return nil, fmt.Errorf("%s is %d bytes; a script may be at most %d", p, st.Size(), maxScriptSize)
	}
	return os.ReadFile(p)
}

// compile parses with goja's parser, whose errors keep their positions
// (goja.Compile flattens them into a message), then compiles the AST.
func compile(name, src string) (*goja.Program, error) {
	ast, err := parser.ParseFile(nil, name, src, 0, parser.WithSourceMapLoader(refuseSourceMapFiles))
	if err != nil {
		return nil, err
	}
	return goja.CompileAST(ast, false)
}

// refuseSourceMapFiles keeps a script's sourceMappingURL comment from
// reading files: only inline (data:) maps, which TypeScript compilation
// writes, are used.
func refuseSourceMapFiles(path string) ([]byte, error) {
	return nil, fmt.Errorf("source map %s: only inline source maps are read", path)
}

// compileDiagnostic locates a parse or compile error: inside the script
// file, or (File empty) inside the inline code attribute.
func compileDiagnostic(err error, attr, file string) error {
	d := sdk.Diagnostic{Summary: "JavaScript syntax error", Detail: err.Error(), Attribute: attr, File: file}
	var list parser.ErrorList
	var pe *parser.Error
	var ce *goja.CompilerSyntaxError
	var re *goja.CompilerReferenceError
	switch {
	case errors.As(err, &list) && len(list) > 0:
		d.Line, d.Column, d.Detail = list[0].Position.Line, list[0].Position.Column, list[0].Message
		if len(list) > 1 {
			d.Detail += fmt.Sprintf(" (and %d more)", len(list)-1)
		}
	case errors.As(err, &pe):
		d.Line, d.Column, d.Detail = pe.Position.Line, pe.Position.Column, pe.Message
	case errors.As(err, &ce) && ce.File != nil:
		pos := ce.File.Position(ce.Offset)
		d.Line, d.Column, d.Detail = pos.Line, pos.Column, ce.Message
	case errors.As(err, &re) && re.File != nil:
		pos := re.File.Position(re.Offset)
		d.Line, d.Column, d.Detail = pos.Line, pos.Column, re.Message
	}
	if d.Line == 0 {
		d.File = ""
	}
	return sdk.Diagnostics{d}
}

// Transform runs the script on msg. Script failures (exceptions, a bad
// return value, the deadline) are permanent: the same event would fail
// again. Cancellation of ctx by the caller is not.
func (t *Transform) Transform(ctx context.Context, msg sdk.Message) ([]sdk.Message, error) {
	callCtx, cancel := context.WithTimeoutCause(ctx, t.timeout, errDeadline)
	defer cancel()
	var v *vm
	select {
	case v = <-t.pool:
	case <-callCtx.Done():
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// Capacity, not a fault of the event: delivery waits and asks again.
		return nil, sdk.Busy(fmt.Errorf("%s: no free runtime within %s (raise pool_size?)", t.script, t.timeout))
	}
	stop := context.AfterFunc(callCtx, func() { v.rt.Interrupt(context.Cause(callCtx)) })
	heap := v.heap.start(t.memoryBudget)
	v.lazy = !t.eager
	out, err := v.call(msg, t.decodeGo)
	overBudget := heap.stop()
	if stop() && !overBudget && !v.spoiled {
		t.pool <- v
	} else {
		// An interrupt fired, or may still fire: this runtime is spoiled.
		t.replace(v)
	}
	if err == nil {
		return out, nil
	}
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		var le *limitError
		if e, ok := ie.Value().(*limitError); ok {
			le = e
		}
		if le != nil {
			return nil, sdk.Permanent(fmt.Errorf("%s: %s, stopped%s", t.script, le.msg, where(ie.Stack())))
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, sdk.Permanent(timeoutError{fmt.Errorf("%s: script still running after %s, stopped%s", t.script, t.timeout, where(ie.Stack()))})
	}
	return nil, sdk.Permanent(err)
}

var errDeadline = errors.New("script deadline")

// timeoutError is a call that ran out of time; the host's metrics read
// Timeout() (as with net.Error).
type timeoutError struct{ error }

func (e timeoutError) Unwrap() error { return e.error }
func (timeoutError) Timeout() bool   { return true }

// outputError is a return value that makes no message; the host's metrics
// read InvalidOutput().
type outputError struct{ error }

func (e outputError) Unwrap() error     { return e.error }
func (outputError) InvalidOutput() bool { return true }

// replace swaps a spoiled runtime for a fresh one. Building one runs the
// program again; if that ever fails the pool shrinks and says so.
func (t *Transform) replace(old *vm) {
	old.rt = nil
	v, err := t.newVM(context.Background())
	if err != nil {
		t.log.logger.Error("javascript: cannot rebuild runtime; pool shrinks", "script", t.script, "error", err)
		return
	}
	t.pool <- v
}

// Close drops the runtimes.
func (t *Transform) Close(context.Context) error {
	t.drain()
	return nil
}

func (t *Transform) drain() {
	for {
		select {
		case <-t.pool:
		default:
			return
		}
	}
}

func where(frames []goja.StackFrame) string {
	for _, f := range frames {
		if p := f.Position(); p.Line > 0 {
			return fmt.Sprintf(" at %s:%d:%d", p.Filename, p.Line, p.Column)
		}
	}
	return ""
}

// scriptError renders a JS exception as "file:line:col: message".
func scriptError(err error) error {
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		return fmt.Errorf("call stack deeper than %d frames (runaway recursion?)%s", maxCallStack, where(so.Stack()))
	}
	var ex *goja.Exception
	if !errors.As(err, &ex) {
		return err
	}
	msg := ex.Value().String()
	for _, f := range ex.Stack() {
		if p := f.Position(); p.Line > 0 {
			return fmt.Errorf("%s:%d:%d: %s", p.Filename, p.Line, p.Column, msg)
		}
	}
	return errors.New(msg)
}

// SetDecodeInJS switches body decoding to JSON.parse inside goja. Used by
// benchmarks to compare both ways.
func (t *Transform) SetDecodeInJS(js bool) { t.decodeGo = !js }

// SetEagerDecode makes Go decoding build the whole body as JS values
// before the call instead of lazily (lazy.go). Used by benchmarks and
// tests to compare both ways.
func (t *Transform) SetEagerDecode(eager bool) { t.eager = eager }
