package catalog

import (
	"context"
	"strings"
	"testing"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

func def(kind sdk.Kind, name string) sdk.Definition {
	return sdk.Definition{Kind: kind, Name: name, New: func(context.Context, sdk.Config) (sdk.Component, error) { return nil, nil }}
}

func TestRegistry(t *testing.T) {
	r, err := NewRegistry(def(sdk.KindSink, "b"), def(sdk.KindSink, "a"), def(sdk.KindSource, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Lookup(sdk.KindSink, "a"); !ok {
		t.Fatal("sink a missing")
	}
	if _, ok := r.Lookup(sdk.KindTransform, "a"); ok {
		t.Fatal("kinds are separate namespaces")
	}
	if got := strings.Join(r.Names(sdk.KindSink), ","); got != "a,b" {
		t.Fatalf("names %s", got)
	}
	if all := r.All(); len(all) != 3 || all[0].Kind != sdk.KindSource {
		t.Fatalf("all %v", all)
	}
}

func TestRegistryRefusesMistakes(t *testing.T) {
	bad := def(sdk.KindSink, "x")
	bad.Schema = schema.Block{Attributes: []schema.Attribute{{Name: "a", Type: schema.String}, {Name: "a", Type: schema.String}}}
	tests := []struct {
		defs []sdk.Definition
		want string
	}{
		{[]sdk.Definition{def(sdk.KindSink, "x"), def(sdk.KindSink, "x")}, "defined twice"},
		{[]sdk.Definition{def(sdk.KindSink, "")}, "empty name"},
		{[]sdk.Definition{{Kind: sdk.KindSink, Name: "n"}}, "nil constructor"},
		{[]sdk.Definition{def(0, "n")}, "invalid kind"},
		{[]sdk.Definition{bad}, "duplicate name"},
	}
	for _, tt := range tests {
		if _, err := NewRegistry(tt.defs...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want %q", err, tt.want)
		}
	}
}
