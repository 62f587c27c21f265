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
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/hookferry/hookferry/core/internal/admin"
	"github.com/hookferry/hookferry/core/internal/catalog"
	"github.com/hookferry/hookferry/core/internal/config"
	"github.com/hookferry/hookferry/core/internal/delivery"
	"github.com/hookferry/hookferry/core/internal/ingress"
	"github.com/hookferry/hookferry/core/internal/pipeline"
	"github.com/hookferry/hookferry/core/internal/pluginhost"
	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/core/internal/tap"
	"github.com/hookferry/hookferry/core/internal/telemetry"
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
	// AdminListen, when set, replaces admin.listen.
	AdminListen string
	// PluginDirs are searched for hookferry-plugin-NAME binaries.
	PluginDirs []string
	// Reattach names plugins started by hand (for a debugger) to connect
	// to instead of starting them (HOOKFERRY_REATTACH_PLUGINS).
	Reattach map[string]sdkplugin.Reattach
	// DisableMetrics builds no metrics and serves no /metrics (benchmarks
	// measure what metrics cost against it).
	DisableMetrics bool
	// TraceExporter, when set, receives the spans instead of the OTLP
	// exporter the telemetry block names (tests); tracing stays off
	// unless the configuration turns it on.
	TraceExporter sdktrace.SpanExporter
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
	// mu guards what a reload swaps: cfg, catalog, pipelines, workers,
	// guards, client, warnings (reload.go).
	mu        sync.RWMutex
	reload    reloadState
	opts      Options
	log       *slog.Logger
	cfg       *config.Config
	catalog   *catalog.Catalog
	pipelines []*pipeline.Pipeline
	workers   []*delivery.Worker
	guards    map[*pluginhost.Plugin]*delivery.PluginGuard
	queue     queue.Queue
	client    *delivery.Client
	ingress   *ingress.Server
	admin     *admin.Server
	ready     atomic.Bool
	tap       tap.Hub
	metrics   *telemetry.Metrics // nil with Options.DisableMetrics
	trace     *telemetry.Tracing

	warnings hcl.Diagnostics

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
	// Warnings are the configuration's diagnostics that are not errors.
	Warnings hcl.Diagnostics
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

// AdminAddress reads only the configuration's admin.listen, for
// CLI commands that talk to a running hookferry: nothing else is decoded,
// so the pipelines' secrets need not be in the environment.
func AdminAddress(opts Options) (string, error) {
	addr, cfg, diags := config.AdminListen(opts.ConfigPath, opts.LookupEnv)
	if diags.HasErrors() {
		return "", &ConfigError{Diagnostics: diags, files: cfg.Files}
	}
	if addr == "" {
		return "", fmt.Errorf("%s has no admin block; add admin { listen = \"127.0.0.1:8089\" }, or pass --admin URL", opts.ConfigPath)
	}
	return addr, nil
}

// Load reads the configuration and builds every component. Problems come
// back together as a *ConfigError.
func Load(ctx context.Context, opts Options) (*Engine, error) {
	return load(ctx, opts, nil)
}

