package testrun

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
)

// Suffix names test files: they sit beside the configs they test.
const Suffix = ".test.hcl"

// File is one parsed test file.
type File struct {
	Path string
	// Config is the configuration under test: a .hcl file or a folder,
	// resolved against the test file's folder. Empty means the folder's
	// own configuration files.
	Config string
	// Env gives env() its values: tests never read the real environment,
	// so they never need real credentials.
	Env   map[string]string
	Cases []*Case
	hcl   *hcl.File
}

// Case is one inbound request and what must come of it.
type Case struct {
	Name     string
	Pipeline string
	Request  Request
	Expect   Expect
	Sinks    map[string]*SinkExpect
	Asserts  []Assert
	Range    hcl.Range
}

// Request is the inbound request a case sends.
type Request struct {
	Method  string
	Path    string
	Headers map[string]string
	// Body is the raw body; BodyFile a path relative to the test file.
	Body     []byte
	BodyFile string
	// Sign asks the pipeline's source to sign the request the way its
	// provider does, with the configured secret.
	Sign bool
}

// Expect is what the source step must answer.
type Expect struct {
	// Status is the HTTP status the sender would get; 0 means "accepted"
	// (any 2xx with an event stored).
	Status int
	// Outcome: "accepted" (default), "filtered" (the events filter
	// ignored it), "rejected" (4xx/5xx, nothing stored), or "reply" (the
	// source answered a handshake itself).
	Outcome string
}

// SinkExpect is what one sink must render.
type SinkExpect struct {
	Name string
	// Messages is the number of outbound requests (0: dropped; >1: split);
	// -1 means unchecked.
	Messages int
	// Golden is a file holding the rendered requests, relative to the
	// test file; --update rewrites it.
	Golden string
	// Error, when set, is text the sink's render (or a transform) error
	// must contain: a case that expects a destination rule to refuse.
	Error string
	Range hcl.Range
}

// Assert is a condition over the case's results.
type Assert struct {
	Condition    hcl.Expression
	ErrorMessage string
	Range        hcl.Range
}

type fileSchema struct {
	Config string            `hcl:"config,optional"`
	Env    map[string]string `hcl:"env,optional"`
	Cases  []caseSchema      `hcl:"case,block"`
}

type caseSchema struct {
	Name     string         `hcl:"name,label"`
	Pipeline string         `hcl:"pipeline,optional"`
	Request  requestSchema  `hcl:"request,block"`
	Expect   *expectSchema  `hcl:"expect,block"`
	Sinks    []sinkSchema   `hcl:"sink,block"`
	Asserts  []assertSchema `hcl:"assert,block"`
}

type requestSchema struct {
	Method   string            `hcl:"method,optional"`
	Path     string            `hcl:"path,optional"`
	Headers  map[string]string `hcl:"headers,optional"`
	Body     hcl.Expression    `hcl:"body,optional"`
	BodyFile string            `hcl:"body_file,optional"`
	Sign     bool              `hcl:"sign,optional"`
}

type expectSchema struct {
	Status  int    `hcl:"status,optional"`
	Outcome string `hcl:"outcome,optional"`
}

