package core

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/hookferry/hookferry/core/internal/catalog"
	"github.com/hookferry/hookferry/core/internal/config"
	"github.com/hookferry/hookferry/core/internal/delivery"
	"github.com/hookferry/hookferry/core/internal/ingress"
	"github.com/hookferry/hookferry/core/internal/pipeline"
	"github.com/hookferry/hookferry/core/internal/pluginhost"
	"github.com/hookferry/hookferry/core/internal/queue"
)

// Reloading the configuration of a running engine (SIGHUP, POST
// /v1/reload, run --watch).
//
// The new configuration is parsed, validated and built in full beside the
// running one (scripts compiled, plugins started; plugins whose block and
// binary did not change are reused, not restarted). Any error leaves the
// running configuration in place. On success:
//
//   - the ingress route table is swapped at once (one atomic pointer): a
//     request is served by the old pipelines or the new ones, never a mix;
//   - each delivery worker of a sink that stays is replaced: the old one
//     stops pulling (what it pulled and did not start is handed back to
//     the queue at once), its attempts in flight finish on the components
//     they started with (bounded by server.shutdown_timeout), then the new
//     one starts on the same durable consumer. Nothing is acked twice:
//     every delivery is settled by exactly one worker;
//   - a sink (or a whole pipeline) the new configuration drops is parked:
//     its durable consumer and everything queued for it stay in the store
//     (until queue.retention), nothing consumes it, a warning names its
//     backlog, and it still shows in /v1/sinks. Adding the sink back (same
//     pipeline and name) resumes delivery from where it stopped, events
//     that arrived meanwhile included;
//   - the old components are closed once nothing uses them.
//
// The server, admin and queue blocks are read when the process starts
// (listeners, limits, the store): a reload that changes them is refused
// with a diagnostic naming the block and attributes; restart to apply.

// reloadState is the engine's part that only Start, Reload and Shutdown
// touch, under mu.
type reloadState struct {
	mu      sync.Mutex
	running bool
	stop    context.Context // parent of every worker's consumption
	work    context.Context // parent of every worker's attempts
	runners map[sinkKey]*runner
	// parked are sinks a reload removed; their consumers are kept (read
	// under Engine.mu too).
	parked map[sinkKey]bool

	hooksMu sync.Mutex
	hooks   []func(ok bool, at time.Time)
	last    *ReloadResult
}

type sinkKey struct{ pipeline, sink string }

func (k sinkKey) String() string { return k.pipeline + "/" + k.sink }

// runner is one delivery worker running on its own contexts, so that a
// reload can stop it alone.
type runner struct {
	w      *delivery.Worker
	stop   context.CancelFunc
	cancel context.CancelFunc
	done   chan struct{}
}

// ReloadResult is the outcome of one reload, as POST /v1/reload returns it.
type ReloadResult struct {
	OK         bool      `json:"ok"`
	At         time.Time `json:"at"`
	DurationMS float64   `json:"duration_ms"`
	// Error says in one line why the reload was refused.
	Error string `json:"error,omitempty"`
	// Diagnostics are every problem (and warning) of the new
	// configuration, with file, line and column.
	Diagnostics []config.JSONDiagnostic `json:"diagnostics"`
	// Added, Replaced and Removed name sinks as "pipeline/sink".
	Added    []string `json:"added,omitempty"`
	Replaced []string `json:"replaced,omitempty"`
	Removed  []string `json:"removed,omitempty"`
	// Parked are removed sinks whose backlog stays queued.
	Parked []ParkedSink `json:"parked,omitempty"`
	// PluginsReused kept running; PluginsStarted are new processes.
	PluginsReused  []string `json:"plugins_reused,omitempty"`
	PluginsStarted []string `json:"plugins_started,omitempty"`
}

// ParkedSink is a removed sink with deliveries still queued for it.
type ParkedSink struct {
	Pipeline string `json:"pipeline"`
	Sink     string `json:"sink"`
	Pending  uint64 `json:"pending"`
	InFlight uint64 `json:"in_flight"`
}

// ErrNotRunning means a reload was asked of an engine that is not serving
// (not started yet, or shutting down).
var ErrNotRunning = errors.New("not running")

