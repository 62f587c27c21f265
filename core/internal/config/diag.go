package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/hookferry/hookferry/sdk"
)

// Diagnose turns an error from building comp into diagnostics located in
// the user's files: an sdk.Diagnostic naming an attribute points at that
// attribute, one naming a line inside the attribute's value (an inline
// script) or inside a file (a script file) points there.
func (c *Config) Diagnose(comp *Component, err error) hcl.Diagnostics {
	var sds sdk.Diagnostics
	if !errors.As(err, &sds) {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Invalid %s %q", comp.Kind, comp.Type),
			Detail:   err.Error(),
			Subject:  comp.DefRange.Ptr(),
		}}
	}
	var out hcl.Diagnostics
	for _, d := range sds {
		hd := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: d.Summary, Detail: d.Detail}
		if d.Severity == sdk.SeverityWarning {
			hd.Severity = hcl.DiagWarning
		}
		attr := findAttribute(comp.body, d.Attribute)
		switch {
		case d.File != "" && d.Line > 0:
			hd.Subject = c.pointInFile(d.File, d.Line, d.Column)
		case attr != nil && d.Line > 0:
			hd.Subject = c.pointInValue(attr.Expr.Range(), d.Line, d.Column)
		case attr != nil:
			hd.Subject = attr.SrcRange.Ptr()
		}
		if hd.Subject == nil {
			hd.Subject = comp.DefRange.Ptr()
		}
		out = append(out, hd)
	}
	c.secrets.mark(out)
	return out
}

// findAttribute follows a dotted path ("signing.secret") through nested
// blocks to an attribute of a native-syntax body.
func findAttribute(body hcl.Body, path string) *hclsyntax.Attribute {
	b, ok := body.(*hclsyntax.Body)
	if !ok || path == "" {
		return nil
	}
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		var next *hclsyntax.Body
		for _, blk := range b.Blocks {
			if blk.Type == p {
				next = blk.Body
				break
			}
		}
		if next == nil {
			return nil
		}
		b = next
	}
	return b.Attributes[parts[len(parts)-1]]
}

// pointInFile locates line:col of a file a component read (a script),
// loading it so the snippet can be shown.
func (c *Config) pointInFile(name string, line, col int) *hcl.Range {
	f, ok := c.Files[name]
	if !ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return &hcl.Range{Filename: name, Start: hcl.Pos{Line: line, Column: col}, End: hcl.Pos{Line: line, Column: col}}
		}
		f = &hcl.File{Bytes: b}
		c.Files[name] = f
	}
	return point(name, f.Bytes, line, col)
}

// pointInValue maps line:col of a string value (line 1 is its first line)
// to the config file: a heredoc's first line is the one after its opener,
// and "<<-" strips the common indentation, which is added back.
func (c *Config) pointInValue(expr hcl.Range, line, col int) *hcl.Range {
	f, ok := c.Files[expr.Filename]
	if !ok {
		return expr.Ptr()
	}
	src := f.Bytes
	rest := src[expr.Start.Byte:]
	switch {
	case bytes.HasPrefix(rest, []byte("<<")):
		fileLine := expr.Start.Line + line
		if bytes.HasPrefix(rest, []byte("<<-")) {
			col += minIndent(src, expr.Start.Line+1, expr.End.Line-1)
		}
		return point(expr.Filename, src, fileLine, col)
	case line == 1:
		// A quoted string: the value starts after the quote.
		return point(expr.Filename, src, expr.Start.Line, expr.Start.Column+col)
	default:
		return point(expr.Filename, src, expr.Start.Line+line-1, col)
	}
}

// minIndent is the smallest indentation of the non-blank lines first..last.
func minIndent(src []byte, first, last int) int {
	best := -1
	for i, l := range bytes.Split(src, []byte("\n")) {
		n := i + 1
		if n < first || n > last || len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		ind := len(l) - len(bytes.TrimLeft(l, " \t"))
		if best < 0 || ind < best {
			best = ind
		}
	}
	if best < 0 {
		return 0
	}
	return best
}

// point builds a one-character range at line:col (col counts characters).
func point(name string, src []byte, line, col int) *hcl.Range {
	if col < 1 {
		col = 1
	}
	off := 0
	for l := 1; l < line && off < len(src); l++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			off = len(src)
			break
		}
		off += i + 1
	}
	for c := 1; c < col && off < len(src) && src[off] != '\n'; c++ {
		_, size := utf8.DecodeRune(src[off:])
		off += size
	}
	end := off
	if end < len(src) && src[end] != '\n' {
		_, size := utf8.DecodeRune(src[end:])
		end += size
	}
	return &hcl.Range{
		Filename: name,
		Start:    hcl.Pos{Line: line, Column: col, Byte: off},
		End:      hcl.Pos{Line: line, Column: col + 1, Byte: end},
	}
}

// WriteDiagnostics renders diags for a person: a "file:line:col: error:"
// heading (what editors and terminals link), then hcl's own rendering with
// the source snippet and the detail.
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, width uint, color bool) error {
	tw := hcl.NewDiagnosticTextWriter(w, files, width, color)
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		var err error
		if d.Subject != nil {
			_, err = fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, sev, d.Summary)
		} else {
			_, err = fmt.Fprintf(w, "%s: %s\n", sev, d.Summary)
		}
		if err != nil {
			return err
		}
		if snippetHidden(d) {
			err = writeWithoutSnippet(w, d, width, color)
		} else {
			err = tw.WriteDiagnostic(d)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// secretNotShown replaces the snippet of a line that holds a secret.
const secretNotShown = "  (the line is not shown: it holds a secret)"

// writeWithoutSnippet renders d like hcl does, with the location but
// without the source lines.
func writeWithoutSnippet(w io.Writer, d *hcl.Diagnostic, width uint, color bool) error {
	var buf bytes.Buffer
	if err := hcl.NewDiagnosticTextWriter(&buf, nil, width, color).WriteDiagnostic(d); err != nil {
		return err
	}
	out := strings.Replace(buf.String(), "  (source code not available)", secretNotShown, 1)
	_, err := io.WriteString(w, out)
	return err
}

// JSONDiagnostic is one diagnostic as `validate --json` prints it. It
// carries no source snippet, so nothing from the file's text (a literal
// secret) reaches it; the detail is the same text a person reads.
type JSONDiagnostic struct {
	Severity  string `json:"severity"` // error or warning
	Summary   string `json:"summary"`
	Detail    string `json:"detail,omitempty"`
	File      string `json:"file,omitempty"`
	Line      int    `json:"line,omitempty"`
	Column    int    `json:"column,omitempty"`
	EndLine   int    `json:"end_line,omitempty"`
	EndColumn int    `json:"end_column,omitempty"`
}

// JSONDiagnostics converts diags for machine reading, in their order.
func JSONDiagnostics(diags hcl.Diagnostics) []JSONDiagnostic {
	out := make([]JSONDiagnostic, 0, len(diags))
	for _, d := range diags {
		jd := JSONDiagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
		}
		if r := d.Subject; r != nil {
			jd.File, jd.Line, jd.Column, jd.EndLine, jd.EndColumn = r.Filename, r.Start.Line, r.Start.Column, r.End.Line, r.End.Column
		}
		out = append(out, jd)
	}
	return out
}
