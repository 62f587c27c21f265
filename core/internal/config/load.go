package config

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// Parsed is a configuration read from disk and parsed, each file once. The
// top level of every file is split into its blocks by kind; the decoder of
// each kind (server.go, queue.go, egress.go, admin.go, telemetry.go,
// plugin.go, pipeline.go) evaluates its own blocks. Nothing is evaluated by Parse, so
// a caller that needs one kind (the plugins, the admin address) reads only
// that kind and needs no other block's secrets.
type Parsed struct {
	lookupEnv func(string) (string, bool)
	files     map[string]*hcl.File
	parsed    []*parsedFile
	// structure holds the top-level problems (unknown blocks, missing
	// labels); Load reports them.
	structure hcl.Diagnostics

	plugins     []PluginDecl
	pluginDiags hcl.Diagnostics
	pluginsDone bool
}

// parsedFile is one file's top-level blocks and its evaluation context
// (file() resolves against the file's folder).
type parsedFile struct {
	name   string
	ectx   *hcl.EvalContext
	blocks hcl.Blocks
}

// Top-level block kinds.
const (
	blockServer    = "server"
	blockQueue     = "queue"
	blockEgress    = "egress"
	blockAdmin     = "admin"
	blockTelemetry = "telemetry"
	blockPlugin    = "plugin"
	blockPipeline  = "pipeline"
)

var topSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: blockServer},
	{Type: blockQueue},
	{Type: blockEgress},
	{Type: blockAdmin},
	{Type: blockTelemetry},
	{Type: blockPlugin, LabelNames: []string{"name"}},
	{Type: blockPipeline, LabelNames: []string{"name"}},
}}

// Parse reads the config at path (a .hcl file, or a folder whose *.hcl
// files are read in name order) and parses every file once. The
// diagnostics are read and syntax errors; a file with a syntax error is
// kept for rendering but not decoded. The result is never nil.
func Parse(path string, lookupEnv func(string) (string, bool)) (*Parsed, hcl.Diagnostics) {
	p := &Parsed{lookupEnv: lookupEnv, files: map[string]*hcl.File{}}
	names, diags := configFiles(path)
	if diags.HasErrors() {
		return p, diags
	}
	parser := hclparse.NewParser()
	for _, name := range names {
		f, d := parser.ParseHCLFile(name)
		diags = append(diags, d...)
		if f == nil {
			continue
		}
		p.files[name] = f
		if d.HasErrors() {
			continue
		}
		content, d := f.Body.Content(topSchema)
		p.structure = append(p.structure, d...)
		p.parsed = append(p.parsed, &parsedFile{
			name:   name,
			ectx:   evalContext(filepath.Dir(name), lookupEnv),
			blocks: content.Blocks,
		})
	}
	return p, diags
}

// Files are the parsed files, for rendering diagnostics with snippets.
func (p *Parsed) Files() map[string]*hcl.File { return p.files }

// blocks calls f for every top-level block of kind typ, in file order.
func (p *Parsed) blocks(typ string, f func(pf *parsedFile, b *hcl.Block)) {
	for _, pf := range p.parsed {
		for _, b := range pf.blocks {
			if b.Type == typ {
				f(pf, b)
			}
		}
	}
}

// Load reads, parses and decodes the config at path completely; it returns
// every problem found. The returned Config is never nil, so its Files can
// render the diagnostics even when loading failed.
func Load(path string, opts Options) (*Config, hcl.Diagnostics) {
	p, diags := Parse(path, opts.LookupEnv)
	if diags.HasErrors() {
		return &Config{Files: p.files}, diags
	}
	cfg, d := p.Load(opts)
	return cfg, append(diags, d...)
}

// Load decodes the parsed configuration completely: every block kind, then
// each component body against its definition's schema. It reports every
// problem of the configuration (the plugin blocks' too), sorted by
// position. opts.LookupEnv is not used: a Parsed keeps the one given to
// Parse.
func (p *Parsed) Load(opts Options) (*Config, hcl.Diagnostics) {
	cfg := &Config{Files: p.files}
	l := &loader{opts: opts, cfg: cfg, parsed: p, secrets: secretLines{}}
	decls, diags := p.Plugins()
	cfg.Plugins = decls
	diags = append(diags, p.structure...)
	diags = append(diags, l.servers()...)
	diags = append(diags, l.queues()...)
	diags = append(diags, l.egresses()...)
	diags = append(diags, l.admins()...)
	diags = append(diags, l.telemetries()...)
	diags = append(diags, l.pipelines()...)
	diags = append(diags, l.finish(diags.HasErrors())...)
	cfg.secrets = l.secrets
	cfg.secrets.mark(diags)
	SortDiagnostics(diags)
	return cfg, diags
}

// SortDiagnostics orders diags by file and position, so they read top to
// bottom; diagnostics without a location come last.
func SortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a != nil && b == nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		default:
			return a.Start.Byte < b.Start.Byte
		}
	})
}

func configFiles(path string) ([]string, hcl.Diagnostics) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read configuration", Detail: err.Error()}}
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	matches, err := filepath.Glob(filepath.Join(path, "*.hcl"))
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read configuration", Detail: err.Error()}}
	}
	// Test files (hookferry test) sit beside the configs they test.
	matches = slices.DeleteFunc(matches, func(m string) bool { return strings.HasSuffix(m, ".test.hcl") })
	if len(matches) == 0 {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No configuration files", Detail: fmt.Sprintf("The folder %s has no *.hcl files.", path)}}
	}
	sort.Strings(matches)
	return matches, nil
}

// loader is the state of one Load: what each block kind's decoder needs
// from the others (first blocks for duplicate checks, names and paths
// taken, checks that wait for the whole configuration).
type loader struct {
	opts    Options
	cfg     *Config
	parsed  *Parsed
	secrets secretLines

	server, queue, egress, admin, telemetry *hcl.Block

	pipelineNames map[string]*Pipeline
	paths         map[string]*Source
	// sinkURLs are checked once every file is read: the egress block
	// that governs them may come later.
	sinkURLs []sinkURL
}

// single reports a second block of a kind that may appear once.
func single(first **hcl.Block, b *hcl.Block) hcl.Diagnostics {
	if *first != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Duplicate %s block", b.Type),
			Detail:   fmt.Sprintf("Only one %s block is allowed; the first is at %s.", b.Type, (*first).DefRange),
			Subject:  b.DefRange.Ptr(),
		}}
	}
	*first = b
	return nil
}

// finish applies the defaults and runs the checks that need the whole
// configuration. "No pipelines" is said only of a configuration without
// other errors: a pipeline with a syntax error is not missing.
func (l *loader) finish(broken bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	l.serverDefaults()
	l.queueDefaults()
	diags = append(diags, l.checkAdmin()...)
	diags = append(diags, l.checkSinkURLs()...)
	if len(l.cfg.Pipelines) == 0 && !broken {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No pipelines", Detail: "The configuration declares no pipeline block, so there is nothing to run."})
	}
	return diags
}

// EgressCheck reports why a sink may not connect to addr under the
// configuration's egress policy, or nil (delivery.Egress.Check in the
// binary). The loader uses it for sink URLs whose host is an address.
type EgressCheck func(addr netip.Addr, denyPrivate bool) error
