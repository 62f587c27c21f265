package core

import (
	"cmp"
	"context"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/time/rate"

	"github.com/hookferry/hookferry/core/internal/config"
	"github.com/hookferry/hookferry/core/internal/delivery"
	"github.com/hookferry/hookferry/core/internal/pipeline"
	"github.com/hookferry/hookferry/core/internal/pluginhost"
	"github.com/hookferry/hookferry/sdk"
)

// build wires one configured pipeline: its ingress side (source to queue)
// and one delivery worker per sink. The catalog builds the components.
func (e *Engine) build(ctx context.Context, pc *config.Pipeline) (*pipeline.Pipeline, []*delivery.Worker, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	// The plugins a sink depends on: its own components' and those of the
	// pipeline's transforms.
	var pipelinePlugins, sinkPlugins []*pluginhost.Plugin
	uses := &pipelinePlugins
	component := func(c *config.Component) sdk.Component {
		comp, d := e.catalog.Build(ctx, e.cfg, c)
		diags = append(diags, d...)
		if p := e.catalog.Provider(c.Kind, c.Type); p != nil && comp != nil {
			*uses = append(*uses, p)
		}
		return comp
	}
	p := &pipeline.Pipeline{Name: pc.Name, Log: e.log, Tap: e.tap.Publish}
	if pc.Source != nil {
		p.SourceType, p.Events = pc.Source.Type, pc.Source.Events
		p.Metrics = e.metrics.Ingress(pc.Name, pc.Source.Type)
		if c := component(&pc.Source.Component); c != nil {
			p.Source = c.(sdk.Source)
		}
	}
	transforms := func(cs []*config.Component) []sdk.Transform {
		var out []sdk.Transform
		for _, tc := range cs {
			if c := component(tc); c != nil {
				out = append(out, c.(sdk.Transform))
			}
		}
		return out
	}
	chain := transforms(pc.Transforms)
	uses = &sinkPlugins
	var workers []*delivery.Worker
	for _, sc := range pc.Sinks {
		sinkPlugins = nil
		s := &delivery.Sink{
			Name: sc.Name, Type: sc.Type, Concurrency: sc.Concurrency, Ordered: sc.Ordered, TraceContext: sc.TraceContext,
			Transforms: transforms(sc.Transforms),
			Policy:     delivery.Policy{MaxAttempts: sc.Retry.MaxAttempts, Initial: sc.Retry.Initial, Max: sc.Retry.Max},
		}
		rl := sc.RateLimit
		if c := component(&sc.Component); c != nil {
			s.Sink = c.(sdk.Sink)
			if pc, ok := sdk.As[sdk.Pacer](c); ok && rl == 0 {
				rl = pc.DefaultRateLimit()
			}
		}
		if rl > 0 {
			s.Limiter = rate.NewLimiter(rate.Limit(rl), max(1, int(rl)))
		}
		if sc.Breaker.Failures > 0 {
			s.Breaker = delivery.NewBreaker(pc.Name+"/"+sc.Name, sc.Breaker.Failures, sc.Breaker.Cooldown, e.log)
		}
		s.Plugins = e.pluginGuards(append(slices.Clone(pipelinePlugins), sinkPlugins...))
		workers = append(workers, &delivery.Worker{Pipeline: pc.Name, Transforms: chain, Sink: s, Sender: e.client, Log: e.log,
			Metrics: e.metrics.Sink(pc.Name, sc.Name),
			// A held delivery renews its lease well inside ack_wait.
			HoldEvery: min(delivery.DefaultHoldEvery, e.cfg.Queue.AckWait/3)})
	}
	if diags.HasErrors() {
		return nil, nil, diags
	}
	return p, workers, diags
}

// pluginGuards gives the guards of ps, one per plugin shared by every
// sink, in name order (so that sinks take them in one order).
func (e *Engine) pluginGuards(ps []*pluginhost.Plugin) []*delivery.PluginGuard {
	if e.guards == nil {
		e.guards = map[*pluginhost.Plugin]*delivery.PluginGuard{}
	}
	var out []*delivery.PluginGuard
	for _, p := range ps {
		g, ok := e.guards[p]
		if !ok {
			g = delivery.NewPluginGuard(p)
			e.guards[p] = g
		}
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b *delivery.PluginGuard) int { return cmp.Compare(a.Plugin.Name(), b.Plugin.Name()) })
	return out
}
