package core_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestShopifyTopicsPassStarPatterns: a verified Shopify orders/create is
// stored under events = ["orders*"] (it was answered 200 ignored and lost),
// and a topic the list does not take is counted as filtered.
func TestShopifyTopicsPassStarPatterns(t *testing.T) {
	const secret = "shpss_test_secret"
	e := startEngineWithLogger(t, `
pipeline "shop" {
  source "shopify" {
    path    = "/hooks/shopify"
    secrets = ["`+secret+`"]
    events  = ["orders*"]
  }
  sink "log" "out" {}
}`, slog.New(slog.DiscardHandler))
	send := func(topic, id string) (int, string) {
		body := []byte(`{"id":820982911946154508}`)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		st, b := post(t, e, "/hooks/shopify", body, map[string]string{
			"Content-Type":          "application/json",
			"X-Shopify-Hmac-Sha256": base64.StdEncoding.EncodeToString(m.Sum(nil)),
			"X-Shopify-Topic":       topic,
			"X-Shopify-Webhook-Id":  id,
		})
		return st, string(b)
	}
	if st, b := send("orders/create", "w1"); st != 202 {
		t.Fatalf("orders/create under orders*: %d %s, want 202", st, b)
	}
	if st, b := send("products/update", "w2"); st != 200 || b != `{"status":"ignored","type":"products/update"}` {
		t.Fatalf("products/update under orders*: %d %s, want 200 ignored", st, b)
	}
	waitStats(t, e, "shop", "out", 1, 0)
	if n, ok := e.FilteredEvents("shop"); !ok || n != 1 {
		t.Fatalf("filtered = %d (pipeline found: %v), want 1", n, ok)
	}
}

// TestGitLabSignedWebhookEndToEnd: a gitlab source configured with only a
// signing token (no secret token) loads, accepts a request signed the
// Standard Webhooks way (signed here with crypto/hmac, not our code) and
// refuses the same request with an altered body.
func TestGitLabSignedWebhookEndToEnd(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	token := "whsec_" + base64.StdEncoding.EncodeToString(key)
	e := startEngineWithLogger(t, `
pipeline "gl" {
  source "gitlab" {
    path           = "/hooks/gitlab"
    signing_tokens = ["`+token+`"]
  }
  sink "log" "out" {}
}`, slog.New(slog.DiscardHandler))
	body := `{"object_kind":"push","ref":"refs/heads/main"}`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, key)
	m.Write([]byte("idem-1." + ts + "." + body))
	h := map[string]string{
		"Content-Type": "application/json", "X-Gitlab-Event": "Push Hook", "Idempotency-Key": "idem-1",
		"Webhook-Id": "idem-1", "Webhook-Timestamp": ts, "Webhook-Signature": "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)),
	}
	if st, b := post(t, e, "/hooks/gitlab", []byte(body+" "), h); st != 401 {
		t.Fatalf("altered body: %d %s, want 401", st, b)
	}
	if st, b := post(t, e, "/hooks/gitlab", []byte(body), h); st != 202 {
		t.Fatalf("signed push: %d %s, want 202", st, b)
	}
	waitStats(t, e, "gl", "out", 1, 0)
}

// TestUnauthenticatedHTTPSourceIsAConfigError: an http source with neither
// token nor hmac started open; validate now reports it at the source block,
// and an absurd tolerance (87600h was accepted) at its line.
func TestUnauthenticatedHTTPSourceIsAConfigError(t *testing.T) {
	out := validateDiags(t, `pipeline "p" {
  source "http" {
    path = "/in"
  }
  sink "log" "out" {}
}
pipeline "s" {
  source "stripe" {
    path      = "/stripe"
    secrets   = ["whsec_x"]
    tolerance = "87600h"
  }
  sink "log" "out" {}
}`)
	for _, want := range []string{"c.hcl:2:3: error: Unauthenticated source", "allow_unauthenticated = true", "c.hcl:11:5: error: Tolerance too wide", "at most 1h is accepted"} {
		if !strings.Contains(out, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "whsec_x") {
		t.Errorf("a secret was printed:\n%s", out)
	}
}
