package javascript

import (
	"context"
	"testing"

	"github.com/dop251/goja"

	"github.com/hookferry/hookferry/internal/corpus"
	"github.com/hookferry/hookferry/sdk"
)

// FuzzDecodeMatchesJSONParse: for any input JSON.parse accepts, the body
// the script sees with Go decoding must be one JSON.stringify renders
// exactly as it renders JSON.parse's (same keys, order, numbers, strings).
func FuzzDecodeMatchesJSONParse(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, `true`, `0`, `-0`, `1e400`, `-1.5e-7`, `12345678901234567890`,
		`"\u00e9\ud83d\ude00"`, `"\ud800"`, `"a\u0000b"`, `{"__proto__":{"x":1}}`, `{"a":1,"a":2}`,
		`{"b":1,"a":[1,{"c":null}],"1":"num key","0":"zero"}`, ` [1 , 2 ] `, `"\/\b\f\n\r\t"`,
	} {
		f.Add([]byte(s))
	}
	f.Add(corpus.Read(f, corpus.GitHubPush))
	tr, err := New(context.Background(), sdk.Config{Values: []byte(`{"code":"function transform(e){}","pool_size":1}`)})
	if err != nil {
		f.Fatal(err)
	}
	v := <-tr.pool
	f.Fuzz(func(t *testing.T, data []byte) {
		want, err := v.parse(goja.Undefined(), v.rt.ToValue(string(data)))
		if err != nil {
			return // not JSON to JSON.parse: the script gets raw text either way
		}
		got, err := v.body(sdk.Message{Body: data, ContentType: sdk.ContentTypeJSON}, true)
		if err != nil {
			t.Fatalf("JSON.parse accepts %q but the Go decoder fails: %v", data, err)
		}
		if _, isObj := want.(*goja.Object); !isObj {
			if s, ok := got.Export().(string); ok && s == string(data) && want.ExportType() != got.ExportType() {
				t.Fatalf("JSON.parse accepts %q but the Go decoder fell back to raw text", data)
			}
		}
		ws, err1 := v.stringify(goja.Undefined(), want)
		gs, err2 := v.stringify(goja.Undefined(), got)
		if err1 != nil || err2 != nil {
			t.Fatalf("stringify: %v %v", err1, err2)
		}
		if ws.String() != gs.String() {
			t.Fatalf("input %q\n JSON.parse -> %s\n Go decode  -> %s", data, ws, gs)
		}
	})
}
