package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/hookferry/hookferry/core/internal/config"
	"github.com/hookferry/hookferry/core/internal/pluginhost"
	"github.com/hookferry/hookferry/sdk"
	sdkplugin "github.com/hookferry/hookferry/sdk/plugin"
)

// Options say where components come from.
type Options struct {
	// Parsed is the configuration whose plugin blocks Open reads (parsed
	// once, shared with the config load).
	Parsed *config.Parsed
	// ConfigPath is read for its plugin blocks by List.
	ConfigPath string
	LookupEnv  func(string) (string, bool)
	// Components are the built-in types.
	Components []sdk.Definition
	// PluginDirs are searched for hookferry-plugin-NAME binaries.
	PluginDirs []string
	// Reattach names plugins started by hand to connect to.
	Reattach map[string]sdkplugin.Reattach
	Log      *slog.Logger
	// Previous is the running configuration's catalog, on a reload: its
	// plugins whose block and binary did not change are reused rather
	// than started again (reuse.go).
	Previous *Catalog
}

// Catalog resolves component types and builds components. It satisfies
// config.Lookup.
type Catalog struct {
	http *http.Client // host services: the egress-checked client components get
	ctx  context.Context
	log  *slog.Logger

	mu       sync.Mutex
	reg      *Registry
	found    map[string]pluginhost.Spec // on the plugin path, not started
	plugins  []*pluginhost.Plugin
	provider map[key]*pluginhost.Plugin
	diags    hcl.Diagnostics // from plugins started on demand
	built    []sdk.Component

	prev     *Catalog
	stamps   map[*pluginhost.Plugin]stamp // the binary each plugin was started from
	borrowed map[*pluginhost.Plugin]bool  // reused from prev: not this catalog's to stop
}

var _ config.Lookup = (*Catalog)(nil)

// Open makes the catalog of a configuration: the built-ins, the plugins
// its plugin blocks declare (started now) and those handed over for
// reattaching. Plugins on the plugin path are only noted; one starts when
// the configuration first asks for a type of its name. ctx bounds plugin
// starts, also later ones. A plugin that cannot start is an error at its
// block.
func Open(ctx context.Context, opts Options) (*Catalog, hcl.Diagnostics, map[string]*hcl.File) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Catalog{ctx: context.WithoutCancel(ctx), log: log, found: map[string]pluginhost.Spec{}, provider: map[key]*pluginhost.Plugin{},
		prev: opts.Previous, stamps: map[*pluginhost.Plugin]stamp{}, borrowed: map[*pluginhost.Plugin]bool{}}
	reg, err := NewRegistry(opts.Components...)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid component registry", Detail: err.Error()}}, nil
	}
	c.reg = reg
	decls, diags := opts.Parsed.Plugins()
	if diags.HasErrors() {
		return c, diags, opts.Parsed.Files()
	}
	diags = nil // the config load reports the plugin blocks' warnings with the rest
	found, err := pluginhost.Discover(opts.PluginDirs)
	if err != nil {
		return c, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read the plugin directory", Detail: err.Error()}), opts.Parsed.Files()
	}
	for _, f := range found {
		c.found[f.Name] = f
	}
	type want struct {
		spec pluginhost.Spec
		at   *hcl.Range
	}
	var wants []want
	for _, d := range decls {
		delete(c.found, d.Name) // a declaration wins over the plugin path
		wants = append(wants, want{pluginhost.Spec{Name: d.Name, Path: d.Path, SHA256: d.SHA256}, d.DefRange.Ptr()})
	}
	for name, r := range opts.Reattach {
		rc, err := r.Config()
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Cannot reattach plugin %q", name), Detail: err.Error()})
			continue
		}
		delete(c.found, name)
		replaced := false
		for i := range wants {
			if wants[i].spec.Name == name {
				wants[i].spec.Reattach, replaced = rc, true
			}
		}
		if !replaced {
			wants = append(wants, want{pluginhost.Spec{Name: name, Reattach: rc}, nil})
		}
	}
	for _, w := range wants {
		diags = append(diags, c.start(ctx, w.spec, w.at)...)
	}
	return c, diags, opts.Parsed.Files()
}

