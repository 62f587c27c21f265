package config

import (
	"fmt"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// The evaluation helpers of host-level attributes, shared by every block
// kind: each reports its problem at the expression and leaves dst alone.

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// eval evaluates an optional expression to a known, non-null value of
// type ty; ok is false when it is absent or broken (diags say which).
func eval(expr hcl.Expression, ectx *hcl.EvalContext, ty cty.Type, diags *hcl.Diagnostics) (cty.Value, bool) {
	if expr == nil {
		return cty.NilVal, false
	}
	v, d := expr.Value(ectx)
	*diags = append(*diags, d...)
	if d.HasErrors() || v.IsNull() {
		return cty.NilVal, false
	}
	v, _ = v.UnmarkDeep()
	cv, err := convert.Convert(v, ty)
	if err != nil {
		r := expr.Range()
		*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Incorrect value type", Detail: fmt.Sprintf("Inappropriate value: %s.", err), Subject: &r})
		return cty.NilVal, false
	}
	if !cv.IsKnown() {
		return cty.NilVal, false
	}
	return cv, true
}

// evalString sets dst; ok is false when the expression is absent or
// broken.
func evalString(expr hcl.Expression, ectx *hcl.EvalContext, dst *string, diags *hcl.Diagnostics) bool {
	v, ok := eval(expr, ectx, cty.String, diags)
	if ok {
		*dst = v.AsString()
	}
	return ok
}

// evalInt sets dst to a whole number of at least minimum; ok is false
// when the expression is absent or wrong.
func evalInt(expr hcl.Expression, ectx *hcl.EvalContext, dst *int, minimum int, diags *hcl.Diagnostics) bool {
	v, ok := eval(expr, ectx, cty.Number, diags)
	if !ok {
		return false
	}
	bf := v.AsBigFloat()
	n, acc := bf.Int64()
	r := expr.Range()
	if acc != 0 || !bf.IsInt() || n < int64(minimum) || n > 1<<31 {
		*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid number", Detail: fmt.Sprintf("A whole number of at least %d is required.", minimum), Subject: &r})
		return false
	}
	*dst = int(n)
	return true
}

func evalDuration(expr hcl.Expression, ectx *hcl.EvalContext, dst *time.Duration, diags *hcl.Diagnostics) {
	var s string
	evalString(expr, ectx, &s, diags)
	if s == "" {
		return
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		r := expr.Range()
		*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid duration", Detail: fmt.Sprintf("%q is not a positive duration; write it like \"500ms\", \"10s\" or \"2m\".", s), Subject: &r})
		return
	}
	*dst = d
}

func evalSize(expr hcl.Expression, ectx *hcl.EvalContext, dst *int, diags *hcl.Diagnostics) {
	var s string
	evalString(expr, ectx, &s, diags)
	if s == "" {
		return
	}
	n, err := humanize.ParseBytes(s)
	if err != nil || n == 0 || n > 1<<30 {
		r := expr.Range()
		*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid size", Detail: fmt.Sprintf("%q is not a size between 1 byte and 1 GiB; write it like \"512KiB\" or \"5MiB\".", s), Subject: &r})
		return
	}
	*dst = int(n)
}
