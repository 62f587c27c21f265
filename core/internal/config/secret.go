package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/hookferry/hookferry/sdk/schema"
)

// secretLines are, per file, the line spans of attributes that hold a
// secret (a component attribute its schema marks sensitive, admin.token).
// A diagnostic whose snippet would show one of those lines is rendered
// without its snippet: a secret written literally in the file must not be
// printed because something near it is wrong.
type secretLines map[string][]lineSpan

type lineSpan struct{ first, last int }

func (s secretLines) add(r hcl.Range) {
	s[r.Filename] = append(s[r.Filename], lineSpan{r.Start.Line, r.End.Line})
}

// addAttribute records the attribute name of body, if it is set.
func (s secretLines) addAttribute(body hcl.Body, name string) {
	if b, ok := body.(*hclsyntax.Body); ok {
		if a := b.Attributes[name]; a != nil {
			s.add(a.SrcRange)
		}
	}
}

// addSensitive records the attributes of body that blk marks sensitive,
// in nested blocks too.
func (s secretLines) addSensitive(body hcl.Body, blk schema.Block) {
	b, ok := body.(*hclsyntax.Body)
	if !ok {
		return
	}
	for _, a := range blk.Attributes {
		if a.Sensitive {
			s.addAttribute(b, a.Name)
		}
	}
	for _, nb := range blk.Blocks {
		for _, child := range b.Blocks {
			if child.Type == nb.Name {
				s.addSensitive(child.Body, nb.Block)
			}
		}
	}
}

// shows reports whether a snippet of the lines of r would show a secret.
func (s secretLines) shows(r hcl.Range) bool {
	for _, sp := range s[r.Filename] {
		if r.Start.Line <= sp.last && sp.first <= r.End.Line {
			return true
		}
	}
	return false
}

// mark flags the diagnostics whose snippet would show a secret line.
func (s secretLines) mark(diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Subject == nil {
			continue
		}
		r := *d.Subject
		if d.Context != nil {
			r = hcl.RangeOver(r, *d.Context)
		}
		if s.shows(r) {
			d.Extra = hiddenSnippet{wrapped: d.Extra}
		}
	}
}

// hiddenSnippet marks a diagnostic rendered without its source snippet.
type hiddenSnippet struct{ wrapped any }

// UnwrapDiagnosticExtra lets hcl.DiagnosticExtra see what was there.
func (h hiddenSnippet) UnwrapDiagnosticExtra() any { return h.wrapped }

// snippetHidden reports whether d must be shown without its snippet.
func snippetHidden(d *hcl.Diagnostic) bool {
	_, ok := hcl.DiagnosticExtra[hiddenSnippet](d)
	return ok
}
