package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/time/rate"

	"github.com/hookferry/hookferry/core/internal/admin"
	"github.com/hookferry/hookferry/core/internal/config"
	"github.com/hookferry/hookferry/core/internal/delivery"
	"github.com/hookferry/hookferry/core/internal/ingress"
	"github.com/hookferry/hookferry/core/internal/pipeline"
	"github.com/hookferry/hookferry/core/internal/pluginhost"
	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/core/internal/registry"
	"github.com/hookferry/hookferry/sdk"
	sdkplugin "github.com/hookferry/hookferry/sdk/plugin"
)

// Options configure an engine.
type Options struct {
	// ConfigPath is a .hcl file or a folder of them.
	ConfigPath string
	// DataDir is where everything the process stores lives.
	DataDir string
	// Components are the component types the config may use
	// (plugins/all.Definitions in the binary).
	Components []sdk.Definition
	// Logger receives all logs; nil discards them.
	Logger *slog.Logger
	// LookupEnv backs the config's env() function.
	LookupEnv func(string) (string, bool)
	// Listen, when set, replaces server.listen (tests use 127.0.0.1:0).
	Listen string
	// AdminListen, when set, replaces server.admin_listen.
	AdminListen string
	// PluginDirs are searched for hookferry-plugin-NAME binaries.
	PluginDirs []string
	// Reattach names plugins started by hand (for a debugger) to connect
	// to instead of starting them (HOOKFERRY_REATTACH_PLUGINS).
	Reattach map[string]sdkplugin.Reattach
}

// ConfigError carries every configuration problem found, with the files
// needed to show them with source snippets.
type ConfigError struct {
	Diagnostics hcl.Diagnostics
	files       map[string]*hcl.File
}

func (e *ConfigError) Error() string {
	if errs := e.Diagnostics.Errs(); len(errs) == 1 {
		return "configuration has 1 error: " + errs[0].Error()
	}
	return fmt.Sprintf("configuration has %d errors", e.Count())
}

// Count is the number of errors (warnings not counted).
func (e *ConfigError) Count() int { return len(e.Diagnostics.Errs()) }

// Write renders the diagnostics as "file:line:col: error: summary" plus a
// source snippet and detail each.
func (e *ConfigError) Write(w io.Writer, color bool) error {
	return config.WriteDiagnostics(w, e.files, e.Diagnostics, 100, color)
}

// Engine is a loaded configuration with every component built.
type Engine struct {
	opts      Options
	log       *slog.Logger
	cfg       *config.Config
	pipelines []*pipeline.Pipeline
	closers   []sdk.Component
	queue     queue.Queue
	plugins   []*pluginhost.Plugin
	client    *delivery.Client
	ingress   *ingress.Server
	admin     *admin.Server
	ready     atomic.Bool

	stopConsume context.CancelFunc
	cancelWork  context.CancelFunc
	consumers   sync.WaitGroup
	serveErr    chan error
}

// Summary describes a loaded configuration.
type Summary struct {
	Pipelines int
	Sinks     int
	Paths     []string
}

// Validate loads the config and builds every component (so a script's
// syntax error is found too), then releases them.
func Validate(ctx context.Context, opts Options) (Summary, error) {
	e, err := Load(ctx, opts)
	if err != nil {
		return Summary{}, err
	}
	defer e.closeComponents(ctx)
	return e.Summary(), nil
}

// AdminAddress reads only the configuration's server.admin_listen, for
// CLI commands that talk to a running hookferry: nothing else is decoded,
// so the pipelines' secrets need not be in the environment.
func AdminAddress(opts Options) (string, error) {
	addr, cfg, diags := config.AdminListen(opts.ConfigPath, opts.LookupEnv)
	if diags.HasErrors() {
		return "", &ConfigError{Diagnostics: diags, files: cfg.Files}
	}
	if addr == "" {
		return "", fmt.Errorf("%s sets no server.admin_listen; add one, or pass --admin URL", opts.ConfigPath)
	}
	return addr, nil
}

// Load reads the configuration and builds every component. Problems come
// back together as a *ConfigError.
func Load(ctx context.Context, opts Options) (*Engine, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg, err := registry.New(opts.Components...)
	if err != nil {
		return nil, fmt.Errorf("component registry: %w", err)
	}
	plugins, pdiags, files := startPlugins(ctx, opts, reg, log)
	if pdiags.HasErrors() {
		for _, p := range plugins {
			p.Close()
		}
		return nil, &ConfigError{Diagnostics: pdiags, files: files}
	}
	cfg, diags := config.Load(opts.ConfigPath, config.Options{Components: reg, LookupEnv: opts.LookupEnv})
	diags = append(pdiags, diags...)
	// Components that decoded are built even when other parts of the
	// config are wrong, so that one run shows every problem (a script's
	// syntax error too).
	e := &Engine{opts: opts, log: log, cfg: cfg, plugins: plugins, client: delivery.NewClient(delivery.Egress{DenyPrivate: cfg.Egress.DenyPrivate})}
	for _, pc := range cfg.Pipelines {
		p, d := e.build(ctx, cfg, pc)
		diags = append(diags, d...)
		if p != nil {
			e.pipelines = append(e.pipelines, p)
		}
	}
	if diags.HasErrors() {
		e.closeComponents(ctx)
		config.SortDiagnostics(diags)
		return nil, &ConfigError{Diagnostics: diags, files: cfg.Files}
	}
	for _, d := range diags {
		log.Warn("config: "+d.Summary, "detail", d.Detail, "at", d.Subject)
	}
	return e, nil
}

