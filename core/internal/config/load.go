package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/hookferry/hookferry/core/internal/glob"
	"github.com/hookferry/hookferry/sdk"
)

type rawFile struct {
	Servers   []*rawServer   `hcl:"server,block"`
	Queues    []*rawQueue    `hcl:"queue,block"`
	Egresses  []*rawEgress   `hcl:"egress,block"`
	Plugins   []*rawPlugin   `hcl:"plugin,block"`
	Pipelines []*rawPipeline `hcl:"pipeline,block"`
}

type rawQueue struct {
	Backend     hcl.Expression `hcl:"backend,optional"`
	URL         hcl.Expression `hcl:"url,optional"`
	Sync        hcl.Expression `hcl:"sync,optional"`
	DedupWindow hcl.Expression `hcl:"dedup_window,optional"`
	Retention   hcl.Expression `hcl:"retention,optional"`
	MaxStore    hcl.Expression `hcl:"max_store,optional"`
	AckWait     hcl.Expression `hcl:"ack_wait,optional"`
	GroupCommit hcl.Expression `hcl:"group_commit,optional"`
	DefRange    hcl.Range      `hcl:",def_range"`
}

type rawPlugin struct {
	Name     string         `hcl:"name,label"`
	Path     hcl.Expression `hcl:"path"`
	SHA256   hcl.Expression `hcl:"sha256,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawEgress struct {
	DenyPrivate hcl.Expression `hcl:"deny_private,optional"`
	DefRange    hcl.Range      `hcl:",def_range"`
}

type rawBreaker struct {
	Failures hcl.Expression `hcl:"failures,optional"`
	Cooldown hcl.Expression `hcl:"cooldown,optional"`
	Enabled  hcl.Expression `hcl:"enabled,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawServer struct {
	Listen          hcl.Expression `hcl:"listen,optional"`
	MaxBodySize     hcl.Expression `hcl:"max_body_size,optional"`
	MaxHeaderSize   hcl.Expression `hcl:"max_header_size,optional"`
	ReadTimeout     hcl.Expression `hcl:"read_timeout,optional"`
	WriteTimeout    hcl.Expression `hcl:"write_timeout,optional"`
	IdleTimeout     hcl.Expression `hcl:"idle_timeout,optional"`
	ShutdownTimeout hcl.Expression `hcl:"shutdown_timeout,optional"`
	MaxConcurrency  hcl.Expression `hcl:"max_concurrency,optional"`
	AdminListen     hcl.Expression `hcl:"admin_listen,optional"`
	DefRange        hcl.Range      `hcl:",def_range"`
}

type rawPipeline struct {
	Name       string          `hcl:"name,label"`
	Sources    []*rawSource    `hcl:"source,block"`
	Transforms []*rawComponent `hcl:"transform,block"`
	Sinks      []*rawSink      `hcl:"sink,block"`
	DefRange   hcl.Range       `hcl:",def_range"`
}

type rawComponent struct {
	Type      string    `hcl:"type,label"`
	Remain    hcl.Body  `hcl:",remain"`
	DefRange  hcl.Range `hcl:",def_range"`
	TypeRange hcl.Range `hcl:",type_range"`
}

type rawSource struct {
	Type      string         `hcl:"type,label"`
	Path      hcl.Expression `hcl:"path"`
	Events    hcl.Expression `hcl:"events,optional"`
	Remain    hcl.Body       `hcl:",remain"`
	DefRange  hcl.Range      `hcl:",def_range"`
	TypeRange hcl.Range      `hcl:",type_range"`
}

