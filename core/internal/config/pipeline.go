package config

import (
	"fmt"
	"path/filepath"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// Pipeline is one source, its transforms and its sinks.
type Pipeline struct {
	Name       string
	Source     *Source
	Transforms []*Component
	Sinks      []*Sink
	DefRange   hcl.Range
}

type rawPipeline struct {
	Sources    []*rawSource    `hcl:"source,block"`
	Transforms []*rawComponent `hcl:"transform,block"`
	Sinks      []*rawSink      `hcl:"sink,block"`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// pipelines decodes every pipeline block, in file order.
func (l *loader) pipelines() hcl.Diagnostics {
	var diags hcl.Diagnostics
	l.pipelineNames = map[string]*Pipeline{}
	l.paths = map[string]*Source{}
	l.parsed.blocks(blockPipeline, func(pf *parsedFile, b *hcl.Block) {
		var rp rawPipeline
		diags = append(diags, gohcl.DecodeBody(b.Body, nil, &rp)...)
		diags = append(diags, l.pipeline(pf, b.Labels[0], b.DefRange, &rp)...)
	})
	return diags
}

func (l *loader) pipeline(pf *parsedFile, name string, def hcl.Range, rp *rawPipeline) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if !nameRE.MatchString(name) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid pipeline name",
			Detail:   fmt.Sprintf("%q: a pipeline name is 1-64 letters, digits, '-' or '_', starting with a letter or digit.", name),
			Subject:  def.Ptr(),
		})
	}
	if prev, dup := l.pipelineNames[name]; dup {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate pipeline name",
			Detail:   fmt.Sprintf("A pipeline named %q is already declared at %s.", name, prev.DefRange),
			Subject:  def.Ptr(),
		})
		return diags
	}
	p := &Pipeline{Name: name, DefRange: def}
	l.pipelineNames[name] = p
	l.cfg.Pipelines = append(l.cfg.Pipelines, p)
	base := filepath.Dir(pf.name)

	switch len(rp.Sources) {
	case 0:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing source",
			Detail:   fmt.Sprintf("Pipeline %q needs exactly one source block.", name),
			Subject:  def.Ptr(),
		})
	default:
		for _, extra := range rp.Sources[1:] {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate source",
				Detail:   fmt.Sprintf("Pipeline %q has more than one source block; it takes exactly one.", name),
				Subject:  extra.DefRange.Ptr(),
			})
		}
		diags = append(diags, l.source(p, base, rp.Sources[0], pf.ectx)...)
	}
	for i, rt := range rp.Transforms {
		c, d := l.transform(rt, fmt.Sprintf("%s#%d", rt.Type, i+1), p.Name, base, pf.ectx)
		diags = append(diags, d...)
		if c != nil {
			p.Transforms = append(p.Transforms, c)
		}
	}
	if len(rp.Sinks) == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing sink",
			Detail:   fmt.Sprintf("Pipeline %q needs at least one sink block.", name),
			Subject:  def.Ptr(),
		})
	}
	sinkNames := map[string]hcl.Range{}
	for _, rs := range rp.Sinks {
		if prev, dup := sinkNames[rs.Name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate sink name",
				Detail:   fmt.Sprintf("Pipeline %q already has a sink named %q at %s.", name, rs.Name, prev),
				Subject:  rs.DefRange.Ptr(),
			})
			continue
		}
		sinkNames[rs.Name] = rs.DefRange
		diags = append(diags, l.sink(p, base, rs, pf.ectx)...)
	}
	return diags
}