func (e *Engine) component(ctx context.Context, cfg *config.Config, c *config.Component, diags *hcl.Diagnostics) sdk.Component {
	cc := c.Config
	cc.Logger = e.log.With("pipeline", cc.Pipeline, c.Kind.String(), c.Type)
	comp, err := c.Def.Build(ctx, cc)
	if err != nil {
		*diags = append(*diags, cfg.Diagnose(c, err)...)
		return nil
	}
	e.closers = append(e.closers, comp)
	return comp
}

func (e *Engine) build(ctx context.Context, cfg *config.Config, pc *config.Pipeline) (*pipeline.Pipeline, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	p := &pipeline.Pipeline{Name: pc.Name, Log: e.log, Sender: e.client}
	if pc.Source != nil {
		p.SourceType, p.Events = pc.Source.Type, pc.Source.Events
		if c := e.component(ctx, cfg, &pc.Source.Component, &diags); c != nil {
			p.Source = c.(sdk.Source)
		}
	}
	transforms := func(cs []*config.Component) []sdk.Transform {
		var out []sdk.Transform
		for _, tc := range cs {
			if c := e.component(ctx, cfg, tc, &diags); c != nil {
				out = append(out, c.(sdk.Transform))
			}
		}
		return out
	}
	p.Transforms = transforms(pc.Transforms)
	for _, sc := range pc.Sinks {
		s := &pipeline.Sink{
			Name: sc.Name, Type: sc.Type, Concurrency: sc.Concurrency, Ordered: sc.Ordered,
			Transforms: transforms(sc.Transforms),
			Policy:     delivery.Policy{MaxAttempts: sc.Retry.MaxAttempts, Initial: sc.Retry.Initial, Max: sc.Retry.Max},
		}
		rl := sc.RateLimit
		if c := e.component(ctx, cfg, &sc.Component, &diags); c != nil {
			s.Sink = c.(sdk.Sink)
			if pc, ok := c.(sdk.Pacer); ok && rl == 0 {
				rl = pc.DefaultRateLimit()
			}
		}
		if rl > 0 {
			s.Limiter = rate.NewLimiter(rate.Limit(rl), max(1, int(rl)))
		}
		if sc.Breaker.Failures > 0 {
			failures := uint32(sc.Breaker.Failures)
			name := pc.Name + "/" + sc.Name
			s.Breaker = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
				Name:        name,
				MaxRequests: 1,
				Timeout:     sc.Breaker.Cooldown,
				ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
				OnStateChange: func(_ string, from, to gobreaker.State) {
					e.log.Warn("circuit breaker "+to.String(), "sink", name, "from", from.String())
				},
			})
		}
		p.Sinks = append(p.Sinks, s)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return p, diags
}

// Summary describes what was loaded.
func (e *Engine) Summary() Summary {
	s := Summary{Pipelines: len(e.pipelines)}
	for _, p := range e.cfg.Pipelines {
		s.Sinks += len(p.Sinks)
		if p.Source != nil {
			s.Paths = append(s.Paths, p.Source.Path)
		}
	}
	return s
}

