package javascript

import (
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
)

// A deadline stops a script only between instructions: Interrupt cannot
// reach into one native call. 'x'.repeat(2**30) is one such call (10 s and
// 1 GiB against a 200 ms deadline), and so is a regular expression that
// backtracks for minutes. These limits bound that native work; a script
// that reaches one is stopped like a runaway one (the same permanent
// failure), and its runtime is thrown away.
const (
	// maxStringLength bounds a string built by one call of
	// String.prototype.repeat, padStart, padEnd, concat, replaceAll or
	// Array.prototype.join, in UTF-16 code units (at most 64 MiB).
	maxStringLength = 32 << 20
	// maxJoinLength bounds the length of an array joined in one call.
	maxJoinLength = 16 << 20
	// memoryBudget bounds how much the Go heap may grow, and stay grown
	// through a garbage collection, while one call runs.
	memoryBudget = 256 << 20
	// memoryCheckEvery is how often a running call's heap growth is
	// checked; calls shorter than this are never checked.
	memoryCheckEvery = 10 * time.Millisecond
	// regexpLimit bounds one regular-expression match (regexp2's
	// MatchTimeout, process-wide) and one test/match/replace/search/split
	// call.
	regexpLimit = time.Second
)

// limitError is the value a script is interrupted with when it reaches a
// limit.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

var regexpLimitOnce sync.Once

// limitRegexps makes regexp2 (the backtracking engine goja uses for
// lookaround and back-references; other patterns run on Go's linear-time
// regexp) give up a match after regexpLimit. The setting is global and read
// when a pattern is compiled, so it is set once, before the first script is
// compiled.
func limitRegexps() {
	regexpLimitOnce.Do(func() { regexp2.DefaultMatchTimeout = regexpLimit })
}

// stopAt interrupts the running script with a limitError and marks the
// runtime spoiled. The value returned is never seen by the script: the
// runtime stops before its next instruction.
func (v *vm) stopAt(format string, args ...any) goja.Value {
	v.spoiled = true
	v.rt.Interrupt(&limitError{msg: fmt.Sprintf(format, args...)})
	return goja.Undefined()
}

