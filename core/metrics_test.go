package core_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hookferry/hookferry/core"
)

// scrape GETs /metrics from the engine's admin API with token and parses
// the text format.
func scrape(t *testing.T, e *core.Engine, token string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+e.AdminAddr()+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("/metrics: %d %s", resp.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// metricValue finds the sample of name whose labels include want
// ("k=v,k=v"): a counter's or gauge's value, a histogram's count. ok is
// false when there is none.
func metricValue(fams map[string]*dto.MetricFamily, name, want string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if want != "" {
			for kv := range strings.SplitSeq(want, ",") {
				k, v, _ := strings.Cut(kv, "=")
				if got, ok := labels[k]; !ok || got != v {
					continue next
				}
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// TestMetricsCountRealTraffic sends real webhooks through a running engine
// (embedded JetStream) and checks the values /metrics reports: every
// ingress result, deliveries settled, dead letters, transform errors, the
// backlog and its age while a sink is down, its breaker, and the admin
// requests refused for their token.
func TestMetricsCountRealTraffic(t *testing.T) {
	ok := newDestination(t)
	rejecting := newDestination(t, 400, 400, 400)
	e := startEngine(t, map[string]string{"config.hcl": `
server { max_body_size = "1KiB" }
admin { token = env("ADMIN_TOKEN") }

pipeline "gh" {
  source "http" {
    path        = "/gh"
    type_header = "X-Event"
    events      = ["push"]
    token {
      header  = "X-Token"
      secrets = ["in-secret"]
    }
  }
  transform "javascript" { code = "function transform(e) { return {n: e.body.n}; }" }
  sink "http" "ok" { url = "` + ok.URL + `" }
}

pipeline "fail" {
  source "http" {
    path                  = "/fail"
    allow_unauthenticated = true
  }
  transform "javascript" { code = "function transform(e) { if (e.body.boom) { throw new Error('boom'); } return e.body; }" }
  sink "http" "bad" { url = "` + rejecting.URL + `" }
}

pipeline "down" {
  source "http" {
    path                  = "/down"
    allow_unauthenticated = true
  }
  sink "http" "down" {
    url = "http://` + closedPort(t) + `/"
    retry {
      max_attempts = 100
      initial      = "1h"
      max          = "1h"
    }
    breaker {
      failures = 1
      cooldown = "1h"
    }
  }
}
`}, map[string]string{"ADMIN_TOKEN": "admin-secret"})

	gh := func(body, event, token string) int {
		t.Helper()
		status, _ := post(t, e, "/gh", []byte(body), map[string]string{"X-Event": event, "X-Token": token, "Content-Type": "application/json"})
		return status
	}
	for i := range 3 {
		if s := gh(fmt.Sprintf(`{"n":%d}`, i), "push", "in-secret"); s != 202 {
			t.Fatalf("accepted: status %d", s)
		}
	}
	if s := gh(`{}`, "issues", "in-secret"); s != 200 {
		t.Fatalf("filtered: status %d", s)
	}
	if s := gh(`{}`, "push", "wrong"); s != 401 {
		t.Fatalf("unauthorized: status %d", s)
	}
	if s := gh(`{"pad":"`+strings.Repeat("x", 2048)+`"}`, "push", "in-secret"); s != 413 {
		t.Fatalf("too large: status %d", s)
	}
	if s, _ := post(t, e, "/nowhere/evt_123", []byte(`{}`), nil); s != 404 {
		t.Fatalf("no route: status %d", s)
	}
	for _, b := range []string{`{"boom":true}`, `{"fine":true}`} {
		if s, _ := post(t, e, "/fail", []byte(b), nil); s != 202 {
			t.Fatalf("fail pipeline: status %d", s)
		}
	}
	if s, _ := post(t, e, "/down", []byte(`{}`), nil); s != 202 {
		t.Fatalf("down pipeline: status %d", s)
	}
	ok.wait(t, 3)
	waitStats(t, e, "gh", "ok", 3, 0)
	waitStats(t, e, "fail", "bad", 0, 2)
	// The down sink's one event has failed once and waits for its retry.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, retried, _, _ := e.SinkStats("down", "down"); retried == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the down sink's first attempt did not fail")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Without the token: 401, counted.
	resp, err := http.Get("http://" + e.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/metrics without token: %d, want 401", resp.StatusCode)
	}

	fams := scrape(t, e, "admin-secret")
	want := []struct {
		name, labels string
		value        float64
	}{
		{"hookferry_webhooks_received_total", "pipeline=gh,source=http,result=accepted", 3},
		{"hookferry_webhooks_received_total", "pipeline=gh,source=http,result=filtered", 1},
		{"hookferry_webhooks_received_total", "pipeline=gh,source=http,result=unauthorized", 1},
		{"hookferry_webhooks_received_total", "pipeline=gh,source=http,result=too_large", 1},
		{"hookferry_webhooks_received_total", "pipeline=gh,source=http,result=duplicate", 0},
		{"hookferry_webhooks_received_total", "pipeline=,source=,result=bad_request", 1},
		{"hookferry_webhooks_received_total", "pipeline=fail,source=http,result=accepted", 2},
		// Requests the pipeline answered (not the 413 the ingress refused
		// before reading the body) are timed and sized.
		{"hookferry_http_server_request_duration_seconds", "pipeline=gh", 5},
		{"hookferry_http_server_request_body_size_bytes", "pipeline=gh", 5},
		{"hookferry_transform_duration_seconds", "pipeline=gh,sink=ok", 3},
		{"hookferry_transform_errors_total", "pipeline=fail,sink=bad,kind=exception", 1},
		{"hookferry_transform_errors_total", "pipeline=fail,sink=bad,kind=timeout", 0},
		{"hookferry_deliveries_total", "pipeline=gh,sink=ok,outcome=success", 3},
		{"hookferry_deliveries_total", "pipeline=gh,sink=ok,outcome=dead", 0},
		{"hookferry_deliveries_total", "pipeline=fail,sink=bad,outcome=dead", 2},
		{"hookferry_deliveries_total", "pipeline=down,sink=down,outcome=retry", 1},
		{"hookferry_delivery_latency_seconds", "pipeline=gh,sink=ok", 3},
		// Requests sent: 3 to ok, 1 to bad (the other died in its
		// transform), 1 to the closed port.
		{"hookferry_delivery_attempt_duration_seconds", "pipeline=gh,sink=ok", 3},
		{"hookferry_delivery_attempt_duration_seconds", "pipeline=fail,sink=bad", 1},
		{"hookferry_delivery_attempt_duration_seconds", "pipeline=down,sink=down", 1},
		{"hookferry_queue_pending", "pipeline=gh,sink=ok", 0},
		{"hookferry_queue_in_flight", "pipeline=gh,sink=ok", 0},
		{"hookferry_queue_oldest_pending_age_seconds", "pipeline=gh,sink=ok", 0},
		{"hookferry_queue_dead", "pipeline=fail,sink=bad", 2},
		{"hookferry_queue_dead", "pipeline=gh,sink=ok", 0},
		{"hookferry_queue_in_flight", "pipeline=down,sink=down", 1},
		{"hookferry_breaker_state", "pipeline=down,sink=down", 2},
		{"hookferry_admin_unauthorized_total", "", 1},
		{"hookferry_config_last_reload_successful", "", 1},
		{"hookferry_build_info", "goversion=" + runtime.Version(), 1},
	}
	for _, w := range want {
		got, found := metricValue(fams, w.name, w.labels)
		if !found || got != w.value {
			t.Errorf("%s{%s} = %v (found %v), want %v", w.name, w.labels, got, found, w.value)
		}
	}
	if age, _ := metricValue(fams, "hookferry_queue_oldest_pending_age_seconds", "pipeline=down,sink=down"); age <= 0 {
		t.Errorf("oldest pending age of the down sink = %v, want > 0", age)
	}
	if ts, _ := metricValue(fams, "hookferry_config_last_reload_success_timestamp_seconds", ""); ts < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("last reload timestamp %v is not recent", ts)
	}
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if _, found := metricValue(fams, name, ""); !found {
			t.Errorf("%s missing: the Go and process collectors are registered", name)
		}
	}
	// No label value comes from what a sender sent.
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), "nowhere") || strings.Contains(l.GetValue(), "evt_") {
					t.Errorf("%s has a label from the request path: %s=%s", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
}
