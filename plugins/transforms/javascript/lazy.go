package javascript

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"
	"github.com/valyala/fastjson"
)

// Lazy bodies. A webhook body is mostly fields a mapping never reads (a
// GitHub push has hundreds; a chat message needs ten), and building a JS
// object per JSON object up front was most of a transform's cost. So a
// JSON object or array reaches the script as a goja dynamic object over
// the parsed JSON: a field becomes a JS value the first time it is read,
// and is kept, so reading it again gives the same value (identity holds:
// event.body.a === event.body.a for objects).
//
// Semantics stay those of JSON.parse's result: own, enumerable, writable
// properties in JSON.parse's order (array-index keys ascending, then the
// rest as written), the last of duplicate keys winning, "__proto__" an
// own property, arrays real arrays (Array.isArray, push, map...), integers
// beyond 2^53 BigInts. Writes, deletes and new keys go to the object
// itself. Each call parses with its own fastjson.Parser, whose values the
// lazy objects keep: a script that stores the body in a global still
// reads it correctly in a later call.

type lazyEntry struct {
	key     string
	raw     *fastjson.Value // the parsed JSON, until converted
	val     goja.Value      // the JS value once read or set
	deleted bool
}

type lazyObject struct {
	v       *vm
	entries []lazyEntry
	index   map[string]int // for large objects; nil below indexFrom
	ordered []string       // Keys() cache; nil when stale
}

const indexFrom = 16

var _ goja.DynamicObject = (*lazyObject)(nil)

func (v *vm) newLazyObject(o *fastjson.Object) *lazyObject {
	l := &lazyObject{v: v, entries: make([]lazyEntry, 0, o.Len())}
	o.Visit(func(kb []byte, val *fastjson.Value) {
		key := jsKey(kb)
		if i := l.find(key); i >= 0 {
			l.entries[i].raw = val // the last duplicate wins, at the first one's place
			return
		}
		l.add(lazyEntry{key: key, raw: val})
	})
	return l
}

// jsKey is the key as goja stores it: each byte of invalid UTF-8 becomes
// U+FFFD, so that Keys() and Get agree.
func jsKey(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for _, r := range string(b) {
		sb.WriteRune(r)
	}
	return sb.String()
}

func (l *lazyObject) add(e lazyEntry) {
	l.entries = append(l.entries, e)
	if l.index != nil {
		l.index[e.key] = len(l.entries) - 1
	} else if len(l.entries) == indexFrom {
		l.index = make(map[string]int, 2*indexFrom)
		for i, e := range l.entries {
			if !e.deleted {
				l.index[e.key] = i
			}
		}
	}
	l.ordered = nil
}

func (l *lazyObject) find(key string) int {
	if l.index != nil {
		if i, ok := l.index[key]; ok {
			return i
		}
		return -1
	}
	for i := range l.entries {
		if !l.entries[i].deleted && l.entries[i].key == key {
			return i
		}
	}
	return -1
}

func (l *lazyObject) Get(key string) goja.Value {
	i := l.find(key)
	if i < 0 {
		return nil
	}
	e := &l.entries[i]
	if e.val == nil {
		e.val = l.v.lazyValue(e.raw)
		e.raw = nil
	}
	return e.val
}

func (l *lazyObject) Set(key string, val goja.Value) bool {
	if i := l.find(key); i >= 0 {
		l.entries[i].val, l.entries[i].raw = val, nil
		return true
	}
	// New, or deleted before: at the end, as on any object.
	l.add(lazyEntry{key: key, val: val})
	return true
}

func (l *lazyObject) Has(key string) bool {
	return l.find(key) >= 0
}

func (l *lazyObject) Delete(key string) bool {
	if i := l.find(key); i >= 0 {
		l.entries[i].deleted, l.entries[i].raw, l.entries[i].val = true, nil, nil
		if l.index != nil {
			delete(l.index, key)
		}
		l.ordered = nil
	}
	return true
}

// Keys lists the keys as JSON.parse's object would: array indices in
// ascending order first, then the others in the order they came.
func (l *lazyObject) Keys() []string {
	if l.ordered != nil {
		return l.ordered
	}
	keys := make([]string, 0, len(l.entries))
	var indices []string
	for _, e := range l.entries {
		if e.deleted {
			continue
		}
		if isArrayIndex(e.key) {
			indices = append(indices, e.key)
			continue
		}
		keys = append(keys, e.key)
	}
	if len(indices) > 0 {
		slices.SortFunc(indices, func(a, b string) int {
			x, _ := strconv.ParseUint(a, 10, 32)
			y, _ := strconv.ParseUint(b, 10, 32)
			return int(int64(x) - int64(y))
		})
		keys = append(indices, keys...)
	}
	l.ordered = keys
	return keys
}

// isArrayIndex: a canonical decimal below 2^32-1, which JS orders first.
func isArrayIndex(s string) bool {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return err == nil && n < 1<<32-1
}

type lazyArray struct {
	v    *vm
	raw  []*fastjson.Value
	vals []goja.Value
}

var _ goja.DynamicArray = (*lazyArray)(nil)

func (a *lazyArray) Len() int { return len(a.vals) }

func (a *lazyArray) Get(i int) goja.Value {
	if i < 0 || i >= len(a.vals) {
		return nil
	}
	if a.vals[i] == nil {
		a.vals[i] = a.v.lazyValue(a.raw[i])
		a.raw[i] = nil
	}
	return a.vals[i]
}

func (a *lazyArray) Set(i int, val goja.Value) bool {
	if i < 0 {
		return false
	}
	if i >= len(a.vals) {
		a.SetLen(i + 1)
	}
	a.vals[i], a.raw[i] = val, nil
	return true
}

func (a *lazyArray) SetLen(n int) bool {
	if n < 0 {
		return false
	}
	for len(a.vals) < n {
		a.vals = append(a.vals, goja.Undefined())
		a.raw = append(a.raw, nil)
	}
	a.vals, a.raw = a.vals[:n], a.raw[:n]
	return true
}

// lazyValue converts one parsed JSON value: objects and arrays lazily,
// scalars at once.
func (v *vm) lazyValue(j *fastjson.Value) goja.Value {
	rt := v.rt
	switch j.Type() {
	case fastjson.TypeObject:
		o, _ := j.Object()
		return rt.NewDynamicObject(v.newLazyObject(o))
	case fastjson.TypeArray:
		raw, _ := j.Array()
		return rt.NewDynamicArray(&lazyArray{v: v, raw: raw, vals: make([]goja.Value, len(raw))})
	case fastjson.TypeString:
		return rt.ToValue(string(j.GetStringBytes()))
	case fastjson.TypeNumber:
		v.num = j.MarshalTo(v.num[:0])
		if len(v.num) <= 15 && !bytes.ContainsAny(v.num, ".eE") {
			return rt.ToValue(j.GetFloat64())
		}
		n, err := v.number(v.num)
		if err != nil {
			panic(rt.NewTypeError("JSON number %s: %v", v.num, err))
		}
		return n
	case fastjson.TypeTrue:
		return rt.ToValue(true)
	case fastjson.TypeFalse:
		return rt.ToValue(false)
	default:
		return goja.Null()
	}
}