type rawSink struct {
	Type        string          `hcl:"type,label"`
	Name        string          `hcl:"name,label"`
	Transforms  []*rawComponent `hcl:"transform,block"`
	Retry       []*rawRetry     `hcl:"retry,block"`
	Breaker     []*rawBreaker   `hcl:"breaker,block"`
	Concurrency hcl.Expression  `hcl:"concurrency,optional"`
	RateLimit   hcl.Expression  `hcl:"rate_limit,optional"`
	Ordered     hcl.Expression  `hcl:"ordered,optional"`
	Remain      hcl.Body        `hcl:",remain"`
	DefRange    hcl.Range       `hcl:",def_range"`
	TypeRange   hcl.Range       `hcl:",type_range"`
}

type rawRetry struct {
	MaxAttempts hcl.Expression `hcl:"max_attempts,optional"`
	Initial     hcl.Expression `hcl:"initial,optional"`
	Max         hcl.Expression `hcl:"max,optional"`
	DefRange    hcl.Range      `hcl:",def_range"`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// Load reads the config at path (a .hcl file, or a folder whose *.hcl
// files are read in name order) and decodes it completely. It returns every
// problem found. The returned Config is never nil, so its Files can render
// the diagnostics even when loading failed.
func Load(path string, opts Options) (*Config, hcl.Diagnostics) {
	cfg := &Config{Files: map[string]*hcl.File{}}
	files, diags := configFiles(path)
	if diags.HasErrors() {
		return cfg, diags
	}
	parser := hclparse.NewParser()
	l := &loader{opts: opts, cfg: cfg}
	for _, name := range files {
		f, d := parser.ParseHCLFile(name)
		diags = append(diags, d...)
		if f == nil {
			continue
		}
		cfg.Files[name] = f
		if d.HasErrors() {
			continue
		}
		diags = append(diags, l.file(name, f)...)
	}
	if !diags.HasErrors() {
		diags = append(diags, l.finish()...)
	} else {
		l.finish()
	}
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

type loader struct {
	opts      Options
	cfg       *Config
	server    *rawServer
	queue     *rawQueue
	egress    *rawEgress
	pipelines map[string]*Pipeline
	paths     map[string]*Source
}

func (l *loader) file(name string, f *hcl.File) hcl.Diagnostics {
	var raw rawFile
	diags := gohcl.DecodeBody(f.Body, nil, &raw)
	ectx := evalContext(filepath.Dir(name), l.opts.LookupEnv)
	for _, s := range raw.Servers {
		if l.server != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate server block",
				Detail:   fmt.Sprintf("Only one server block is allowed; the first is at %s.", l.server.DefRange),
				Subject:  s.DefRange.Ptr(),
			})
			continue
		}
		l.server = s
		diags = append(diags, l.decodeServer(s, ectx)...)
	}
	for _, q := range raw.Queues {
		if l.queue != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate queue block",
				Detail:   fmt.Sprintf("Only one queue block is allowed; the first is at %s.", l.queue.DefRange),
				Subject:  q.DefRange.Ptr(),
			})
			continue
		}
		l.queue = q
		diags = append(diags, l.decodeQueue(q, ectx)...)
	}
	for _, eg := range raw.Egresses {
		if l.egress != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate egress block", Detail: fmt.Sprintf("Only one egress block is allowed; the first is at %s.", l.egress.DefRange), Subject: eg.DefRange.Ptr()})
			continue
		}
		l.egress = eg
		if v, ok := eval(eg.DenyPrivate, ectx, cty.Bool, &diags); ok {
			l.cfg.Egress.DenyPrivate = v.True()
		}
	}
	for _, rp := range raw.Pipelines {
		diags = append(diags, l.pipeline(name, rp, ectx)...)
	}
	return diags
}