// load is Load; on a reload, prev is the running engine, whose unchanged
// plugins are reused.
func load(ctx context.Context, opts Options, prev *Engine) (*Engine, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	parsed, diags := config.Parse(opts.ConfigPath, opts.LookupEnv)
	if diags.HasErrors() {
		return nil, &ConfigError{Diagnostics: diags, files: parsed.Files()}
	}
	cat, diags, files := catalog.Open(ctx, catalog.Options{Parsed: parsed, ConfigPath: opts.ConfigPath, LookupEnv: opts.LookupEnv,
		Components: opts.Components, PluginDirs: opts.PluginDirs, Reattach: opts.Reattach, Log: log, Previous: prev.currentCatalog()})
	if diags.HasErrors() {
		cat.Close(ctx)
		return nil, &ConfigError{Diagnostics: diags, files: files}
	}
	cfg, cdiags := parsed.Load(config.Options{Components: cat, CheckEgress: checkEgress})
	diags = append(diags, cat.Diagnostics()...)
	diags = append(diags, cdiags...)
	// Components that decoded are built even when other parts of the
	// config are wrong, so that one run shows every problem (a script's
	// syntax error too).
	egress := delivery.Egress{DenyPrivate: cfg.Egress.DenyPrivate}
	cat.SetHTTP(egress.HTTPClient())
	e := &Engine{opts: opts, log: log, cfg: cfg, catalog: cat, client: delivery.NewClient(egress), guards: prev.currentGuards(), metrics: prev.currentMetrics(opts)}
	for _, pc := range cfg.Pipelines {
		p, ws, d := e.build(ctx, pc)
		diags = append(diags, d...)
		if p != nil {
			e.pipelines = append(e.pipelines, p)
			e.workers = append(e.workers, ws...)
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
	e.warnings = diags
	e.loaded(time.Now())
	return e, nil
}

// Summary describes what was loaded.
func (e *Engine) Summary() Summary {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s := Summary{Pipelines: len(e.pipelines), Warnings: e.warnings}
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
	e.reload.mu.Lock()
	defer e.reload.mu.Unlock()
	if err := checkAdminOverride(e.opts.AdminListen, e.cfg.Admin); err != nil {
		return err
	}
	if e.opts.DataDir != "" {
		if err := prepareDataDir(e.opts.DataDir, e.cfg.Queue.Backend != config.BackendMemory && e.cfg.Queue.URL == ""); err != nil {
			return err
		}
	}
	if err := e.startTracing(ctx); err != nil {
		return err
	}
	q, err := e.openQueue(ctx)
	if err != nil {
		return err
	}
	e.queue = q
	routes, err := e.declare(ctx, e.cfg, e.pipelines, e.workers)
	if err != nil {
		return err
	}
	srv := e.cfg.Server
	e.ingress = ingress.New(ingress.Config{
		MaxBodySize: srv.MaxBodySize, MaxHeaderSize: srv.MaxHeaderSize,
		ReadTimeout: srv.ReadTimeout, WriteTimeout: srv.WriteTimeout, IdleTimeout: srv.IdleTimeout,
		MaxConcurrency: srv.MaxConcurrency,
		Unrouted:       e.metrics.Ingress("", ""),
	}, routes, e.log)
	e.OnReload(e.metrics.ConfigReloaded)
	addr := srv.Listen
	if e.opts.Listen != "" {
		addr = e.opts.Listen
	}
	if err := e.ingress.Listen(addr); err != nil {
		_ = e.queue.Close(ctx)
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	adminAddr := e.cfg.Admin.Listen
	if e.opts.AdminListen != "" {
		adminAddr = e.opts.AdminListen
	}
	if adminAddr != "" {
		e.metrics.ObserveState(e.metricsState)
		e.admin = admin.New(e, e.log, e.adminOptions()...)
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
	e.startWorkers(stop, work)
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
		// Records of delivered events expire sooner: the store keeps
		// every record's key in memory.
		DeliveredRetention: qc.DeliveredRetention,
		DeliveredListed:    qc.ListDelivered,
		MaxBytes:           int64(qc.MaxStore),
		AckWait:            qc.AckWait,
		GroupCommit:        qc.GroupCommit,
		Compress:           qc.Compress,
		Log:                e.log,
		// The queue must store every body the ingress accepts.
		MaxBodySize: e.cfg.Server.MaxBodySize, MaxHeaderSize: e.cfg.Server.MaxHeaderSize,
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
	for _, k := range e.sinkKeys() {
		d, err := e.queue.Depth(ctx, k.pipeline, k.sink)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Ready reports whether the engine takes webhooks (admin API).
func (e *Engine) Ready() error {
	if !e.ready.Load() {
		return errors.New("not started or shutting down")
	}
	return queueReady(e.queue)
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
	e.stopReloads()
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

// Close releases an engine that was loaded and never started: its
// components and plugin processes. (A started one stops with Shutdown.)
func (e *Engine) Close(ctx context.Context) error {
	e.closeComponents(ctx)
	return nil
}

func (e *Engine) closeComponents(ctx context.Context) {
	e.stopTracing(ctx)
	e.catalog.Close(ctx)
}

// Plugins lists the running plugins (for `hookferry plugins list`).
func (e *Engine) Plugins() []*pluginhost.Plugin { return e.currentCatalog().Plugins() }

// SinkStats reports settled deliveries of one sink (for tests and, later,
// metrics).
func (e *Engine) SinkStats(pipelineName, sink string) (delivered, retried, failed int64, ok bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, w := range e.workers {
		if w.Pipeline == pipelineName && w.Sink.Name == sink {
			s := &w.Sink.Stats
			return s.Delivered.Load(), s.Retried.Load(), s.Failed.Load(), true
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
	out, diags, files, err := catalog.List(ctx, catalog.Options{ConfigPath: opts.ConfigPath, LookupEnv: opts.LookupEnv, PluginDirs: opts.PluginDirs, Log: opts.Logger})
	if diags.HasErrors() {
		return nil, &ConfigError{Diagnostics: diags, files: files}
	}
	return out, err
}
