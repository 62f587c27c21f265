package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/hookferry/hookferry/core/internal/glob"
	"github.com/hookferry/hookferry/sdk"
)

// Source is the pipeline's source block: the component plus the
// host-level path it is mounted on.
type Source struct {
	Component
	Path      string
	PathRange hcl.Range
	// Events lists the event-type patterns to accept (package glob: `*`
	// any run of characters, `/` included, `?` one character: "push",
	// "pull_request.*", "orders/*"); empty accepts all.
	Events   []string
	pipeline string
}

type rawSource struct {
	Type      string         `hcl:"type,label"`
	Path      hcl.Expression `hcl:"path"`
	Events    hcl.Expression `hcl:"events,optional"`
	Remain    hcl.Body       `hcl:",remain"`
	DefRange  hcl.Range      `hcl:",def_range"`
	TypeRange hcl.Range      `hcl:",type_range"`
}

// source decodes a pipeline's source block: the host-level path and
// events, then the component's own attributes. Each check stands on its
// own, so a broken component body hides none of them.
func (l *loader) source(p *Pipeline, base string, rs *rawSource, ectx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	c, d := l.component(sdk.KindSource, rs.Type, rs.Type, p.Name, base, rs.Remain, rs.DefRange, rs.TypeRange, ectx)
	diags = append(diags, d...)
	src := &Source{PathRange: rs.Path.Range(), pipeline: p.Name}
	if c != nil {
		src.Component = *c
	}
	var pathDiags hcl.Diagnostics
	evalString(rs.Path, ectx, &src.Path, &pathDiags)
	diags = append(diags, pathDiags...)
	diags = append(diags, l.events(src, rs.Events, ectx)...)
	switch {
	case src.Path == "" && !pathDiags.HasErrors():
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing required argument",
			Detail:   `The argument "path" is required: the URL path this pipeline receives webhooks on, such as "/hooks/github".`,
			Subject:  src.PathRange.Ptr(),
		})
	case src.Path != "" && !strings.HasPrefix(src.Path, "/"):
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid path", Detail: fmt.Sprintf("%q must start with '/'.", src.Path), Subject: src.PathRange.Ptr()})
	case src.Path != "":
		if prev, dup := l.paths[src.Path]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate path",
				Detail:   fmt.Sprintf("Path %q is already used by pipeline %q at %s; each path routes to one pipeline.", src.Path, prev.pipeline, prev.PathRange),
				Subject:  src.PathRange.Ptr(),
			})
		} else {
			l.paths[src.Path] = src
		}
	}
	if c != nil {
		p.Source = src
	}
	return diags
}

// events decodes the source's events list: every pattern is checked, and
// an empty list (which would accept nothing) is refused.
func (l *loader) events(src *Source, expr hcl.Expression, ectx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	v, ok := eval(expr, ectx, cty.List(cty.String), &diags)
	if !ok {
		return diags
	}
	r := expr.Range()
	bad := false
	for _, e := range v.AsValueSlice() {
		pat := e.AsString()
		if glob.Valid(pat) != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid event pattern", Detail: fmt.Sprintf("%q is not a pattern such as \"push\" or \"pull_request.*\".", pat), Subject: &r})
			bad = true
			continue
		}
		src.Events = append(src.Events, pat)
	}
	if len(src.Events) == 0 && !bad {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty events list", Detail: "events = [] would ignore every event; remove it to accept all, or list the types to accept.", Subject: &r})
	}
	return diags
}
