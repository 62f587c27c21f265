package config

import (
	"fmt"
	"slices"
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
	if c != nil {
		diags = append(diags, unknownEventTypes(src.Events, c.Def.EventTypes, c.Type, rs.Events, ectx)...)
	}
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

// unknownEventTypes warns about each pattern that matches no event type
// the source says it can name (sdk.Definition.EventTypes; nothing is
// checked when it says nothing). It is a warning: a provider may add
// types before the list knows them.
func unknownEventTypes(patterns, known []string, typ string, expr hcl.Expression, ectx *hcl.EvalContext) hcl.Diagnostics {
	if len(known) == 0 || len(patterns) == 0 {
		return nil
	}
	// Point at the pattern itself when the list is written out.
	at := map[string]hcl.Range{}
	if elems, d := hcl.ExprList(expr); !d.HasErrors() {
		for _, e := range elems {
			if v, d := e.Value(ectx); !d.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
				if _, dup := at[v.AsString()]; !dup {
					at[v.AsString()] = e.Range()
				}
			}
		}
	}
	var diags hcl.Diagnostics
	for _, pat := range patterns {
		if slices.ContainsFunc(known, func(k string) bool { return glob.Overlap(pat, k) }) {
			continue
		}
		r, ok := at[pat]
		if !ok {
			r = expr.Range()
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Event pattern matches no known event type",
			Detail:   fmt.Sprintf("No event type the %s source knows matches %q, so this pattern may never accept an event. Check the spelling; the nearest known type is %q. (A type the provider added recently may be missing from hookferry's list: then ignore this warning.)", typ, pat, nearest(pat, known)),
			Subject:  r.Ptr(),
		})
	}
	return diags
}

// nearest is the known pattern closest to pat in edit distance, to
// suggest a spelling.
func nearest(pat string, known []string) string {
	best, bestD := "", -1
	for _, k := range known {
		if d := editDistance(pat, k); bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