type sinkSchema struct {
	Name     string         `hcl:"name,label"`
	Messages *int           `hcl:"messages,optional"`
	Golden   string         `hcl:"golden,optional"`
	Error    string         `hcl:"error,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
	Asserts  []assertSchema `hcl:"assert,block"`
}

type assertSchema struct {
	Condition    hcl.Expression `hcl:"condition"`
	ErrorMessage string         `hcl:"error_message"`
	DefRange     hcl.Range      `hcl:",def_range"`
}

// Parse reads one test file. Every problem comes back as a diagnostic
// with the file and line.
func Parse(parser *hclparse.Parser, path string) (*File, hcl.Diagnostics) {
	f, diags := parser.ParseHCLFile(path)
	if diags.HasErrors() {
		return nil, diags
	}
	var s fileSchema
	ctx := &hcl.EvalContext{Functions: functions()}
	if d := gohcl.DecodeBody(f.Body, ctx, &s); d.HasErrors() {
		return nil, append(diags, d...)
	}
	out := &File{Path: path, Config: s.Config, Env: s.Env, hcl: f}
	names := map[string]bool{}
	for i, c := range s.Cases {
		if names[c.Name] {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate case", Detail: fmt.Sprintf("Two cases are named %q.", c.Name), Subject: caseRange(f, i).Ptr()})
		}
		names[c.Name] = true
		tc := &Case{Name: c.Name, Pipeline: c.Pipeline, Sinks: map[string]*SinkExpect{}, Range: caseRange(f, i)}
		r := c.Request
		tc.Request = Request{Method: r.Method, Path: r.Path, Headers: r.Headers, BodyFile: r.BodyFile, Sign: r.Sign}
		if tc.Request.Method == "" {
			tc.Request.Method = "POST"
		}
		if r.Body != nil {
			v, d := r.Body.Value(ctx)
			diags = append(diags, d...)
			if !d.HasErrors() && !v.IsNull() {
				if v.Type() != cty.String {
					diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Body must be a string", Detail: "Give body a string; for JSON use jsonencode({...}) or a heredoc.", Subject: r.Body.Range().Ptr()})
				} else {
					tc.Request.Body = []byte(v.AsString())
				}
			}
		}
		if tc.Request.Body != nil && tc.Request.BodyFile != "" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Two bodies", Detail: "Set body or body_file, not both.", Subject: r.Body.Range().Ptr()})
		}
		if e := c.Expect; e != nil {
			tc.Expect = Expect{Status: e.Status, Outcome: e.Outcome}
		}
		switch tc.Expect.Outcome {
		case "":
			tc.Expect.Outcome = "accepted"
			if tc.Expect.Status >= 300 {
				tc.Expect.Outcome = "rejected"
			}
		case "accepted", "filtered", "rejected", "reply":
		default:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown outcome", Detail: fmt.Sprintf("expect.outcome %q: use accepted, filtered, rejected or reply.", tc.Expect.Outcome), Subject: tc.Range.Ptr()})
		}
		for _, sk := range c.Sinks {
			if _, dup := tc.Sinks[sk.Name]; dup {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate sink expectation", Detail: fmt.Sprintf("Sink %q is named twice in case %q.", sk.Name, c.Name), Subject: sk.DefRange.Ptr()})
			}
			se := &SinkExpect{Name: sk.Name, Messages: -1, Golden: sk.Golden, Error: sk.Error, Range: sk.DefRange}
			if sk.Messages != nil {
				se.Messages = *sk.Messages
			}
			tc.Sinks[sk.Name] = se
			for _, a := range sk.Asserts {
				tc.Asserts = append(tc.Asserts, Assert{Condition: a.Condition, ErrorMessage: a.ErrorMessage, Range: a.DefRange})
			}
		}
		for _, a := range c.Asserts {
			tc.Asserts = append(tc.Asserts, Assert{Condition: a.Condition, ErrorMessage: a.ErrorMessage, Range: a.DefRange})
		}
		out.Cases = append(out.Cases, tc)
	}
	if len(out.Cases) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No cases", Detail: "A test file needs at least one case block.", Subject: &hcl.Range{Filename: path, Start: hcl.InitialPos, End: hcl.InitialPos}})
	}
	return out, diags
}

// caseRange finds the definition range of the i-th case block.
func caseRange(f *hcl.File, i int) hcl.Range {
	content, _, _ := f.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "case", LabelNames: []string{"name"}}}})
	if content != nil && i < len(content.Blocks) {
		return content.Blocks[i].DefRange
	}
	return hcl.Range{Filename: f.Body.MissingItemRange().Filename}
}

// Find expands paths (files or folders) into test files, recursively for
// folders, sorted.
func Find(paths []string) ([]string, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(path, Suffix) && !seen[path] {
				seen[path] = true
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}
