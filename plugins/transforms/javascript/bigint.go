package javascript

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// Integers beyond Number.MAX_SAFE_INTEGER (2^53-1) cannot be held exactly
// by a JavaScript number: JSON.parse would round 820982911946154508 (a
// Shopify order id) to 820982911946154500. The Go decoders below give such
// integers to the script as BigInt instead, and BigInt.prototype.toJSON
// (installed in every runtime) writes a BigInt back with JSON.rawJSON, so
// an untouched id leaves exactly as it came and a script compares it
// exactly (event.body.id === 820982911946154508n).

// maxSafeInteger is Number.MAX_SAFE_INTEGER.
const maxSafeInteger = 1<<53 - 1

// number converts the text of one JSON number: a BigInt for an integer
// beyond the safe range, otherwise the correctly rounded double, as
// JSON.parse gives (fastjson's own float parsing is one ulp off for some
// inputs, such as 1e57; strconv's is not).
func (v *vm) number(text []byte) (goja.Value, error) {
	if unsafeInteger(text) {
		b, ok := new(big.Int).SetString(string(text), 10)
		if ok {
			return v.rt.ToValue(b), nil
		}
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, err
	}
	return v.rt.ToValue(f), nil
}

// unsafeInteger reports whether text is a JSON integer (-?(0|[1-9][0-9]*),
// no fraction or exponent) whose magnitude exceeds 2^53-1. Only such text
// becomes a BigInt, so BigInt's decimal form is the input, byte for byte.
func unsafeInteger(text []byte) bool {
	digits := text
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) < 16 || digits[0] == '0' {
		return false // 15 digits or fewer are always safe
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	if len(digits) > 16 {
		return true
	}
	n, err := strconv.ParseUint(string(digits), 10, 64)
	return err != nil || n > maxSafeInteger
}

// installBigIntJSON defines BigInt.prototype.toJSON (non-enumerable, as
// built-ins are) so JSON.stringify, and with it every transform's output,
// writes a BigInt as a bare JSON number instead of throwing.
func installBigIntJSON(rt *goja.Runtime) error {
	jsonObj := rt.Get("JSON").ToObject(rt)
	raw, ok := goja.AssertFunction(jsonObj.Get("rawJSON"))
	if !ok {
		return errors.New("this goja has no JSON.rawJSON")
	}
	proto := rt.Get("BigInt").ToObject(rt).Get("prototype").ToObject(rt)
	fn := rt.ToValue(func(call goja.FunctionCall) goja.Value {
		var s string
		switch x := call.This.Export().(type) {
		case *big.Int:
			s = x.String()
		default:
			panic(rt.NewTypeError("BigInt.prototype.toJSON called on a value that is not a BigInt"))
		}
		out, err := raw(goja.Undefined(), rt.ToValue(s))
		if err != nil {
			panic(err)
		}
		return out
	}).(*goja.Object)
	if err := fn.DefineDataProperty("name", rt.ToValue("toJSON"), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
		return err
	}
	return proto.DefineDataProperty("toJSON", fn, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// decodeJSONStd decodes the way goja's JSON.parse does (encoding/json
// tokens over the body as goja sees it as a string), but with numbers kept
// as text, so big integers become BigInt here too. It serves the rare
// bodies fastjson cannot decode like JSON.parse (unpaired surrogate
// escapes).
func (v *vm) decodeJSONStd(data []byte) (goja.Value, error) {
	d := json.NewDecoder(strings.NewReader(v.rt.ToValue(string(data)).String()))
	d.UseNumber()
	val, err := v.stdValue(d, 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return val, nil
}

func (v *vm) stdValue(d *json.Decoder, depth int) (goja.Value, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	return v.stdToken(d, tok, depth)
}

func (v *vm) stdToken(d *json.Decoder, tok json.Token, depth int) (goja.Value, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("JSON nested too deeply")
	}
	rt := v.rt
	switch tok := tok.(type) {
	case json.Delim:
		switch tok {
		case '{':
			obj := rt.NewObject()
			for {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				if kt == json.Delim('}') {
					return obj, nil
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("unexpected token %v", kt)
				}
				val, err := v.stdValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				if err := obj.DefineDataProperty(key, val, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
					return nil, err
				}
			}
		case '[':
			var items []any
			for {
				et, err := d.Token()
				if err != nil {
					return nil, err
				}
				if et == json.Delim(']') {
					return rt.NewArray(items...), nil
				}
				val, err := v.stdToken(d, et, depth+1)
				if err != nil {
					return nil, err
				}
				items = append(items, val)
			}
		}
	case nil:
		return goja.Null(), nil
	case string:
		return rt.ToValue(tok), nil
	case json.Number:
		return v.number([]byte(tok))
	case bool:
		return rt.ToValue(tok), nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}
