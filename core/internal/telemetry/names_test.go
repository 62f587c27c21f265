package telemetry

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/internal/buildinfo"
)

// root is the repository, from this package's folder.
const root = "../../.."

// registered gathers every family the registry can show: meters and a
// state are made so that each vector has a child.
func registered(t *testing.T) map[string]bool {
	t.Helper()
	m := New(buildinfo.Info{Version: "v1", GoVersion: "go1"}, nil)
	m.Ingress("p", "http").Count(Accepted)
	m.Ingress("p", "http").Request(1, time.Millisecond)
	s := m.Sink("p", "s")
	s.Transformed(time.Millisecond)
	s.Attempted(time.Millisecond)
	s.Delivered(time.Millisecond)
	m.ObserveState(func(context.Context) State {
		return State{
			Queues:   []queue.Depth{{Pipeline: "p", Sink: "s", Pending: 1}},
			Breakers: []Breaker{{Pipeline: "p", Sink: "s"}},
			Plugins:  []Plugin{{Name: "x"}},
		}
	})
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range fams {
		names[f.GetName()] = true
	}
	return names
}

var metricName = regexp.MustCompile(`\b(?:hookferry|go|process)_[a-z0-9_]+`)

// used lists the metric names an expression refers to, histogram series
// suffixes taken off.
func used(expr string) []string {
	var out []string
	for _, n := range metricName.FindAllString(expr, -1) {
		for _, suf := range []string{"_bucket", "_count", "_sum"} {
			base, ok := strings.CutSuffix(n, suf)
			if ok && (strings.HasSuffix(base, "_seconds") || strings.HasSuffix(base, "_bytes")) {
				n = base
			}
		}
		out = append(out, n)
	}
	return out
}

// TestShippedAlertsAndDashboardUseOnlyRealMetrics: every metric name in
// deploy/prometheus/alerts.yml and deploy/grafana/hookferry.json exists in
// the registry, and each file uses some (an empty parse would pass
// vacuously).
func TestShippedAlertsAndDashboardUseOnlyRealMetrics(t *testing.T) {
	names := registered(t)

	b, err := os.ReadFile(filepath.Join(root, "deploy/prometheus/alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert string
				Expr  string
			}
		}
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	var alerts []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			ns := used(r.Expr)
			if len(ns) == 0 {
				t.Errorf("alert %s uses no hookferry metric: %q", r.Alert, r.Expr)
			}
			for _, n := range ns {
				if !names[n] {
					t.Errorf("alert %s uses %s, which hookferry does not export", r.Alert, n)
				}
			}
		}
	}
	for _, want := range []string{"HookferryBacklogOld", "HookferryDeadLettersGrowing", "HookferryBreakerOpen", "HookferryConfigReloadFailed"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("alerts.yml has no %s", want)
		}
	}

	b, err = os.ReadFile(filepath.Join(root, "deploy/grafana/hookferry.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash any
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	var exprs []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if s, ok := c.(string); ok && (k == "expr" || k == "query") {
					exprs = append(exprs, s)
				}
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(dash)
	seen := map[string]bool{}
	for _, e := range exprs {
		for _, n := range used(e) {
			seen[n] = true
			if !names[n] {
				t.Errorf("dashboard query uses %s, which hookferry does not export: %q", n, e)
			}
		}
	}
	if len(seen) < 10 {
		t.Errorf("dashboard uses only %d metrics", len(seen))
	}
}

// TestOperationsGuideListsEveryMetric: docs/operations.md names every
// hookferry_ metric the registry exports.
func TestOperationsGuideListsEveryMetric(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "docs/operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	for n := range registered(t) {
		if strings.HasPrefix(n, Namespace+"_") && !strings.Contains(string(b), "`"+n+"`") {
			t.Errorf("docs/operations.md does not list `%s`", n)
		}
	}
}
