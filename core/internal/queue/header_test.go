package queue

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/hookferry/hookferry/sdk"
)

// decodeHeader reads what encoding/json reads from any valid JSON (the
// stored form is always json.Marshal's). On invalid JSON, which only a
// damaged store could hold, it must not panic; fastjson is more lenient
// there (it takes an escape such as \0), so there is no answer to match.
func FuzzDecodeHeaderMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"content-type":["application/json"],"x-github-event":["push"]}`,
		`{"a":["1","2"],"b":[],"c":null}`,
		`{"\u00e9t\u00e9":["caf\u00e9 \"quoted\" \\ slash"],"emoji":["🦀"]}`,
		`{"dup":["1"],"dup":["2"]}`,
		`{}`, `null`, `[]`, `{"a":"not an array"}`, `{"a":[1]}`, `{"a":[null]}`, `garbage`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			_ = decodeHeader(s)
			return
		}
		var want sdk.Header
		wantErr := json.Unmarshal([]byte(s), &want)
		got := decodeHeader(s)
		if wantErr != nil {
			// encoding/json may have filled part of the map before
			// failing; decodeHeader then answers as it does.
			var partial sdk.Header
			_ = json.Unmarshal([]byte(s), &partial)
			want = partial
		}
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("%q: decodeHeader %#v, encoding/json %#v", s, got, want)
		}
	})
}

func BenchmarkDecodeHeader(b *testing.B) {
	h := sdk.Header{"content-type": {"application/json"}, "user-agent": {"GitHub-Hookshot/abc"},
		"x-github-event": {"push"}, "x-github-delivery": {"72d3162e-cc78-11e3-81ab-4c9367dc0958"},
		"x-hub-signature-256": {"sha256=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}
	raw, _ := json.Marshal(h)
	s := string(raw)
	b.Run("fastjson", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = decodeHeader(s)
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var h sdk.Header
			_ = json.Unmarshal([]byte(s), &h)
		}
	})
}
