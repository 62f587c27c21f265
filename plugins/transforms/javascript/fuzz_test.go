package javascript

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/dop251/goja"

	"github.com/hookferry/hookferry/internal/corpus"
	"github.com/hookferry/hookferry/sdk"
)

// FuzzDecodeMatchesJSONParse round-trips any input JSON.parse accepts
// through an identity transform (Go decoding, the script, JSON output) and
// holds the result to JSON.stringify(JSON.parse(input)): same keys, order,
// strings and numbers, with one deliberate difference: an integer beyond
// 2^53-1 comes out exactly as it was written in the input, where JSON.parse
// would have rounded it.
func FuzzDecodeMatchesJSONParse(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, `true`, `0`, `-0`, `1e400`, `-1.5e-7`, `12345678901234567890`,
		`"\u00e9\ud83d\ude00"`, `"\ud800"`, `"a\u0000b"`, `{"__proto__":{"x":1}}`, `{"a":1,"a":2}`,
		`{"b":1,"a":[1,{"c":null}],"1":"num key","0":"zero"}`, ` [1 , 2 ] `, `"\/\b\f\n\r\t"`,
		`{"id":820982911946154508,"total":"10.00","line_items":[{"id":866550311766439020,"qty":1}]}`,
		`[9007199254740991,9007199254740992,-9007199254740993,1e20,100000000000000000000,1.0e3]`,
		`{"a":12345678901234567890,"a":{"b":-98765432109876543210}}`, `{"s":"\ud800","n":18446744073709551616}`,
	} {
		f.Add([]byte(s))
	}
	f.Add(corpus.Read(f, corpus.GitHubPush))
	ref, err := New(context.Background(), sdk.Config{Values: []byte(`{"code":"function transform(e){}","pool_size":1}`)})
	if err != nil {
		f.Fatal(err)
	}
	id, err := New(context.Background(), sdk.Config{Values: []byte(`{"code":"function transform(e){ return [e.body]; }","pool_size":1}`)})
	if err != nil {
		f.Fatal(err)
	}
	v := <-ref.pool
	f.Fuzz(func(t *testing.T, data []byte) {
		parsed, err := v.parse(goja.Undefined(), v.rt.ToValue(string(data)))
		if err != nil {
			return // not JSON to JSON.parse: the script gets raw text either way
		}
		want, err := v.stringify(goja.Undefined(), v.rt.NewArray(parsed))
		if err != nil {
			t.Fatalf("stringify: %v", err)
		}
		out, err := id.Transform(context.Background(), sdk.Message{Body: data, ContentType: sdk.ContentTypeJSON})
		if err != nil || len(out) != 1 {
			t.Fatalf("identity transform of %q: %v %v", data, out, err)
		}
		texts := map[string]string{}
		if err := numberTexts(v.rt.ToValue(string(data)).String(), "[0]", texts); err != nil {
			t.Fatalf("JSON.parse accepts %q but encoding/json does not: %v", data, err)
		}
		if err := sameJSON(want.String(), string(out[0].Body), texts); err != nil {
			t.Fatalf("input %q\n JSON.parse -> %s\n identity   -> %s\n %v", data, want, out[0].Body, err)
		}
	})
}

// numberTexts records the text of every number in doc by its path, the
// last duplicate key winning as in JSON.parse.
func numberTexts(doc, prefix string, into map[string]string) error {
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	var walk func(path string) error
	walk = func(path string) error {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case json.Number:
			into[path] = string(tok)
		case json.Delim:
			for i := 0; d.More(); i++ {
				p := path + "[" + strconv.Itoa(i) + "]"
				if tok == '{' {
					k, err := d.Token()
					if err != nil {
						return err
					}
					p = path + "." + strconv.Quote(k.(string))
				}
				if err := walk(p); err != nil {
					return err
				}
			}
			_, err = d.Token() // the closing delimiter
			return err
		}
		return nil
	}
	return walk(prefix)
}

// sameJSON compares two JSON texts token by token. Numbers must be written
// the same, except where the input had an unsafe integer: there got must
// carry the input's text exactly.
func sameJSON(want, got string, inputNumbers map[string]string) error {
	dw, dg := json.NewDecoder(strings.NewReader(want)), json.NewDecoder(strings.NewReader(got))
	dw.UseNumber()
	dg.UseNumber()
	type frame struct {
		obj bool
		i   int
		key string
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.obj {
				b.WriteString("." + strconv.Quote(f.key))
			} else {
				fmt.Fprintf(&b, "[%d]", f.i-1)
			}
		}
		return b.String()
	}
	for {
		tw, errW := dw.Token()
		tg, errG := dg.Token()
		if errors.Is(errW, io.EOF) && errors.Is(errG, io.EOF) {
			return nil
		}
		if errW != nil || errG != nil {
			return fmt.Errorf("tokens: %v / %v", errW, errG)
		}
		// Position: a key in an object, or the next element of an array.
		isKey := false
		if n := len(stack); n > 0 {
			top := &stack[n-1]
			if top.obj {
				if s, ok := tw.(string); ok && top.i%2 == 0 && tw != json.Delim('}') {
					top.key, isKey = s, true
				}
				top.i++
			} else if tw != json.Delim(']') {
				top.i++
			}
		}
		switch tw {
		case json.Delim('{'), json.Delim('['):
			p := path()
			if tg != tw {
				return fmt.Errorf("at %s: %v vs %v", p, tw, tg)
			}
			stack = append(stack, frame{obj: tw == json.Delim('{')})
			continue
		case json.Delim('}'), json.Delim(']'):
			if tg != tw {
				return fmt.Errorf("at %s: %v vs %v", path(), tw, tg)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		p := path()
		if isKey {
			if tg != tw {
				return fmt.Errorf("key at %s: %v vs %v", p, tw, tg)
			}
			continue
		}
		if nw, ok := tw.(json.Number); ok {
			ng, ok := tg.(json.Number)
			if !ok {
				return fmt.Errorf("at %s: number %v vs %v", p, nw, tg)
			}
			if in := inputNumbers[p]; unsafeInteger([]byte(in)) {
				if string(ng) != in {
					return fmt.Errorf("at %s: input %s came out as %s", p, in, ng)
				}
				continue
			}
			if ng != nw {
				return fmt.Errorf("at %s: %s vs %s", p, nw, ng)
			}
			continue
		}
		if !reflect.DeepEqual(tw, tg) {
			return fmt.Errorf("at %s: %#v vs %#v", p, tw, tg)
		}
	}
}