// OnReload registers f, called after every reload attempt with its outcome
// and time (for the hookferry_config_last_reload_* metrics). The initial
// load is not a reload: a started engine runs a valid configuration.
func (e *Engine) OnReload(f func(ok bool, at time.Time)) {
	e.reload.hooksMu.Lock()
	defer e.reload.hooksMu.Unlock()
	e.reload.hooks = append(e.reload.hooks, f)
}

// LastReload is the outcome of the latest reload, if there was one.
func (e *Engine) LastReload() (ReloadResult, bool) {
	e.reload.hooksMu.Lock()
	defer e.reload.hooksMu.Unlock()
	if e.reload.last == nil {
		return ReloadResult{}, false
	}
	return *e.reload.last, true
}

// ReloadConfig is Reload for the admin API.
func (e *Engine) ReloadConfig(ctx context.Context) (any, bool) {
	r := e.Reload(ctx)
	return r, r.OK
}

// Reload reads the configuration again and, when all of it is valid and
// built, switches to it (see the top of this file). Reloads run one at a
// time. The result says what changed, or every diagnostic that kept the
// running configuration.
func (e *Engine) Reload(ctx context.Context) ReloadResult {
	began := time.Now()
	e.reload.mu.Lock()
	defer e.reload.mu.Unlock()
	res := ReloadResult{At: began.UTC(), Diagnostics: []config.JSONDiagnostic{}}
	if !e.reload.running {
		res.Error = ErrNotRunning.Error()
		return res
	}
	e.log.Info("reload: reading the configuration", "config", e.opts.ConfigPath)
	res = e.reloadLocked(ctx, res)
	res.DurationMS = float64(time.Since(began).Microseconds()) / 1000
	if res.OK {
		e.log.Info("reload: done", "duration", time.Since(began).Round(time.Millisecond),
			"added", len(res.Added), "replaced", len(res.Replaced), "removed", len(res.Removed),
			"plugins_reused", len(res.PluginsReused), "plugins_started", len(res.PluginsStarted))
	}
	e.reload.hooksMu.Lock()
	e.reload.last = &res
	hooks := slices.Clone(e.reload.hooks)
	e.reload.hooksMu.Unlock()
	for _, f := range hooks {
		f(res.OK, res.At)
	}
	return res
}

