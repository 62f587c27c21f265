package core_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestAdminTokenLocksEverythingButProbes: with admin.token set, every
// admin endpoint (the JSON API, /metrics, the tools) answers 401 without
// the bearer token or with a wrong one, and works with it; /livez and
// /readyz stay open; /ui/ is left to the console's own sessions; every
// refusal is counted in hookferry_admin_unauthorized_total.
func TestAdminTokenLocksEverythingButProbes(t *testing.T) {
	e := startEngine(t, map[string]string{"config.hcl": `
admin { token = env("T") }
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "log" "out" {}
}`}, map[string]string{"T": "s3cret-token"})
	base := "http://" + e.AdminAddr()
	do := func(method, path, auth string) int {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(`{}`))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	locked := []struct{ method, path string }{
		{"GET", "/v1/deliveries"},
		{"GET", "/v1/sinks"},
		{"POST", "/v1/replay"},
		{"GET", "/metrics"},
		{"POST", "/v1/transform/run"},
		{"GET", "/v1/nothing-here"},
		{"GET", "/livez/../v1/sinks"},
	}
	refused := 0
	for _, ep := range locked {
		for _, auth := range []string{"", "Bearer wrong", "Basic czNjcmV0LXRva2Vu", "Bearer s3cret-token-and-more", "s3cret-token"} {
			if got := do(ep.method, ep.path, auth); got != http.StatusUnauthorized {
				t.Errorf("%s %s with %q: %d, want 401", ep.method, ep.path, auth, got)
			}
			refused++
		}
	}
	for _, ep := range []struct{ method, path string }{{"GET", "/v1/deliveries"}, {"GET", "/v1/sinks"}, {"GET", "/metrics"}} {
		for _, auth := range []string{"Bearer s3cret-token", "bearer s3cret-token"} {
			if got := do(ep.method, ep.path, auth); got != http.StatusOK {
				t.Errorf("%s %s with the token: %d, want 200", ep.method, ep.path, got)
			}
		}
	}
	for _, p := range []string{"/livez", "/readyz"} {
		if got := do("GET", p, ""); got != http.StatusOK {
			t.Errorf("%s without token: %d, want 200", p, got)
		}
	}
	// /ui/ is not refused by the token check (nothing is mounted there
	// yet: the console owns it).
	if got := do("GET", "/ui/", ""); got == http.StatusUnauthorized {
		t.Errorf("/ui/ refused by the token check")
	}
	fams := scrape(t, e, "s3cret-token")
	if got, _ := metricValue(fams, "hookferry_admin_unauthorized_total", ""); got != float64(refused) {
		t.Errorf("admin_unauthorized_total = %v, want %d", got, refused)
	}
}

// TestAdminWithoutTokenIsOpenOnLoopback: no token configured (loopback
// only), everything answers without one, /metrics included.
func TestAdminWithoutTokenIsOpenOnLoopback(t *testing.T) {
	e := startEngine(t, map[string]string{"config.hcl": `
admin {}
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "log" "out" {}
}`}, nil)
	for _, p := range []string{"/v1/sinks", "/metrics", "/livez"} {
		resp, err := http.Get("http://" + e.AdminAddr() + p)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d, want 200", p, resp.StatusCode)
		}
	}
}
