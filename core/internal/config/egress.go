package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
)

// Egress limits where sinks may send. Cloud metadata addresses are always
// refused.
type Egress struct {
	DenyPrivate bool
}

type rawEgress struct {
	DenyPrivate hcl.Expression `hcl:"deny_private,optional"`
}

// egresses decodes the egress block (at most one in the whole config).
func (l *loader) egresses() hcl.Diagnostics {
	var diags hcl.Diagnostics
	l.parsed.blocks(blockEgress, func(pf *parsedFile, b *hcl.Block) {
		if d := single(&l.egress, b); d != nil {
			diags = append(diags, d...)
			return
		}
		var eg rawEgress
		diags = append(diags, gohcl.DecodeBody(b.Body, nil, &eg)...)
		if v, ok := eval(eg.DenyPrivate, pf.ectx, cty.Bool, &diags); ok {
			l.cfg.Egress.DenyPrivate = v.True()
		}
	})
	return diags
}
