package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/hookferry/hookferry/sdk"
)

const (
	secret = "shpss_6f1e6dd8b0f3e1c2"
	body   = `{"id":820982911946154508,"email":"jon@example.com","topic":"orders/create"}`
	vector = "v3VU1Gi87eSNJsISQaowcUMdEm57V0Y3TZjI9C6D+Cg=" // computed with Python's hmac
)

func newSource(t *testing.T, secrets ...string) *Source {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"secrets": secrets})
	s, err := New(context.Background(), sdk.Config{Values: b})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func request(sig, b string) *sdk.Request {
	return &sdk.Request{Header: sdk.Header{
		"x-shopify-hmac-sha256": {sig}, "x-shopify-topic": {"orders/create"}, "x-shopify-webhook-id": {"b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"},
	}, Body: []byte(b)}
}

func TestVectorRotationAndFlips(t *testing.T) {
	rec, err := newSource(t, "old", secret).Receive(context.Background(), request(vector, body))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Event.Type != "orders/create" || rec.Event.ID != "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043" || rec.Event.Header.Get("x-shopify-hmac-sha256") != "" {
		t.Fatalf("event %+v", rec.Event)
	}
	flip := func(v string, i int) string { b := []byte(v); b[i] ^= 1; return string(b) }
	s := newSource(t, secret)
	for name, r := range map[string]*sdk.Request{
		"body":      request(vector, flip(body, 7)),
		"signature": request(flip(vector, 2), body),
		"hex":       request("bf7551d468bcede48d26c2124906a8c1431d126e7b5746374d98c8f42e83f828", body),
		"missing":   request("", body),
	} {
		var rej *sdk.RejectError
		if _, err := s.Receive(context.Background(), r); !errors.As(err, &rej) || rej.Status != 401 {
			t.Errorf("%s: err = %v, want 401", name, err)
		}
	}
	if _, err := newSource(t, flip(secret, 3)).Receive(context.Background(), request(vector, body)); err == nil {
		t.Error("other secret accepted")
	}
}

func FuzzParseSignature(f *testing.F) {
	for _, s := range []string{"", vector, "abc", "====", vector + "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if sig, err := ParseSignature(v); err == nil && len(sig) != 32 {
			t.Fatalf("%q: %d bytes", v, len(sig))
		}
	})
}

// TestUnprefixedHeadersAccepted: Shopify's newer deliveries name the
// headers without "X-" (shopify-hmac-sha256, shopify-topic,
// shopify-event-id); Shopify's libraries accept them, so does the source.
// Both signature headers are removed before the event is stored.
func TestUnprefixedHeadersAccepted(t *testing.T) {
	s := newSource(t, secret)
	r := &sdk.Request{Header: sdk.Header{
		"shopify-hmac-sha256": {vector}, "shopify-topic": {"orders/create"}, "shopify-event-id": {"evt-98"},
	}, Body: []byte(body)}
	rec, err := s.Receive(context.Background(), r)
	if err != nil {
		t.Fatalf("unprefixed headers refused: %v", err)
	}
	if rec.Event.Type != "orders/create" || rec.Event.ID != "evt-98" || rec.Event.Header.Get("shopify-hmac-sha256") != "" {
		t.Fatalf("event %+v", rec.Event)
	}
	r.Body = []byte(body + " ")
	var rej *sdk.RejectError
	if _, err := s.Receive(context.Background(), r); !errors.As(err, &rej) || rej.Status != 401 {
		t.Fatalf("altered body under the unprefixed header: err = %v, want 401", err)
	}
	// The X- header is read first; a wrong one is not rescued by the other.
	r = request("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", body)
	r.Header["shopify-hmac-sha256"] = []string{vector}
	if _, err := s.Receive(context.Background(), r); !errors.As(err, &rej) || rej.Status != 401 {
		t.Fatalf("wrong x-shopify-hmac-sha256 beside a right shopify-hmac-sha256: err = %v, want 401", err)
	}
}