func (e *Engine) reloadLocked(ctx context.Context, res ReloadResult) ReloadResult {
	next, err := load(ctx, e.opts, e)
	if err != nil {
		var ce *ConfigError
		if !errors.As(err, &ce) {
			ce = &ConfigError{Diagnostics: hcl.Diagnostics{{Severity: hcl.DiagError, Summary: err.Error()}}}
		}
		return e.refuse(res, ce.Diagnostics)
	}
	closeNext := func() { next.closeComponents(context.WithoutCancel(ctx)); next.client.Close() }
	res.Diagnostics = config.JSONDiagnostics(next.warnings)
	if diags := restartOnly(e.cfg, next.cfg); diags.HasErrors() {
		closeNext()
		return e.refuse(res, append(diags, next.warnings...))
	}
	for _, p := range next.pipelines {
		p.Tap = e.tap.Publish // next's own hub is not the one subscribers watch
	}
	routes, err := e.declare(ctx, next.cfg, next.pipelines, next.workers)
	if err != nil {
		closeNext()
		return e.refuse(res, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "The queue did not take the new consumers", Detail: err.Error()}})
	}

	// Everything is built: switch.
	old := &Engine{cfg: e.cfg, catalog: e.catalog, pipelines: e.pipelines, workers: e.workers, client: e.client}
	oldKeys, newKeys := workerKeys(old.workers), workerKeys(next.workers)
	for _, p := range next.catalog.Reused() {
		res.PluginsReused = append(res.PluginsReused, p.Name())
	}
	for _, p := range next.catalog.Plugins() {
		if !slices.Contains(res.PluginsReused, p.Name()) {
			res.PluginsStarted = append(res.PluginsStarted, p.Name())
		}
	}
	next.catalog.TakeOver(old.catalog)
	e.mu.Lock()
	e.cfg, e.catalog, e.pipelines, e.workers, e.client, e.warnings = next.cfg, next.catalog, next.pipelines, next.workers, next.client, next.warnings
	e.guards = pruneGuards(next.guards, next.catalog.Plugins())
	for k := range newKeys {
		delete(e.reload.parked, k)
	}
	e.mu.Unlock()

	grace := e.cfg.Server.ShutdownTimeout
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := e.ingress.SetRoutes(rctx, routes); err != nil {
		e.log.Warn("reload: requests routed by the old configuration still running after the grace period; closing its components anyway", "grace", grace)
	}
	// The old pipelines serve nothing any more: carry their counts over.
	for _, p := range next.pipelines {
		if op := pipelineNamed(old.pipelines, p.Name); op != nil {
			p.Filtered.Add(op.Filtered.Load())
		}
	}

	var wg sync.WaitGroup
	var mu sync.Mutex // guards e.reload.runners and res below
	runners := maps.Clone(e.reload.runners)
	for k, w := range newKeys {
		r, had := runners[k]
		if had {
			res.Replaced = append(res.Replaced, k.String())
		} else {
			res.Added = append(res.Added, k.String())
		}
		wg.Go(func() {
			if had {
				e.halt(r, grace)
				carryStats(w.Sink, r.w.Sink)
			}
			mu.Lock()
			defer mu.Unlock()
			e.startWorker(w)
		})
	}
	for k := range oldKeys {
		if _, stays := newKeys[k]; stays {
			continue
		}
		res.Removed = append(res.Removed, k.String())
		r := runners[k]
		wg.Go(func() {
			e.halt(r, grace)
			mu.Lock()
			delete(e.reload.runners, k)
			mu.Unlock()
			if p, ok := e.park(ctx, k); ok {
				mu.Lock()
				res.Parked = append(res.Parked, p)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(res.Added)
	slices.Sort(res.Replaced)
	slices.Sort(res.Removed)
	slices.SortFunc(res.Parked, func(a, b ParkedSink) int {
		return cmp.Or(cmp.Compare(a.Pipeline, b.Pipeline), cmp.Compare(a.Sink, b.Sink))
	})
	old.closeComponents(context.WithoutCancel(ctx))
	old.client.Close()
	res.OK = true
	return res
}

// refuse keeps the running configuration and logs every diagnostic.
func (e *Engine) refuse(res ReloadResult, diags hcl.Diagnostics) ReloadResult {
	config.SortDiagnostics(diags)
	res.Diagnostics = config.JSONDiagnostics(diags)
	n := len(diags.Errs())
	res.Error = fmt.Sprintf("configuration has %d error(s); the running configuration is kept", n)
	if n == 1 {
		res.Error = diags.Errs()[0].Error() + "; the running configuration is kept"
	}
	for _, d := range diags {
		args := []any{"detail", d.Detail}
		if d.Subject != nil {
			args = append([]any{"at", fmt.Sprintf("%s:%d:%d", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)}, args...)
		}
		if d.Severity == hcl.DiagWarning {
			e.log.Warn("reload: "+d.Summary, args...)
			continue
		}
		e.log.Error("reload refused: "+d.Summary, args...)
	}
	e.log.Error("reload refused; the running configuration is kept", "errors", n)
	return res
}

// declare makes ready the queue's consumers of pipelines' sinks and gives
// the ingress routes of cfg.
func (e *Engine) declare(ctx context.Context, cfg *config.Config, pipelines []*pipeline.Pipeline, workers []*delivery.Worker) (map[string]ingress.Endpoint, error) {
	routes := map[string]ingress.Endpoint{}
	for _, p := range pipelines {
		p.Queue, p.Trace = e.queue, e.trace
		var consumers []queue.Consumer
		for _, w := range workers {
			if w.Pipeline == p.Name {
				w.Queue, w.Trace = e.queue, e.trace
				consumers = append(consumers, w.Consumer())
			}
		}
		if err := e.queue.Declare(ctx, p.Name, consumers); err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		for _, pc := range cfg.Pipelines {
			if pc.Name == p.Name && pc.Source != nil {
				routes[pc.Source.Path] = p
			}
		}
	}
	return routes, nil
}

// startWorkers runs every worker under stop (consumption) and work
// (attempts); Start calls it once, with reload.mu held.
func (e *Engine) startWorkers(stop, work context.Context) {
	e.reload.stop, e.reload.work = stop, work
	e.reload.runners = map[sinkKey]*runner{}
	e.reload.parked = map[sinkKey]bool{}
	for _, w := range e.workers {
		e.startWorker(w)
	}
	e.reload.running = true
}

func (e *Engine) startWorker(w *delivery.Worker) {
	stop, stopFn := context.WithCancel(e.reload.stop)
	work, cancel := context.WithCancel(e.reload.work)
	r := &runner{w: w, stop: stopFn, cancel: cancel, done: make(chan struct{})}
	e.reload.runners[sinkKey{w.Pipeline, w.Sink.Name}] = r
	e.consumers.Go(func() {
		defer close(r.done)
		if err := w.Run(stop, work); err != nil {
			e.log.Error("consumer stopped", "pipeline", w.Pipeline, "sink", w.Sink.Name, "error", err)
		}
	})
}

// halt stops a worker's consumption and waits for its attempts in flight,
// cancelling them after grace (a cancelled attempt is handed back to the
// queue without spending an attempt).
func (e *Engine) halt(r *runner, grace time.Duration) {
	r.stop()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-r.done:
	case <-t.C:
		e.log.Warn("reload: attempts in flight still running after the grace period; cancelling them", "pipeline", r.w.Pipeline, "sink", r.w.Sink.Name, "grace", grace)
		r.cancel()
		<-r.done
	}
	r.cancel()
}

// park keeps a removed sink's consumer and reports its backlog.
func (e *Engine) park(ctx context.Context, k sinkKey) (ParkedSink, bool) {
	d, err := e.queue.Depth(ctx, k.pipeline, k.sink)
	if err != nil {
		e.log.Warn("reload: sink removed; its backlog could not be read", "pipeline", k.pipeline, "sink", k.sink, "error", err)
		return ParkedSink{}, false
	}
	e.mu.Lock()
	e.reload.parked[k] = true
	e.mu.Unlock()
	if d.Pending+d.InFlight == 0 {
		e.log.Info("reload: sink removed; its consumer is kept, paused, with nothing queued now", "pipeline", k.pipeline, "sink", k.sink)
		return ParkedSink{}, false
	}
	e.log.Warn("reload: sink removed with deliveries still queued; they are kept, paused, until the sink is added back (same pipeline and name) or queue.retention expires them",
		"pipeline", k.pipeline, "sink", k.sink, "pending", d.Pending, "in_flight", d.InFlight)
	return ParkedSink{Pipeline: k.pipeline, Sink: k.sink, Pending: d.Pending, InFlight: d.InFlight}, true
}

// stopReloads refuses reloads from now on (Shutdown), after waiting for
// one in progress.
func (e *Engine) stopReloads() {
	e.reload.mu.Lock()
	e.reload.running = false
	e.reload.mu.Unlock()
}

// sinkKeys are the sinks whose backlog the engine reports: the configured
// ones, then the parked ones.
func (e *Engine) sinkKeys() []sinkKey {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []sinkKey
	for _, w := range e.workers {
		out = append(out, sinkKey{w.Pipeline, w.Sink.Name})
	}
	var parked []sinkKey
	for k := range e.reload.parked {
		parked = append(parked, k)
	}
	slices.SortFunc(parked, func(a, b sinkKey) int { return strings.Compare(a.String(), b.String()) })
	return append(out, parked...)
}

func (e *Engine) currentCatalog() *catalog.Catalog {
	if e == nil {
		return nil
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.catalog
}

// currentGuards seeds a reload's plugin guards: a reused plugin keeps its
// guard, shared by the old and the new workers.
func (e *Engine) currentGuards() map[*pluginhost.Plugin]*delivery.PluginGuard {
	if e == nil {
		return nil
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return maps.Clone(e.guards)
}

func pruneGuards(gs map[*pluginhost.Plugin]*delivery.PluginGuard, live []*pluginhost.Plugin) map[*pluginhost.Plugin]*delivery.PluginGuard {
	maps.DeleteFunc(gs, func(p *pluginhost.Plugin, _ *delivery.PluginGuard) bool { return !slices.Contains(live, p) })
	return gs
}

func workerKeys(ws []*delivery.Worker) map[sinkKey]*delivery.Worker {
	out := make(map[sinkKey]*delivery.Worker, len(ws))
	for _, w := range ws {
		out[sinkKey{w.Pipeline, w.Sink.Name}] = w
	}
	return out
}

func pipelineNamed(ps []*pipeline.Pipeline, name string) *pipeline.Pipeline {
	for _, p := range ps {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// carryStats adds the old worker's settled counts to the new one's (the
// old one has stopped), so the counts stay monotonic across reloads.
func carryStats(to, from *delivery.Sink) {
	to.Stats.Delivered.Add(from.Stats.Delivered.Load())
	to.Stats.Retried.Add(from.Stats.Retried.Load())
	to.Stats.Failed.Add(from.Stats.Failed.Load())
}

// restartOnly refuses changes to what is read only when the process
// starts: the server block (listener and limits, which the queue's message
// size also follows), the admin block and the queue block.
func restartOnly(cur, next *config.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	check := func(block string, changed []string) {
		if len(changed) == 0 {
			return
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Changing the %s block needs a restart", block),
			Detail: fmt.Sprintf("%s changed (%s). The %s block is applied when hookferry starts, so this reload is refused and nothing of the new configuration is applied; restart hookferry to apply it (systemctl restart hookferry), or undo the change to reload the rest.",
				block, strings.Join(changed, ", "), block),
			Subject: blockRange(next.Files, block),
		})
	}
	check("server", changedFields(cur.Server, next.Server))
	check("queue", changedFields(cur.Queue, next.Queue))
	var admin []string
	if cur.Admin.Listen != next.Admin.Listen {
		admin = append(admin, "listen")
	}
	if subtle.ConstantTimeCompare([]byte(cur.Admin.Token.Reveal()), []byte(next.Admin.Token.Reveal())) != 1 {
		admin = append(admin, "token")
	}
	check("admin", admin)
	return diags
}

// changedFields names (as HCL attributes) the exported fields that differ.
func changedFields[T any](a, b T) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var out []string
	for i := range va.NumField() {
		f := va.Type().Field(i)
		if !f.IsExported() || strings.HasSuffix(f.Name, "Range") {
			continue
		}
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			out = append(out, snake(f.Name))
		}
	}
	return out
}

func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// blockRange is where the first block of a kind is declared, for a
// diagnostic about it; nil when there is none (a block removed).
func blockRange(files map[string]*hcl.File, kind string) *hcl.Range {
	names := slices.Sorted(maps.Keys(files))
	for _, name := range names {
		body, ok := files[name].Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, b := range body.Blocks {
			if b.Type == kind {
				r := b.DefRange()
				return &r
			}
		}
	}
	return nil
}

// WatchFiles lists what a reload reads: the configuration's files and the
// files its components name with a "file" attribute (scripts), and the
// folders holding them (run --watch watches these).
func (e *Engine) WatchFiles() (dirs, files []string) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	seenDir := map[string]bool{}
	add := func(f string) {
		f = filepath.Clean(f)
		if !slices.Contains(files, f) {
			files = append(files, f)
		}
		if d := filepath.Dir(f); !seenDir[d] {
			seenDir[d] = true
			dirs = append(dirs, d)
		}
	}
	for name := range e.cfg.Files {
		if strings.HasSuffix(name, ".hcl") {
			add(name)
		}
	}
	for _, pc := range e.cfg.Pipelines {
		comps := slices.Clone(pc.Transforms)
		if pc.Source != nil {
			comps = append(comps, &pc.Source.Component)
		}
		for _, sc := range pc.Sinks {
			comps = append(comps, &sc.Component)
			comps = append(comps, sc.Transforms...)
		}
		for _, c := range comps {
			var v struct {
				File *string `json:"file"`
			}
			if json.Unmarshal(c.Config.Values, &v) == nil && v.File != nil && *v.File != "" {
				p := *v.File
				if !filepath.IsAbs(p) {
					p = filepath.Join(c.Config.BaseDir, p)
				}
				add(p)
			}
		}
	}
	slices.Sort(dirs)
	slices.Sort(files)
	return dirs, files
}
