package core_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"testing"
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
