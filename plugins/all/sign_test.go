package all_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/hookferry/hookferry/plugins/all"
	"github.com/hookferry/hookferry/sdk"
)

// TestSignersSignWhatTheirSourceAccepts: every built-in source that can
// sign (for `hookferry test`'s sign = true) signs a request so that its own
// Receive accepts it, and the same request with one byte of the body
// changed is refused as unauthorized. Signing and verifying are written
// separately in each source, so this checks each against the other.
func TestSignersSignWhatTheirSourceAccepts(t *testing.T) {
	configs := map[string]map[string]any{
		"http":             {"methods": []string{"POST"}, "token": map[string]any{"header": "Authorization", "prefix": "Bearer ", "secrets": []string{"tok"}}, "hmac": map[string]any{"header": "X-Sig", "algorithm": "sha256", "encoding": "base64", "prefix": "sha256=", "secrets": []string{"k"}}},
		"github":           {"secrets": []string{"gh-secret"}},
		"stripe":           {"secrets": []string{"whsec_stripe"}, "tolerance": "5m"},
		"slack":            {"secrets": []string{"slack-secret"}, "tolerance": "5m"},
		"gitlab":           {"secrets": []string{"gl-token"}, "signing_tokens": []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "tolerance": "5m"},
		"shopify":          {"secrets": []string{"shp"}},
		"standardwebhooks": {"secrets": []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "tolerance": "5m"},
	}
	body := `{"id":"evt_1","type":"invoice.paid","object_kind":"push","action":"opened"}`
	signed := 0
	for _, d := range all.Definitions(all.Options{Stdout: io.Discard}) {
		if d.Kind != sdk.KindSource {
			continue
		}
		t.Run(d.Name, func(t *testing.T) {
			cfg, ok := configs[d.Name]
			if !ok {
				t.Fatalf("no signing case for source %q", d.Name)
			}
			raw, _ := json.Marshal(cfg)
			c, err := d.Build(context.Background(), sdk.Config{Values: raw})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(context.Background())
			signer, ok := c.(sdk.Signer)
			if !ok {
				t.Fatalf("source %q cannot sign", d.Name)
			}
			newReq := func(b string) *sdk.Request {
				h := sdk.Header{}
				h.Set("Content-Type", "application/json")
				h.Set("X-GitHub-Event", "issues")
				h.Set("X-Shopify-Topic", "orders/create")
				return &sdk.Request{Method: "POST", Path: "/in", Header: h, Body: []byte(b), ReceivedAt: time.Now().UTC()}
			}
			r := newReq(body)
			if err := signer.Sign(r); err != nil {
				t.Fatal(err)
			}
			if _, err := c.(sdk.Source).Receive(context.Background(), r); err != nil {
				t.Fatalf("the source refused its own signature: %v", err)
			}
			tampered := newReq(body[:len(body)-1] + " }")
			tampered.Header = r.Header.Clone()
			_, err = c.(sdk.Source).Receive(context.Background(), tampered)
			var se *sdk.RejectError
			if !errors.As(err, &se) || se.Status != 401 {
				t.Fatalf("a tampered body was not refused as unauthorized: %v", err)
			}
			signed++
		})
	}
	if signed == 0 {
		t.Fatal("no source signed anything")
	}
}