// installLimits wraps the built-ins that make large strings in one native
// step, and those that run regular expressions, so they check the limits
// first (or, for regular expressions, time themselves) and then call the
// original.
func (v *vm) installLimits() error {
	rt := v.rt
	strProto := rt.Get("String").ToObject(rt).Get("prototype").ToObject(rt)
	arrProto := rt.Get("Array").ToObject(rt).Get("prototype").ToObject(rt)
	rxProto := rt.Get("RegExp").ToObject(rt).Get("prototype").ToObject(rt)
	tooLong := func(fn string, n float64) goja.Value {
		return v.stopAt("%s() would build a string of %.0f characters; the limit is %d", fn, n, maxStringLength)
	}

	wraps := []struct {
		obj  *goja.Object
		name string
		wrap func(orig goja.Callable) func(goja.FunctionCall) goja.Value
	}{
		{strProto, "repeat", func(orig goja.Callable) func(goja.FunctionCall) goja.Value {
			return func(call goja.FunctionCall) goja.Value {
				if nullish(call.This) {
					return mustCall(orig, call.This, call.Arguments...)
				}
				s := call.This.ToString()
				count := call.Argument(0).ToNumber()
				if n := float64(strLen(s)) * count.ToFloat(); n > maxStringLength && !math.IsInf(count.ToFloat(), 0) {
					return tooLong("String.prototype.repeat", n)
				}
				return mustCall(orig, s, count)
			}
		}},
		{strProto, "padStart", v.wrapPad("String.prototype.padStart", tooLong)},
		{strProto, "padEnd", v.wrapPad("String.prototype.padEnd", tooLong)},
		{strProto, "concat", func(orig goja.Callable) func(goja.FunctionCall) goja.Value {
			return func(call goja.FunctionCall) goja.Value {
				if nullish(call.This) {
					return mustCall(orig, call.This, call.Arguments...)
				}
				s := call.This.ToString()
				n := strLen(s)
				for _, a := range call.Arguments {
					if as, ok := a.(goja.String); ok {
						n += as.Length()
					}
				}
				if n > maxStringLength {
					return tooLong("String.prototype.concat", float64(n))
				}
				return mustCall(orig, s, call.Arguments...)
			}
		}},
		{strProto, "replaceAll", func(orig goja.Callable) func(goja.FunctionCall) goja.Value {
			return func(call goja.FunctionCall) goja.Value {
				// A string pattern with a string replacement: the result's
				// length is known before building it. (A function
				// replacement runs script code, which the deadline reaches;
				// a RegExp pattern goes through RegExp.prototype[Symbol.replace].)
				pat, ok1 := call.Argument(0).(goja.String)
				rep, ok2 := call.Argument(1).(goja.String)
				if !nullish(call.This) && ok1 && ok2 && rep.Length() > pat.Length() {
					s := call.This.ToString()
					if n := float64(strLen(s)) + float64(countIn(s, pat))*float64(rep.Length()-pat.Length()); n > maxStringLength {
						return tooLong("String.prototype.replaceAll", n)
					}
					return mustCall(orig, s, call.Arguments...)
				}
				return mustCall(orig, call.This, call.Arguments...)
			}
		}},
		{arrProto, "join", func(orig goja.Callable) func(goja.FunctionCall) goja.Value {
			return func(call goja.FunctionCall) goja.Value {
				if nullish(call.This) {
					return mustCall(orig, call.This, call.Arguments...)
				}
				o := call.This.ToObject(rt)
				length := o.Get("length").ToFloat()
				if length > maxJoinLength {
					return v.stopAt("Array.prototype.join() over %.0f elements; the limit is %d", length, maxJoinLength)
				}
				sep := call.Argument(0)
				sepLen := 1
				if !goja.IsUndefined(sep) {
					sep = sep.ToString()
					sepLen = strLen(sep)
				}
				n := float64(sepLen) * max(length-1, 0)
				// Elements that are strings count too; anything else
				// becomes a string in script code or is short.
				if o.ClassName() == "Array" {
					for i := 0; i < int(length) && n <= maxStringLength; i++ {
						if s, ok := o.Get(strconv.Itoa(i)).(goja.String); ok {
							n += float64(s.Length())
						}
					}
				}
				if n > maxStringLength {
					return tooLong("Array.prototype.join", n)
				}
				return mustCall(orig, o, sep)
			}
		}},
	}
	for _, name := range []string{"test"} {
		wraps = append(wraps, struct {
			obj  *goja.Object
			name string
			wrap func(orig goja.Callable) func(goja.FunctionCall) goja.Value
		}{rxProto, name, v.timeRegexp("RegExp.prototype." + name)})
	}
	for _, w := range wraps {
		orig, ok := goja.AssertFunction(w.obj.Get(w.name))
		if !ok {
			return fmt.Errorf("no built-in %s to wrap", w.name)
		}
		if err := defineBuiltin(rt, w.obj, w.name, w.obj.Get(w.name).ToObject(rt), w.wrap(orig)); err != nil {
			return err
		}
	}
	for _, sym := range []struct {
		sym  *goja.Symbol
		name string
	}{{goja.SymReplace, "replace"}, {goja.SymMatch, "match"}, {goja.SymSearch, "search"}, {goja.SymSplit, "split"}} {
		old := rxProto.GetSymbol(sym.sym)
		orig, ok := goja.AssertFunction(old)
		if !ok {
			return fmt.Errorf("no built-in RegExp.prototype[Symbol.%s] to wrap", sym.name)
		}
		fn := rt.ToValue(v.timeRegexp("RegExp.prototype[Symbol." + sym.name + "]")(orig)).(*goja.Object)
		copyNameLength(rt, fn, old.ToObject(rt))
		if err := rxProto.DefineDataPropertySymbol(sym.sym, fn, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
			return err
		}
	}
	return nil
}

func (v *vm) wrapPad(name string, tooLong func(string, float64) goja.Value) func(orig goja.Callable) func(goja.FunctionCall) goja.Value {
	return func(orig goja.Callable) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			if nullish(call.This) {
				return mustCall(orig, call.This, call.Arguments...)
			}
			s := call.This.ToString()
			n := call.Argument(0).ToNumber()
			if f := n.ToFloat(); f > maxStringLength && f > float64(strLen(s)) {
				return tooLong(name, f)
			}
			args := []goja.Value{n}
			if len(call.Arguments) > 1 {
				args = append(args, call.Arguments[1])
			}
			return mustCall(orig, s, args...)
		}
	}
}

