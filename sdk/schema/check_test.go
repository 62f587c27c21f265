package schema

import (
	"encoding/json"
	"strings"
	"testing"
)

type secretLike struct{ v string }

func (s *secretLike) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &s.v) }

func TestCheckStruct(t *testing.T) {
	block := Block{
		Attributes: []Attribute{
			{Name: "url", Type: String},
			{Name: "retries", Type: Number},
			{Name: "headers", Type: Map(String)},
			{Name: "tags", Type: List(String)},
		},
		Blocks: []NestedBlock{{Name: "signing", Block: Block{Attributes: []Attribute{{Name: "secret", Type: String}}}}},
	}
	type signing struct {
		Secret secretLike `json:"secret"`
	}
	type good struct {
		URL     secretLike        `json:"url"`
		Retries int               `json:"retries"`
		Headers map[string]string `json:"headers"`
		Tags    []string          `json:"tags"`
		Signing *signing          `json:"signing"`
		hidden  int               // unexported: never decoded, never checked
		Skipped string            `json:"-"`
	}
	if err := block.CheckStruct(&good{}); err != nil {
		t.Fatalf("matching struct: %v", err)
	}

	tests := []struct {
		name string
		v    any
		want []string
	}{
		{"renamed tag", &struct {
			URL     string            `json:"endpoint"`
			Retries int               `json:"retries"`
			Headers map[string]string `json:"headers"`
			Tags    []string          `json:"tags"`
			Signing *signing          `json:"signing"`
		}{}, []string{`attribute "url" has no field`, `field URL (json "endpoint") is not in the schema`}},
		{"wrong type", &struct {
			URL     string         `json:"url"`
			Retries string         `json:"retries"`
			Headers map[string]int `json:"headers"`
			Tags    []string       `json:"tags"`
			Signing *signing       `json:"signing"`
		}{}, []string{`attribute "retries" of type number`, `attribute "headers" of type map(string)`}},
		{"nested drift", &struct {
			URL     string            `json:"url"`
			Retries float64           `json:"retries"`
			Headers map[string]string `json:"headers"`
			Tags    []string          `json:"tags"`
			Signing *struct {
				Key string `json:"key"`
			} `json:"signing"`
		}{}, []string{`attribute "signing.secret" has no field`, `json "signing.key"`}},
		{"missing block", &struct {
			URL     string            `json:"url"`
			Retries float64           `json:"retries"`
			Headers map[string]string `json:"headers"`
			Tags    []string          `json:"tags"`
		}{}, []string{`block "signing" has no field`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := block.CheckStruct(tt.v)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if err := block.CheckStruct(42); err == nil {
		t.Error("a non-struct target is accepted")
	}
}

// TestCheckStructEmbedded: embedded structs are flattened, as
// encoding/json does.
func TestCheckStructEmbedded(t *testing.T) {
	type base struct {
		Secrets []string `json:"secrets"`
	}
	type full struct {
		base
		Tolerance string `json:"tolerance"`
	}
	b := Block{Attributes: []Attribute{{Name: "secrets", Type: List(String)}, {Name: "tolerance", Type: String}}}
	if err := b.CheckStruct(&full{}); err != nil {
		t.Fatal(err)
	}
	if err := b.CheckStruct(&base{}); err == nil || !strings.Contains(err.Error(), `"tolerance" has no field`) {
		t.Fatalf("err = %v", err)
	}
}
