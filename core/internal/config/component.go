package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"

	"github.com/hookferry/hookferry/sdk"
)

// Component is one decoded component block.
type Component struct {
	Kind      sdk.Kind
	Type      string
	Def       sdk.Definition
	Config    sdk.Config
	DefRange  hcl.Range
	TypeRange hcl.Range
	body      hcl.Body
}

// component runs the second decode phase for one block: find the type's
// definition, decode the remaining body against its schema.
//
// An attribute or block the schema does not know is an error, but it does
// not stop the component being returned (and so built, and checked by its
// own rules) when every attribute the schema knows decoded: validate shows
// those problems in the same run.
func (l *loader) component(kind sdk.Kind, typ, name, pipeline, base string, body hcl.Body, def, typeRange hcl.Range, ectx *hcl.EvalContext) (*Component, hcl.Diagnostics) {
	d, ok := l.opts.Components.Lookup(kind, typ)
	if !ok {
		known := l.opts.Components.Names(kind)
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Unknown %s type", kind),
			Detail:   fmt.Sprintf("There is no %s type %q. Known %s types: %s.", kind, typ, kind, strings.Join(known, ", ")),
			Subject:  typeRange.Ptr(),
		}}
	}
	l.secrets.addSensitive(body, d.Schema)
	spec, err := specFor(d.Schema)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("Broken %s type %q", kind, typ), Detail: err.Error(), Subject: typeRange.Ptr()}}
	}
	val, diags := hcldec.Decode(body, spec, ectx)
	if diags.HasErrors() {
		pval, _, pdiags := hcldec.PartialDecode(body, spec, ectx)
		known, _ := pval.UnmarkDeep()
		if pdiags.HasErrors() || !known.IsWhollyKnown() {
			return nil, diags
		}
		val = pval
	}
	js, err := toJSON(val)
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot encode configuration", Detail: err.Error(), Subject: def.Ptr()})
	}
	return &Component{
		Kind: kind, Type: typ, Def: d,
		Config:   sdk.Config{Values: js, BaseDir: base, Pipeline: pipeline, Name: name},
		DefRange: def, TypeRange: typeRange, body: body,
	}, diags
}