func (l *loader) decodeQueue(q *rawQueue, ectx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	qc := &l.cfg.Queue
	evalString(q.Backend, ectx, &qc.Backend, &diags)
	evalString(q.URL, ectx, &qc.URL, &diags)
	evalString(q.Sync, ectx, &qc.Sync, &diags)
	evalDuration(q.DedupWindow, ectx, &qc.DedupWindow, &diags)
	evalDuration(q.Retention, ectx, &qc.Retention, &diags)
	evalSize(q.MaxStore, ectx, &qc.MaxStore, &diags)
	evalDuration(q.AckWait, ectx, &qc.AckWait, &diags)
	if v, ok := eval(q.GroupCommit, ectx, cty.Bool, &diags); ok {
		b := v.True()
		qc.groupCommitSet = &b
	}
	switch qc.Backend {
	case "", BackendJetStream, BackendMemory:
	default:
		r := q.Backend.Range()
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown queue backend", Detail: fmt.Sprintf("%q: use \"jetstream\" (durable, the default) or \"memory\" (lost on exit).", qc.Backend), Subject: &r})
	}
	switch qc.Sync {
	case "", SyncAlways, SyncInterval:
	default:
		r := q.Sync.Range()
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown sync mode", Detail: fmt.Sprintf("%q: use \"interval\" (the default) or \"always\".", qc.Sync), Subject: &r})
	}
	if qc.URL != "" && qc.Sync == SyncAlways {
		r := q.Sync.Range()
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "sync applies to the embedded server only", Detail: "With an external NATS url, set sync_interval: always in that server's configuration instead.", Subject: &r})
	}
	return diags
}

func (l *loader) decodeServer(s *rawServer, ectx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	srv := &l.cfg.Server
	evalString(s.Listen, ectx, &srv.Listen, &diags)
	evalSize(s.MaxBodySize, ectx, &srv.MaxBodySize, &diags)
	evalSize(s.MaxHeaderSize, ectx, &srv.MaxHeaderSize, &diags)
	evalDuration(s.ReadTimeout, ectx, &srv.ReadTimeout, &diags)
	evalDuration(s.WriteTimeout, ectx, &srv.WriteTimeout, &diags)
	evalDuration(s.IdleTimeout, ectx, &srv.IdleTimeout, &diags)
	evalDuration(s.ShutdownTimeout, ectx, &srv.ShutdownTimeout, &diags)
	evalInt(s.MaxConcurrency, ectx, &srv.MaxConcurrency, 1, &diags)
	evalString(s.AdminListen, ectx, &srv.AdminListen, &diags)
	return diags
}

func (l *loader) pipeline(file string, rp *rawPipeline, ectx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if l.pipelines == nil {
		l.pipelines = map[string]*Pipeline{}
		l.paths = map[string]*Source{}
	}
	if !nameRE.MatchString(rp.Name) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid pipeline name",
			Detail:   fmt.Sprintf("%q: a pipeline name is 1-64 letters, digits, '-' or '_', starting with a letter or digit.", rp.Name),
			Subject:  rp.DefRange.Ptr(),
		})
	}
	if prev, dup := l.pipelines[rp.Name]; dup {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate pipeline name",
			Detail:   fmt.Sprintf("A pipeline named %q is already declared at %s.", rp.Name, prev.DefRange),
			Subject:  rp.DefRange.Ptr(),
		})
		return diags
	}
	p := &Pipeline{Name: rp.Name, DefRange: rp.DefRange}
	l.pipelines[rp.Name] = p
	l.cfg.Pipelines = append(l.cfg.Pipelines, p)
	base := filepath.Dir(file)

	switch len(rp.Sources) {
	case 0:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing source",
			Detail:   fmt.Sprintf("Pipeline %q needs exactly one source block.", rp.Name),
			Subject:  rp.DefRange.Ptr(),
		})
	default:
		for _, extra := range rp.Sources[1:] {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate source",
				Detail:   fmt.Sprintf("Pipeline %q has more than one source block; it takes exactly one.", rp.Name),
				Subject:  extra.DefRange.Ptr(),
			})
		}
		diags = append(diags, l.source(p, base, rp.Sources[0], ectx)...)
	}
	for i, rt := range rp.Transforms {
		c, d := l.component(sdk.KindTransform, rt.Type, fmt.Sprintf("%s#%d", rt.Type, i+1), p.Name, base, rt.Remain, rt.DefRange, rt.TypeRange, ectx)
		diags = append(diags, d...)
		if c != nil {
			p.Transforms = append(p.Transforms, c)
		}
	}
	if len(rp.Sinks) == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing sink",
			Detail:   fmt.Sprintf("Pipeline %q needs at least one sink block.", rp.Name),
			Subject:  rp.DefRange.Ptr(),
		})
	}
	sinkNames := map[string]hcl.Range{}
	for _, rs := range rp.Sinks {
		if prev, dup := sinkNames[rs.Name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate sink name",
				Detail:   fmt.Sprintf("Pipeline %q already has a sink named %q at %s.", rp.Name, rs.Name, prev),
				Subject:  rs.DefRange.Ptr(),
			})
			continue
		}
		sinkNames[rs.Name] = rs.DefRange
		diags = append(diags, l.sink(p, base, rs, ectx)...)
	}
	return diags
}