// start runs one plugin and adds its components. Call without c.mu.
func (c *Catalog) start(ctx context.Context, spec pluginhost.Spec, at *hcl.Range) hcl.Diagnostics {
	st := stampOf(spec)
	p, reused := c.prev.reusable(spec, st)
	if !reused {
		var err error
		p, err = pluginhost.Start(ctx, spec, c.log)
		if err != nil {
			return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("Plugin %q did not start", spec.Name), Detail: err.Error(), Subject: at}}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.plugins = append(c.plugins, p)
	c.stamps[p] = st
	if reused {
		c.borrowed[p] = true
		c.log.Info("plugin unchanged; reused", "plugin", spec.Name, "pid", p.Pid())
	}
	var diags hcl.Diagnostics
	for _, d := range p.Definitions() {
		if err := c.reg.Add(d); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Plugin %q clashes", spec.Name),
				Detail: fmt.Sprintf("It provides %s %q: %v. Built-ins and plugins share one namespace per kind.", d.Kind, d.Name, err), Subject: at})
			continue
		}
		c.provider[key{d.Kind, d.Name}] = p
	}
	return diags
}

// Lookup finds a component type. A type no built-in or running plugin
// provides starts the plugin of the same name found on the plugin path,
// if there is one.
func (c *Catalog) Lookup(kind sdk.Kind, name string) (sdk.Definition, bool) {
	c.mu.Lock()
	d, ok := c.reg.Lookup(kind, name)
	spec, onPath := c.found[name]
	if !ok && onPath {
		delete(c.found, name) // tried once, whatever happens
	}
	c.mu.Unlock()
	if ok || !onPath {
		return d, ok
	}
	diags := c.start(c.ctx, spec, nil)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.diags = append(c.diags, diags...)
	return c.reg.Lookup(kind, name)
}

// Names lists the known types of one kind (built-in and running plugins).
func (c *Catalog) Names(kind sdk.Kind) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reg.Names(kind)
}

// Diagnostics are the problems of plugins started on demand by Lookup.
func (c *Catalog) Diagnostics() hcl.Diagnostics {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append(hcl.Diagnostics(nil), c.diags...)
}

// Provider is the plugin that provides a type, nil for a built-in.
func (c *Catalog) Provider(kind sdk.Kind, name string) *pluginhost.Plugin {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.provider[key{kind, name}]
}

// Plugins lists the running plugins.
func (c *Catalog) Plugins() []*pluginhost.Plugin {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*pluginhost.Plugin(nil), c.plugins...)
}

// SetHTTP gives every component built from now on this client (the
// host's egress policy) as its host HTTP service.
func (c *Catalog) SetHTTP(hc *http.Client) { c.http = hc }

// Build builds one component of cfg; a failure is a diagnostic at the
// component's block (or the attribute the component names). The catalog
// closes what it built in Close.
func (c *Catalog) Build(ctx context.Context, cfg *config.Config, comp *config.Component) (sdk.Component, hcl.Diagnostics) {
	cc := comp.Config
	cc.Logger = c.log.With("pipeline", cc.Pipeline, comp.Kind.String(), comp.Type)
	cc.HTTP = c.http
	built, err := comp.Def.Build(ctx, cc)
	if err != nil {
		return nil, cfg.Diagnose(comp, err)
	}
	c.mu.Lock()
	c.built = append(c.built, built)
	c.mu.Unlock()
	return built, nil
}

// Close closes every component built, then stops the plugins.
func (c *Catalog) Close(ctx context.Context) {
	if c == nil {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	c.mu.Lock()
	built, plugins, borrowed := c.built, c.plugins, c.borrowed
	c.built, c.plugins, c.borrowed = nil, nil, nil
	c.mu.Unlock()
	for _, b := range built {
		if err := b.Close(cctx); err != nil {
			c.log.Warn("close component", "error", err)
		}
	}
	for _, p := range plugins {
		if !borrowed[p] {
			p.Close()
		}
	}
}

// List starts every plugin found in dirs and, with a config path, those
// the config declares; it reports what each provides and stops them (for
// `hookferry plugins list`). Configuration problems come back as
// diagnostics, a plugin that does not start as err.
func List(ctx context.Context, opts Options) (_ []*sdkplugin.Description, _ hcl.Diagnostics, _ map[string]*hcl.File, err error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var specs []pluginhost.Spec
	var files map[string]*hcl.File
	if opts.ConfigPath != "" {
		decls, cfg, diags := config.Plugins(opts.ConfigPath, opts.LookupEnv)
		if diags.HasErrors() {
			return nil, diags, cfg.Files, nil
		}
		files = cfg.Files
		for _, d := range decls {
			specs = append(specs, pluginhost.Spec{Name: d.Name, Path: d.Path, SHA256: d.SHA256})
		}
	}
	found, err := pluginhost.Discover(opts.PluginDirs)
	if err != nil {
		return nil, nil, files, err
	}
	specs = append(specs, found...)
	var out []*sdkplugin.Description
	for _, s := range specs {
		p, err := pluginhost.Start(ctx, s, log)
		if err != nil {
			return nil, nil, files, err
		}
		out = append(out, p.Description())
		p.Close()
	}
	return out, nil, files, nil
}