// Start opens the data directory and the queue, starts the consumers and
// begins accepting requests. It returns once the listener is bound.
func (e *Engine) Start(ctx context.Context) error {
	if e.opts.DataDir != "" {
		if err := prepareDataDir(e.opts.DataDir, e.cfg.Queue.Backend != config.BackendMemory && e.cfg.Queue.URL == ""); err != nil {
			return err
		}
	}
	q, err := e.openQueue(ctx)
	if err != nil {
		return err
	}
	e.queue = q
	routes := map[string]ingress.Endpoint{}
	for i, p := range e.pipelines {
		p.Queue = e.queue
		if err := e.queue.Declare(ctx, p.Name, p.Consumers()); err != nil {
			return fmt.Errorf("queue: %w", err)
		}
		routes[e.cfg.Pipelines[i].Source.Path] = p
	}
	srv := e.cfg.Server
	e.ingress = ingress.New(ingress.Config{
		MaxBodySize: srv.MaxBodySize, MaxHeaderSize: srv.MaxHeaderSize,
		ReadTimeout: srv.ReadTimeout, WriteTimeout: srv.WriteTimeout, IdleTimeout: srv.IdleTimeout,
		MaxConcurrency: srv.MaxConcurrency,
	}, routes, e.log)
	addr := srv.Listen
	if e.opts.Listen != "" {
		addr = e.opts.Listen
	}
	if err := e.ingress.Listen(addr); err != nil {
		_ = e.queue.Close(ctx)
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	adminAddr := srv.AdminListen
	if e.opts.AdminListen != "" {
		adminAddr = e.opts.AdminListen
	}
	if adminAddr != "" {
		e.admin = admin.New(e, e.log)
		if err := e.admin.Listen(adminAddr); err != nil {
			_ = e.queue.Close(ctx)
			return fmt.Errorf("admin listen on %s: %w", adminAddr, err)
		}
		go func() {
			if err := e.admin.Serve(); err != nil {
				e.log.Error("admin server stopped", "error", err)
			}
		}()
		e.log.Info("admin API listening", "addr", e.admin.Addr())
	}

	stop, stopConsume := context.WithCancel(context.WithoutCancel(ctx))
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	e.stopConsume, e.cancelWork = stopConsume, cancelWork
	for _, p := range e.pipelines {
		e.consumers.Go(func() {
			if err := p.Run(stop, work); err != nil {
				e.log.Error("consumer stopped", "pipeline", p.Name, "error", err)
			}
		})
	}
	e.serveErr = make(chan error, 1)
	go func() { e.serveErr <- e.ingress.Serve() }()
	e.ready.Store(true)
	e.log.Info("listening", "addr", e.ingress.Addr(), "pipelines", len(e.pipelines))
	return nil
}

func (e *Engine) openQueue(ctx context.Context) (queue.Queue, error) {
	qc := e.cfg.Queue
	if qc.Backend == config.BackendMemory {
		e.log.Warn("queue: in-memory; events not yet delivered are lost if the process stops")
		return queue.NewMemory(0), nil
	}
	if qc.URL == "" && e.opts.DataDir == "" {
		return nil, errors.New("queue: the embedded JetStream store needs a data directory (--data-dir)")
	}
	q, err := queue.OpenJetStream(ctx, queue.JetStreamConfig{
		URL:         qc.URL,
		Dir:         filepath.Join(e.opts.DataDir, "jetstream"),
		SyncAlways:  qc.Sync == config.SyncAlways,
		DedupWindow: qc.DedupWindow,
		Retention:   qc.Retention,
		MaxBytes:    int64(qc.MaxStore),
		AckWait:     qc.AckWait,
		GroupCommit: qc.GroupCommit,
		Log:         e.log,
	})
	if err != nil {
		return nil, err
	}
	where := "embedded, " + filepath.Join(e.opts.DataDir, "jetstream")
	if qc.URL != "" {
		where = "external NATS"
	}
	e.log.Info("queue: JetStream", "store", where, "sync", qc.Sync)
	return q, nil
}

// History is the delivery records (admin API).
func (e *Engine) History() queue.History { return e.queue.History() }

// Replay delivers a stored event again to one sink (admin API).
func (e *Engine) Replay(ctx context.Context, id queue.DeliveryID) error {
	return e.queue.Replay(ctx, id)
}

// Depths reports every sink's backlog (admin API).
func (e *Engine) Depths(ctx context.Context) ([]queue.Depth, error) {
	var out []queue.Depth
	for _, p := range e.pipelines {
		for _, s := range p.Sinks {
			d, err := e.queue.Depth(ctx, p.Name, s.Name)
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// Ready reports whether the engine takes webhooks (admin API).
func (e *Engine) Ready() error {
	if !e.ready.Load() {
		return errors.New("not started or shutting down")
	}
	return nil
}

// AdminAddr is the admin API address after Start, or "".
func (e *Engine) AdminAddr() string {
	if e.admin == nil {
		return ""
	}
	return e.admin.Addr()
}

// Addr is the ingress address after Start.
func (e *Engine) Addr() string { return e.ingress.Addr() }

// Run starts the engine and serves until ctx ends, then shuts down
// gracefully within the server's shutdown_timeout.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.Start(ctx); err != nil {
		e.closeComponents(context.WithoutCancel(ctx))
		return err
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-e.serveErr:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.cfg.Server.ShutdownTimeout)
	defer cancel()
	return errors.Join(serveErr, e.Shutdown(sctx))
}

// Shutdown stops taking requests, lets attempts in flight finish until ctx
// ends (then cancels them), and closes every component.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.log.Info("shutting down")
	e.ready.Store(false)
	err := e.ingress.Shutdown(ctx)
	e.stopConsume()
	done := make(chan struct{})
	go func() { e.consumers.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		e.log.Warn("shutdown: grace period over; cancelling attempts in flight")
		e.cancelWork()
		<-done
	}
	e.cancelWork()
	if e.admin != nil {
		err = errors.Join(err, e.admin.Shutdown(ctx))
	}
	err = errors.Join(err, e.queue.Close(ctx))
	e.client.Close()
	e.closeComponents(ctx)
	return err
}

func (e *Engine) closeComponents(ctx context.Context) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, c := range e.closers {
		if err := c.Close(cctx); err != nil {
			e.log.Warn("close component", "error", err)
		}
	}
	e.closers = nil
	for _, p := range e.plugins {
		p.Close()
	}
	e.plugins = nil
}