func (l *loader) source(p *Pipeline, base string, rs *rawSource, ectx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	c, d := l.component(sdk.KindSource, rs.Type, rs.Type, p.Name, base, rs.Remain, rs.DefRange, rs.TypeRange, ectx)
	diags = append(diags, d...)
	src := &Source{PathRange: rs.Path.Range(), pipeline: p.Name}
	if c != nil {
		src.Component = *c
	}
	evalString(rs.Path, ectx, &src.Path, &diags)
	if v, ok := eval(rs.Events, ectx, cty.List(cty.String), &diags); ok {
		for _, e := range v.AsValueSlice() {
			pat := e.AsString()
			if glob.Valid(pat) != nil {
				r := rs.Events.Range()
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid event pattern", Detail: fmt.Sprintf("%q is not a pattern such as \"push\" or \"pull_request.*\".", pat), Subject: &r})
				continue
			}
			src.Events = append(src.Events, pat)
		}
		if len(src.Events) == 0 && !diags.HasErrors() {
			r := rs.Events.Range()
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty events list", Detail: "events = [] would ignore every event; remove it to accept all, or list the types to accept.", Subject: &r})
		}
	}
	switch {
	case src.Path == "" && !diags.HasErrors():
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

func (l *loader) sink(p *Pipeline, base string, rs *rawSink, ectx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if !nameRE.MatchString(rs.Name) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid sink name",
			Detail:   fmt.Sprintf("%q: a sink name is 1-64 letters, digits, '-' or '_', starting with a letter or digit.", rs.Name),
			Subject:  rs.DefRange.Ptr(),
		})
	}
	c, d := l.component(sdk.KindSink, rs.Type, rs.Name, p.Name, base, rs.Remain, rs.DefRange, rs.TypeRange, ectx)
	diags = append(diags, d...)
	s := &Sink{
		Name:        rs.Name,
		Concurrency: DefaultSinkConcurrency,
		Retry:       Retry{MaxAttempts: DefaultMaxAttempts, Initial: DefaultRetryInitial, Max: DefaultRetryMax},
		Breaker:     Breaker{Failures: DefaultBreakerFailures, Cooldown: DefaultBreakerCooldown},
	}
	evalInt(rs.Concurrency, ectx, &s.Concurrency, 1, &diags)
	if v, ok := eval(rs.RateLimit, ectx, cty.Number, &diags); ok {
		f, _ := v.AsBigFloat().Float64()
		if f <= 0 {
			r := rs.RateLimit.Range()
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid rate_limit", Detail: "rate_limit is requests per second and must be positive (0.5 is one every two seconds).", Subject: &r})
		}
		s.RateLimit = f
	}
	if v, ok := eval(rs.Ordered, ectx, cty.Bool, &diags); ok {
		s.Ordered = v.True()
	}
	for i, rb := range rs.Breaker {
		if i > 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate breaker block", Detail: "A sink takes at most one breaker block.", Subject: rb.DefRange.Ptr()})
			continue
		}
		if v, ok := eval(rb.Enabled, ectx, cty.Bool, &diags); ok && v.False() {
			s.Breaker.Failures = 0
			continue
		}
		evalInt(rb.Failures, ectx, &s.Breaker.Failures, 1, &diags)
		evalDuration(rb.Cooldown, ectx, &s.Breaker.Cooldown, &diags)
	}
	for i, rr := range rs.Retry {
		if i > 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate retry block", Detail: "A sink takes at most one retry block.", Subject: rr.DefRange.Ptr()})
			continue
		}
		evalInt(rr.MaxAttempts, ectx, &s.Retry.MaxAttempts, 1, &diags)
		evalDuration(rr.Initial, ectx, &s.Retry.Initial, &diags)
		evalDuration(rr.Max, ectx, &s.Retry.Max, &diags)
		if s.Retry.Max < s.Retry.Initial {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid retry block", Detail: "max must not be less than initial.", Subject: rr.DefRange.Ptr()})
		}
	}
	for i, rt := range rs.Transforms {
		tc, d := l.component(sdk.KindTransform, rt.Type, fmt.Sprintf("%s/%s#%d", rs.Name, rt.Type, i+1), p.Name, base, rt.Remain, rt.DefRange, rt.TypeRange, ectx)
		diags = append(diags, d...)
		if tc != nil {
			s.Transforms = append(s.Transforms, tc)
		}
	}
	if c != nil {
		s.Component = *c
		p.Sinks = append(p.Sinks, s)
	}
	return diags
}

