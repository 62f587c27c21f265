package javascript

import (
	"context"
	"testing"
)

// TestLazyBodyBehavesAsJSONParse holds the lazily built body to what the
// same script sees with the whole body converted up front and with
// JSON.parse: reads, identity, writes, deletes, array methods, key order,
// spread, Object.entries, BigInts, nested mutation.
func TestLazyBodyBehavesAsJSONParse(t *testing.T) {
	const body = `{"b":1,"a":[1,{"c":null}],"1":"one","0":"zero","dup":1,"dup":2,"big":12345678901234567890,` +
		`"nested":{"x":{"y":[true,false,"s"]}},"__proto__":{"p":1}}`
	const code = `function transform(e) {
  const b = e.body;
  const r = {};
  r.same = b.nested === b.nested && b.a === b.a && b.a[1] === b.a[1];
  r.isArray = Array.isArray(b.a) && !Array.isArray(b.nested);
  r.keys = Object.keys(b);
  r.has = ["b" in b, "zz" in b, b.hasOwnProperty("dup")];
  r.dup = b.dup;
  r.big = typeof b.big + ":" + String(b.big);
  b.a.push(3);
  r.len = b.a.length;
  r.mapped = b.a.map(x => typeof x);
  delete b.b;
  b.b = "again";
  b.nested.x.y[5] = 1;
  r.spread = Object.keys({...b.nested.x});
  r.entries = Object.entries(b.nested.x).length;
  r.proto = Object.getPrototypeOf(b) === Object.prototype && b.__proto__.p === 1 && ({}).p === undefined;
  r.json = JSON.stringify(b);
  return r;
}`
	var outs []string
	for _, mode := range []string{"lazy", "eager", "jsonparse"} {
		tr := newT(t, code, nil)
		tr.SetEagerDecode(mode == "eager")
		tr.SetDecodeInJS(mode == "jsonparse")
		out, err := tr.Transform(context.Background(), jsonMsg(body))
		if err != nil || len(out) != 1 {
			t.Fatalf("%s: %v %v", mode, out, err)
		}
		outs = append(outs, string(out[0].Body))
	}
	// JSON.parse rounds the big integer (a number, not a BigInt): compare
	// the Go decodings with each other, and the rest with JSON.parse.
	if outs[0] != outs[1] {
		t.Fatalf("lazy and eager differ:\n lazy  %s\n eager %s", outs[0], outs[1])
	}
	t.Log(outs[0])
	const want = `{"same":true,"isArray":true,"keys":["0","1","b","a","dup","big","nested","__proto__"],"has":[true,false,true],` +
		`"dup":2,"big":"bigint:12345678901234567890","len":3,"mapped":["number","object","number"],` +
		`"spread":["y"],"entries":1,"proto":true,` +
		`"json":"{\"0\":\"zero\",\"1\":\"one\",\"a\":[1,{\"c\":null},3],\"dup\":2,\"big\":12345678901234567890,` +
		`\"nested\":{\"x\":{\"y\":[true,false,\"s\",null,null,1]}},\"__proto__\":{\"p\":1},\"b\":\"again\"}"}`
	if outs[0] != want {
		t.Fatalf("lazy body:\n got  %s\n want %s", outs[0], want)
	}
}

// TestLazyBodyKeptAcrossCallsStaysReadable: each call parses with its own
// parser, so a body a script keeps in a global still reads right when a
// later call (with another body) looks at it.
func TestLazyBodyKeptAcrossCallsStaysReadable(t *testing.T) {
	tr := newT(t, `let kept; function transform(e) { const prev = kept; kept = e.body; return prev ? prev.deep.list : null; }`, map[string]any{"pool_size": 1})
	if _, err := tr.Transform(context.Background(), jsonMsg(`{"deep":{"list":["first","body"]}}`)); err != nil {
		t.Fatal(err)
	}
	out, err := tr.Transform(context.Background(), jsonMsg(`{"deep":{"list":["second","xxxxxxxxxxxxxxxxxxxxxxx"]}}`))
	if err != nil || len(out) != 1 {
		t.Fatalf("%v %v", out, err)
	}
	if got := string(out[0].Body); got != `["first","body"]` {
		t.Fatalf("the kept body reads %s", got)
	}
}