// startPlugins runs the plugins the config declares and those found in
// the plugin directories, and adds their components to reg. A plugin that
// cannot start is an error at its block.
func startPlugins(ctx context.Context, opts Options, reg *registry.Registry, log *slog.Logger) ([]*pluginhost.Plugin, hcl.Diagnostics, map[string]*hcl.File) {
	decls, cfg, diags := config.Plugins(opts.ConfigPath, opts.LookupEnv)
	if diags.HasErrors() {
		return nil, diags, cfg.Files
	}
	found, err := pluginhost.Discover(opts.PluginDirs)
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read the plugin directory", Detail: err.Error()}), cfg.Files
	}
	type want struct {
		spec pluginhost.Spec
		at   *hcl.Range
	}
	var wants []want
	declared := map[string]bool{}
	for _, d := range decls {
		declared[d.Name] = true
		wants = append(wants, want{pluginhost.Spec{Name: d.Name, Path: d.Path, SHA256: d.SHA256}, d.DefRange.Ptr()})
	}
	for _, f := range found {
		if !declared[f.Name] {
			wants = append(wants, want{f, nil})
		}
	}
	for name, r := range opts.Reattach {
		rc, err := r.Config()
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Cannot reattach plugin %q", name), Detail: err.Error()})
			continue
		}
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
	var started []*pluginhost.Plugin
	for _, w := range wants {
		p, err := pluginhost.Start(ctx, w.spec, log)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Plugin %q did not start", w.spec.Name), Detail: err.Error(), Subject: w.at})
			continue
		}
		started = append(started, p)
		for _, d := range p.Definitions() {
			if err := reg.Add(d); err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Plugin %q clashes", w.spec.Name),
					Detail: fmt.Sprintf("It provides %s %q: %v. Built-ins and plugins share one namespace per kind.", d.Kind, d.Name, err), Subject: w.at})
			}
		}
	}
	return started, diags, cfg.Files
}

// Plugins lists the running plugins (for `hookferry plugins list`).
func (e *Engine) Plugins() []*pluginhost.Plugin { return e.plugins }

// SinkStats reports settled deliveries of one sink (for tests and, later,
// metrics).
func (e *Engine) SinkStats(pipelineName, sink string) (delivered, retried, failed int64, ok bool) {
	for _, p := range e.pipelines {
		if p.Name != pipelineName {
			continue
		}
		for _, s := range p.Sinks {
			if s.Name == sink {
				return s.Stats.Delivered.Load(), s.Stats.Retried.Load(), s.Stats.Failed.Load(), true
			}
		}
	}
	return 0, 0, 0, false
}

// DescribePlugin runs one plugin binary, asks what it provides, and stops it.
func DescribePlugin(ctx context.Context, path string, log *slog.Logger) (*sdkplugin.Description, error) {
	p, err := pluginhost.Start(ctx, pluginhost.Spec{Name: filepath.Base(path), Path: path}, log)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	return p.Description(), nil
}

// ListPlugins starts the plugins found in opts.PluginDirs and, with a
// ConfigPath, those the config declares; it reports and stops them.
func ListPlugins(ctx context.Context, opts Options) ([]*sdkplugin.Description, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var decls []config.PluginDecl
	if opts.ConfigPath != "" {
		d, cfg, diags := config.Plugins(opts.ConfigPath, opts.LookupEnv)
		if diags.HasErrors() {
			return nil, &ConfigError{Diagnostics: diags, files: cfg.Files}
		}
		decls = d
	}
	found, err := pluginhost.Discover(opts.PluginDirs)
	if err != nil {
		return nil, err
	}
	specs := make([]pluginhost.Spec, 0, len(decls)+len(found))
	for _, d := range decls {
		specs = append(specs, pluginhost.Spec{Name: d.Name, Path: d.Path, SHA256: d.SHA256})
	}
	specs = append(specs, found...)
	var out []*sdkplugin.Description
	for _, s := range specs {
		p, err := pluginhost.Start(ctx, s, opts.Logger)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Description())
		p.Close()
	}
	return out, nil
}
