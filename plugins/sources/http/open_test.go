package http

import (
	"context"
	"errors"
	"testing"

	"github.com/hookferry/hookferry/sdk"
)

// TestSourceWithoutTokenOrHMACNeedsExplicitOptIn: an http source with
// neither token nor hmac started open; now it is a configuration error on
// allow_unauthenticated unless that is set, and setting it beside a check
// is refused as contradictory.
func TestSourceWithoutTokenOrHMACNeedsExplicitOptIn(t *testing.T) {
	token := map[string]any{"header": "Authorization", "secrets": []string{"t"}}
	hmacBlock := map[string]any{"header": "X-Sig", "algorithm": "sha256", "encoding": "hex", "secrets": []string{"k"}}
	tests := []struct {
		name string
		v    map[string]any
		ok   bool
	}{
		{"nothing", map[string]any{"methods": []string{"POST"}}, false},
		{"explicitly false", map[string]any{"methods": []string{"POST"}, "allow_unauthenticated": false}, false},
		{"opted in", map[string]any{"methods": []string{"POST"}, "allow_unauthenticated": true}, true},
		{"token", map[string]any{"methods": []string{"POST"}, "token": token}, true},
		{"hmac", map[string]any{"methods": []string{"POST"}, "hmac": hmacBlock}, true},
		{"opted in beside a token", map[string]any{"methods": []string{"POST"}, "token": token, "allow_unauthenticated": true}, false},
		{"opted in beside hmac", map[string]any{"methods": []string{"POST"}, "hmac": hmacBlock, "allow_unauthenticated": true}, false},
	}
	for _, tt := range tests {
		_, err := NewSource(context.Background(), conf(t, tt.v))
		if tt.ok {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		var ds sdk.Diagnostics
		if !errors.As(err, &ds) || len(ds) != 1 || ds[0].Attribute != "allow_unauthenticated" {
			t.Errorf("%s: err = %v, want one diagnostic on allow_unauthenticated", tt.name, err)
		}
	}
}
