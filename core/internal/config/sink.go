package config

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/hookferry/hookferry/sdk"
)

// DefaultSinkConcurrency is how many deliveries of one sink run at once.
const DefaultSinkConcurrency = 4

// Defaults of the breaker block.
const (
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = 2 * time.Second // the longest wait between trials (delivery.Breaker backs off up to it)
)

// Defaults of the retry block.
const (
	DefaultMaxAttempts  = 5
	DefaultRetryInitial = 200 * time.Millisecond
	DefaultRetryMax     = 10 * time.Second
)

// Sink is a named sink block: the component plus its own transforms and
// the host-level delivery settings.
type Sink struct {
	Component
	Name        string
	Transforms  []*Component
	Retry       Retry
	Concurrency int
	// RateLimit is requests per second; 0 means none.
	RateLimit float64
	// Ordered delivers one at a time in arrival order (Concurrency is 1).
	Ordered bool
	Breaker Breaker
	// TraceContext sends the W3C traceparent with the sink's requests
	// when tracing is on (trace_context = false opts out: a destination
	// that rejects unknown headers, or one that must not learn trace ids).
	TraceContext bool
}

// Retry is a sink's retry policy.
type Retry struct {
	MaxAttempts int
	Initial     time.Duration
	Max         time.Duration
}

// Breaker is a sink's circuit breaker; Failures 0 disables it.
type Breaker struct {
	Failures int
	Cooldown time.Duration
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
	TraceCtx    hcl.Expression  `hcl:"trace_context,optional"`
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

type rawBreaker struct {
	Failures hcl.Expression `hcl:"failures,optional"`
	Cooldown hcl.Expression `hcl:"cooldown,optional"`
	Enabled  hcl.Expression `hcl:"enabled,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
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
		Name:         rs.Name,
		Concurrency:  DefaultSinkConcurrency,
		Retry:        Retry{MaxAttempts: DefaultMaxAttempts, Initial: DefaultRetryInitial, Max: DefaultRetryMax},
		Breaker:      Breaker{Failures: DefaultBreakerFailures, Cooldown: DefaultBreakerCooldown},
		TraceContext: true,
	}
	concurrencySet := evalInt(rs.Concurrency, ectx, &s.Concurrency, 1, &diags)
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
	if v, ok := eval(rs.TraceCtx, ectx, cty.Bool, &diags); ok {
		s.TraceContext = v.True()
	}
	if s.Ordered {
		if concurrencySet && s.Concurrency > 1 {
			r := rs.Concurrency.Range()
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "ordered contradicts concurrency",
				Detail:   fmt.Sprintf("ordered = true delivers one at a time, in arrival order, so concurrency = %d can never apply. Remove concurrency, or set ordered = false.", s.Concurrency),
				Subject:  &r,
			})
		}
		s.Concurrency = 1
	}
	diags = append(diags, decodeBreaker(rs.Breaker, ectx, &s.Breaker)...)
	diags = append(diags, decodeRetry(rs.Retry, ectx, &s.Retry)...)
	for i, rt := range rs.Transforms {
		tc, d := l.transform(rt, fmt.Sprintf("%s/%s#%d", rs.Name, rt.Type, i+1), p.Name, base, ectx)
		diags = append(diags, d...)
		if tc != nil {
			s.Transforms = append(s.Transforms, tc)
		}
	}
	if c != nil {
		s.Component = *c
		p.Sinks = append(p.Sinks, s)
		l.collectSinkURLs(p.Name, s)
	}
	return diags
}

func decodeBreaker(blocks []*rawBreaker, ectx *hcl.EvalContext, b *Breaker) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for i, rb := range blocks {
		if i > 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate breaker block", Detail: "A sink takes at most one breaker block.", Subject: rb.DefRange.Ptr()})
			continue
		}
		if v, ok := eval(rb.Enabled, ectx, cty.Bool, &diags); ok && v.False() {
			b.Failures = 0
			continue
		}
		evalInt(rb.Failures, ectx, &b.Failures, 1, &diags)
		evalDuration(rb.Cooldown, ectx, &b.Cooldown, &diags)
	}
	return diags
}

func decodeRetry(blocks []*rawRetry, ectx *hcl.EvalContext, r *Retry) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for i, rr := range blocks {
		if i > 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate retry block", Detail: "A sink takes at most one retry block.", Subject: rr.DefRange.Ptr()})
			continue
		}
		evalInt(rr.MaxAttempts, ectx, &r.MaxAttempts, 1, &diags)
		evalDuration(rr.Initial, ectx, &r.Initial, &diags)
		evalDuration(rr.Max, ectx, &r.Max, &diags)
		if r.Max < r.Initial {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid retry block", Detail: "max must not be less than initial.", Subject: rr.DefRange.Ptr()})
		}
	}
	return diags
}