// component runs the second decode phase for one block: find the type's
// definition, decode the remaining body against its schema.
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
	spec, err := specFor(d.Schema)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("Broken %s type %q", kind, typ), Detail: err.Error(), Subject: typeRange.Ptr()}}
	}
	val, diags := hcldec.Decode(body, spec, ectx)
	if diags.HasErrors() {
		return nil, diags
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

func (l *loader) finish() hcl.Diagnostics {
	srv := &l.cfg.Server
	setDefault(&srv.Listen, DefaultListen)
	setDefault(&srv.MaxBodySize, DefaultMaxBodySize)
	setDefault(&srv.MaxHeaderSize, DefaultMaxHeaderSize)
	setDefault(&srv.ReadTimeout, DefaultReadTimeout)
	setDefault(&srv.WriteTimeout, DefaultWriteTimeout)
	setDefault(&srv.IdleTimeout, DefaultIdleTimeout)
	setDefault(&srv.ShutdownTimeout, DefaultShutdownTimeout)
	setDefault(&srv.MaxConcurrency, DefaultMaxConcurrency)
	q := &l.cfg.Queue
	setDefault(&q.Backend, BackendJetStream)
	setDefault(&q.Sync, SyncInterval)
	setDefault(&q.DedupWindow, DefaultDedupWindow)
	setDefault(&q.Retention, DefaultRetention)
	setDefault(&q.AckWait, DefaultAckWait)
	// Group commit pays only when every write is fsynced: nats-server
	// stages each atomic batch in a store of its own, which costs more
	// than it saves when writes are not synced one by one.
	q.GroupCommit = q.Sync == SyncAlways
	if q.groupCommitSet != nil {
		q.GroupCommit = *q.groupCommitSet
	}
	if len(l.cfg.Pipelines) == 0 {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No pipelines", Detail: "The configuration declares no pipeline block, so there is nothing to run."}}
	}
	return nil
}

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

func evalString(expr hcl.Expression, ectx *hcl.EvalContext, dst *string, diags *hcl.Diagnostics) {
	if v, ok := eval(expr, ectx, cty.String, diags); ok {
		*dst = v.AsString()
	}
}

func evalInt(expr hcl.Expression, ectx *hcl.EvalContext, dst *int, minimum int, diags *hcl.Diagnostics) {
	v, ok := eval(expr, ectx, cty.Number, diags)
	if !ok {
		return
	}
	bf := v.AsBigFloat()
	n, acc := bf.Int64()
	r := expr.Range()
	if acc != 0 || !bf.IsInt() || n < int64(minimum) || n > 1<<31 {
		*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid number", Detail: fmt.Sprintf("A whole number of at least %d is required.", minimum), Subject: &r})
		return
	}
	*dst = int(n)
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

// AdminListen reads only server.admin_listen: CLI commands that talk to a
// running hookferry need nothing else, and must not require the
// pipelines' secrets in their environment.
func AdminListen(path string, lookupEnv func(string) (string, bool)) (string, *Config, hcl.Diagnostics) {
	var addr string
	cfg, diags := prepass(path, lookupEnv, func(_ string, body hcl.Body, ectx *hcl.EvalContext) hcl.Diagnostics {
		var raw struct {
			Servers []*rawServer `hcl:"server,block"`
			Remain  hcl.Body     `hcl:",remain"`
		}
		diags := gohcl.DecodeBody(body, nil, &raw)
		for _, s := range raw.Servers {
			evalString(s.AdminListen, ectx, &addr, &diags)
		}
		return diags
	})
	return addr, cfg, diags
}

// prepass parses every config file and hands f each body with its
// evaluation context: for readers that need one kind of block before (or
// instead of) the full load.
func prepass(path string, lookupEnv func(string) (string, bool), f func(name string, body hcl.Body, ectx *hcl.EvalContext) hcl.Diagnostics) (*Config, hcl.Diagnostics) {
	cfg := &Config{Files: map[string]*hcl.File{}}
	files, diags := configFiles(path)
	if diags.HasErrors() {
		return cfg, diags
	}
	parser := hclparse.NewParser()
	for _, name := range files {
		file, d := parser.ParseHCLFile(name)
		diags = append(diags, d...)
		if file == nil {
			continue
		}
		cfg.Files[name] = file
		if d.HasErrors() {
			continue
		}
		diags = append(diags, f(name, file.Body, evalContext(filepath.Dir(name), lookupEnv))...)
	}
	return cfg, diags
}

// PluginDecl is a plugin block: a binary to run, optionally pinned.
type PluginDecl struct {
	Name     string
	Path     string // resolved against the config file's folder
	SHA256   string
	DefRange hcl.Range
}

// Plugins reads only the plugin blocks, before anything else: their
// components must be known before component blocks are decoded.
func Plugins(path string, lookupEnv func(string) (string, bool)) ([]PluginDecl, *Config, hcl.Diagnostics) {
	var out []PluginDecl
	seen := map[string]hcl.Range{}
	cfg, diags := prepass(path, lookupEnv, func(name string, body hcl.Body, ectx *hcl.EvalContext) hcl.Diagnostics {
		var raw struct {
			Plugins []*rawPlugin `hcl:"plugin,block"`
			Remain  hcl.Body     `hcl:",remain"`
		}
		diags := gohcl.DecodeBody(body, nil, &raw)
		for _, rp := range raw.Plugins {
			if prev, dup := seen[rp.Name]; dup {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate plugin", Detail: fmt.Sprintf("Plugin %q is already declared at %s.", rp.Name, prev), Subject: rp.DefRange.Ptr()})
				continue
			}
			seen[rp.Name] = rp.DefRange
			decl := PluginDecl{Name: rp.Name, DefRange: rp.DefRange}
			evalString(rp.Path, ectx, &decl.Path, &diags)
			evalString(rp.SHA256, ectx, &decl.SHA256, &diags)
			if decl.Path != "" && !filepath.IsAbs(decl.Path) {
				decl.Path = filepath.Join(filepath.Dir(name), decl.Path)
			}
			out = append(out, decl)
		}
		return diags
	})
	return out, cfg, diags
}