// timeRegexp stops a script whose one regular-expression call ran for
// regexpLimit or longer: regexp2 gave up on a match (and goja took that for
// "no match"), or the call was that slow anyway.
func (v *vm) timeRegexp(name string) func(orig goja.Callable) func(goja.FunctionCall) goja.Value {
	return func(orig goja.Callable) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			start := time.Now()
			res := mustCall(orig, call.This, call.Arguments...)
			if time.Since(start) >= regexpLimit {
				return v.stopAt("%s ran for %s or more (the limit of one regular-expression call; catastrophic backtracking?)", name, regexpLimit)
			}
			return res
		}
	}
}

// defineBuiltin replaces obj[name] with fn, keeping the built-in's
// attributes (writable, not enumerable, configurable), name and length.
func defineBuiltin(rt *goja.Runtime, obj *goja.Object, name string, old *goja.Object, fn func(goja.FunctionCall) goja.Value) error {
	f := rt.ToValue(fn).(*goja.Object)
	copyNameLength(rt, f, old)
	return obj.DefineDataProperty(name, f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

func copyNameLength(rt *goja.Runtime, f, old *goja.Object) {
	for _, p := range []string{"name", "length"} {
		_ = f.DefineDataProperty(p, old.Get(p), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
}

// mustCall calls a wrapped built-in; its exception (a TypeError for a bad
// this, say) propagates to the script as if the built-in had thrown it.
func mustCall(fn goja.Callable, this goja.Value, args ...goja.Value) goja.Value {
	res, err := fn(this, args...)
	if err != nil {
		panic(err)
	}
	return res
}

func nullish(v goja.Value) bool { return v == nil || goja.IsUndefined(v) || goja.IsNull(v) }

func strLen(v goja.Value) int {
	if s, ok := v.(goja.String); ok {
		return s.Length()
	}
	return len(v.String())
}

// countIn counts the non-overlapping occurrences of pat in s, as
// replaceAll finds them (an empty pattern matches between every unit).
func countIn(s, pat goja.Value) int {
	if strLen(pat) == 0 {
		return strLen(s) + 1
	}
	return strings.Count(s.String(), pat.String())
}

// heapWatch checks, every memoryCheckEvery while a call runs, how much the
// Go heap has grown since the call began. Heap size is process-wide, so
// growth past the budget is confirmed with a garbage collection (garbage
// from elsewhere goes away; what the script holds stays) before the script
// is stopped.
type heapWatch struct {
	v       *vm
	budget  uint64
	timer   *time.Timer
	mu      sync.Mutex
	done    bool
	fired   bool
	base    uint64
	gcAbove uint64
	sample  [1]metrics.Sample
}

const heapObjects = "/memory/classes/heap/objects:bytes"

func (h *heapWatch) heap() uint64 {
	metrics.Read(h.sample[:])
	return h.sample[0].Value.Uint64()
}

// newHeapWatch makes v's watch, reused by every call on v (a runtime
// serves one call at a time), so a call costs a timer reset, not an
// allocation.
func newHeapWatch(v *vm) *heapWatch {
	h := &heapWatch{v: v, done: true}
	h.sample[0].Name = heapObjects
	h.mu.Lock()
	h.timer = time.AfterFunc(time.Hour, h.check)
	h.timer.Stop()
	h.mu.Unlock()
	return h
}

// start watches the call about to run; stop it when the call returns.
func (h *heapWatch) start(budget uint64) *heapWatch {
	h.mu.Lock()
	h.budget, h.base, h.gcAbove, h.done, h.fired = budget, 0, 0, false, false
	h.timer.Reset(memoryCheckEvery)
	h.mu.Unlock()
	return h
}

func (h *heapWatch) check() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return
	}
	cur := h.heap()
	if h.base == 0 {
		// The first check sets the baseline: a call this long is rare,
		// and reading the heap on every call would cost every call.
		h.base, h.gcAbove = cur, cur+h.budget
	} else if cur > h.gcAbove {
		runtime.GC()
		if live := h.heap(); live > h.base+h.budget {
			h.fired = true
			h.v.rt.Interrupt(&limitError{msg: "the heap grew by " + strconv.FormatUint((live-h.base)>>20, 10) + " MiB during the call; the budget is " + strconv.FormatUint(h.budget>>20, 10) + " MiB"})
			return
		}
		h.gcAbove = cur + h.budget
	}
	h.timer.Reset(memoryCheckEvery)
}

// stop ends the watch; no interrupt comes from it afterwards. It reports
// whether the watch interrupted the script.
func (h *heapWatch) stop() (fired bool) {
	h.timer.Stop()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.done = true
	return h.fired
}
