package core_test

import (
	"bytes"
	"testing"
)

// TestFiveMiBBodyIsAcceptedAndDelivered: with the defaults (max_body_size
// 5 MiB, embedded JetStream) a body of exactly 5 MiB is stored, answered
// 202 and delivered byte for byte. Before the queue was sized for the
// ingress limit, anything over NATS's 1 MiB got 503 for ever.
func TestFiveMiBBodyIsAcceptedAndDelivered(t *testing.T) {
	dest := newDestination(t)
	e := startEngine(t, map[string]string{"config.hcl": `
pipeline "big" {
  source "http" {
    path = "/in"
    allow_unauthenticated = true
  }
  sink "http" "out" { url = env("DEST") }
}`}, map[string]string{"DEST": dest.URL})
	body := bytes.Repeat([]byte("0123456789abcdef"), (5<<20)/16)
	if code, resp := post(t, e, "/in", body, map[string]string{"Content-Type": "application/octet-stream"}); code != 202 {
		t.Fatalf("status %d %s, want 202 for a %d-byte body", code, resp, len(body))
	}
	got := dest.wait(t, 1)
	if !bytes.Equal(got[0].Body, body) {
		t.Fatalf("delivered %d bytes, want the %d sent", len(got[0].Body), len(body))
	}
}
