package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/hookbridge/hookbridge/core/internal/config"
	"github.com/hookbridge/hookbridge/core/internal/delivery"
	"github.com/hookbridge/hookbridge/core/internal/ingress"
	"github.com/hookbridge/hookbridge/core/internal/pipeline"
	"github.com/hookbridge/hookbridge/core/internal/queue"
	"github.com/hookbridge/hookbridge/core/internal/registry"
	"github.com/hookbridge/hookbridge/sdk"
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
	client    *delivery.Client
	ingress   *ingress.Server

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
	cfg, diags := config.Load(opts.ConfigPath, config.Options{Components: reg, LookupEnv: opts.LookupEnv})
	// Components that decoded are built even when other parts of the
	// config are wrong, so that one run shows every problem (a script's
	// syntax error too).
	e := &Engine{opts: opts, log: log, cfg: cfg, client: delivery.NewClient()}
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
			Name: sc.Name, Type: sc.Type, Concurrency: sc.Concurrency,
			Transforms: transforms(sc.Transforms),
			Policy:     delivery.Policy{MaxAttempts: sc.Retry.MaxAttempts, Initial: sc.Retry.Initial, Max: sc.Retry.Max},
		}
		if c := e.component(ctx, cfg, &sc.Component, &diags); c != nil {
			s.Sink = c.(sdk.Sink)
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
		if err := os.MkdirAll(e.opts.DataDir, 0o700); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
	}
	e.queue = queue.NewMemory(0)
	e.log.Warn("queue: in-memory; events not yet delivered are lost if the process stops")
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
		return fmt.Errorf("listen on %s: %w", addr, err)
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
	e.log.Info("listening", "addr", e.ingress.Addr(), "pipelines", len(e.pipelines))
	return nil
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
}

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
