package config

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/hookferry/hookferry/sdk/schema"
)

// ctyType maps a schema type to a cty type.
func ctyType(t schema.Type) cty.Type {
	switch t.Kind() {
	case schema.KindString:
		return cty.String
	case schema.KindNumber:
		return cty.Number
	case schema.KindBool:
		return cty.Bool
	case schema.KindList:
		return cty.List(ctyType(t.Elem()))
	case schema.KindMap:
		return cty.Map(ctyType(t.Elem()))
	}
	return cty.DynamicPseudoType
}

// specFor builds the hcldec spec of a component's schema.
func specFor(b schema.Block) (hcldec.Spec, error) {
	spec := hcldec.ObjectSpec{}
	for _, a := range b.Attributes {
		ty := ctyType(a.Type)
		var s hcldec.Spec = &hcldec.AttrSpec{Name: a.Name, Type: ty, Required: a.Required}
		if a.Default != nil && !a.Required {
			def, err := defaultValue(a.Default, ty)
			if err != nil {
				return nil, fmt.Errorf("attribute %q: default: %w", a.Name, err)
			}
			s = &hcldec.DefaultSpec{Primary: s, Default: &hcldec.LiteralSpec{Value: def}}
		}
		spec[a.Name] = s
	}
	for _, nb := range b.Blocks {
		inner, err := specFor(nb.Block)
		if err != nil {
			return nil, fmt.Errorf("block %q: %w", nb.Name, err)
		}
		switch nb.Nesting {
		case schema.NestingList:
			spec[nb.Name] = &hcldec.BlockListSpec{TypeName: nb.Name, Nested: inner}
		default:
			spec[nb.Name] = &hcldec.BlockSpec{TypeName: nb.Name, Nested: inner, Required: nb.Required}
		}
	}
	return spec, nil
}

// defaultValue converts a plain Go default to cty through JSON, which is
// exactly the set of values a schema default may hold.
func defaultValue(v any, ty cty.Type) (cty.Value, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return cty.NilVal, err
	}
	if ty == cty.DynamicPseudoType {
		ity, err := ctyjson.ImpliedType(b)
		if err != nil {
			return cty.NilVal, err
		}
		ty = ity
	}
	return ctyjson.Unmarshal(b, ty)
}

// toJSON turns a decoded component body into the JSON a component reads.
// Marks (sensitive) are dropped here: past this point secrecy is the
// schema's Sensitive flag and sdk.Secret.
func toJSON(v cty.Value) (json.RawMessage, error) {
	v, _ = v.UnmarkDeep()
	return ctyjson.Marshal(v, v.Type())
}
