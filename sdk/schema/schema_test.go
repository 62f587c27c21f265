package schema

import (
	"strings"
	"testing"
)

func TestTypesAndPaths(t *testing.T) {
	if got := Map(List(String)).String(); got != "map(list(string))" {
		t.Fatalf("type %s", got)
	}
	b := Block{
		Attributes: []Attribute{{Name: "token", Type: String, Sensitive: true}, {Name: "n", Type: Number, Default: 3}},
		Blocks:     []NestedBlock{{Name: "signing", Block: Block{Attributes: []Attribute{{Name: "secret", Type: String, Sensitive: true}}}}},
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(b.SensitivePaths(), ","); got != "token,signing.secret" {
		t.Fatalf("sensitive %s", got)
	}
	doc := b.Doc()
	for _, want := range []string{"| `n` | number |  | `3` |", "| `signing.secret` | string |", "(sensitive)"} {
		if !strings.Contains(doc, want) {
			t.Errorf("doc lacks %q:\n%s", want, doc)
		}
	}
}

func TestValidateCatchesMistakes(t *testing.T) {
	tests := []Block{
		{Attributes: []Attribute{{Name: "", Type: String}}},
		{Attributes: []Attribute{{Name: "a"}}},
		{Attributes: []Attribute{{Name: "a", Type: String}}, Blocks: []NestedBlock{{Name: "a"}}},
		{Blocks: []NestedBlock{{Name: "b", Block: Block{Attributes: []Attribute{{Name: "x"}}}}}},
	}
	for i, b := range tests {
		if err := b.Validate(); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
}
