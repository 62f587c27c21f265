package http

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

func conf(t *testing.T, v map[string]any) sdk.Config {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return sdk.Config{Values: b}
}

func TestSourceToken(t *testing.T) {
	s, err := NewSource(context.Background(), conf(t, map[string]any{
		"methods": []string{"post"},
		"token":   map[string]any{"header": "Authorization", "prefix": "Bearer ", "secrets": []string{"alpha", "beta-longer"}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		auth string
		ok   bool
	}{
		{"Bearer alpha", true},
		{"Bearer beta-longer", true},
		{"Bearer alph", false},
		{"Bearer alphaa", false},
		{"Bearer ", false},
		{"alpha", false},
		{"bearer alpha", false},
		{"", false},
	}
	for _, tt := range tests {
		req := &sdk.Request{Header: sdk.Header{"authorization": {tt.auth}, "x-other": {"kept"}}, Body: []byte("{}")}
		rec, err := s.Receive(context.Background(), req)
		var rej *sdk.RejectError
		switch {
		case tt.ok && err != nil:
			t.Errorf("%q rejected: %v", tt.auth, err)
		case !tt.ok && (!errors.As(err, &rej) || rej.Status != 401 || rej.Public != "unauthorized"):
			t.Errorf("%q: err = %v, want 401", tt.auth, err)
		case tt.ok:
			if rec.Event.Header.Get("authorization") != "" {
				t.Errorf("token stored with the event")
			}
			if rec.Event.Header.Get("x-other") != "kept" || req.Header.Get("authorization") == "" {
				t.Errorf("headers mangled")
			}
		}
	}
	if m := s.Methods(); len(m) != 1 || m[0] != "POST" {
		t.Errorf("methods %v", m)
	}
}

func TestSourceIDsAndType(t *testing.T) {
	s, err := NewSource(context.Background(), conf(t, map[string]any{"methods": []string{"POST"}, "type_header": "X-Event-Type", "allow_unauthenticated": true}))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rec, _ := s.Receive(context.Background(), &sdk.Request{ReceivedAt: at, Header: sdk.Header{
		"idempotency-key": {"idem"}, "x-request-id": {"req"}, "x-event-type": {"order.paid"}, "content-type": {"application/json"},
	}, Body: []byte(`{"a":1}`)})
	ev := rec.Event
	if ev.ID != "idem" || ev.Type != "order.paid" || ev.Source != "http" || ev.ContentType != "application/json" || !ev.ReceivedAt.Equal(at) {
		t.Fatalf("event %+v", ev)
	}
	rec, _ = s.Receive(context.Background(), &sdk.Request{Header: sdk.Header{"x-request-id": {"req"}}})
	if rec.Event.ID != "req" {
		t.Fatalf("id %q, want X-Request-Id", rec.Event.ID)
	}
	a, _ := s.Receive(context.Background(), &sdk.Request{Header: sdk.Header{}})
	b, _ := s.Receive(context.Background(), &sdk.Request{Header: sdk.Header{}})
	if len(a.Event.ID) != 26 || a.Event.ID >= b.Event.ID {
		t.Fatalf("generated ids %q, %q: want sortable ULIDs", a.Event.ID, b.Event.ID)
	}
}

func TestSourceConfigErrors(t *testing.T) {
	tests := []struct {
		v    map[string]any
		attr string
	}{
		{map[string]any{"methods": []string{"TRACE"}}, "methods"},
		{map[string]any{"methods": []string{}}, "methods"},
		{map[string]any{"methods": []string{"POST"}, "token": map[string]any{"header": "A", "secrets": []string{}}}, "token.secrets"},
		{map[string]any{"methods": []string{"POST"}, "token": map[string]any{"header": "A", "secrets": []string{""}}}, "token.secrets"},
		{map[string]any{"methods": []string{"POST"}, "token": map[string]any{"header": " ", "secrets": []string{"x"}}}, "token.header"},
	}
	for _, tt := range tests {
		_, err := NewSource(context.Background(), conf(t, tt.v))
		var ds sdk.Diagnostics
		if !errors.As(err, &ds) || ds[0].Attribute != tt.attr {
			t.Errorf("%v: err = %v, want a diagnostic on %s", tt.v, err, tt.attr)
		}
	}
}

func TestSourceHMACBlock(t *testing.T) {
	body := []byte(`{"event":{"kind":"order.paid"},"id":"ord_1"}`)
	mac := func(h func() hash.Hash, key string) []byte {
		m := hmac.New(h, []byte(key))
		m.Write(body)
		return m.Sum(nil)
	}
	tests := []struct {
		name, algorithm, encoding, prefix, header string
		ok                                        bool
	}{
		{"sha256 hex prefixed", "sha256", "hex", "sha256=", "sha256=" + hex.EncodeToString(mac(sha256.New, "k2")), true},
		{"sha1 base64", "sha1", "base64", "", base64.StdEncoding.EncodeToString(mac(sha1.New, "k1")), true},
		{"sha512 hex", "sha512", "hex", "", hex.EncodeToString(mac(sha512.New, "k1")), true},
		{"wrong key", "sha256", "hex", "", hex.EncodeToString(mac(sha256.New, "k3")), false},
		{"missing prefix", "sha256", "hex", "sha256=", hex.EncodeToString(mac(sha256.New, "k1")), false},
		{"wrong algorithm", "sha512", "hex", "", hex.EncodeToString(mac(sha256.New, "k1")), false},
		{"missing", "sha256", "hex", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSource(context.Background(), conf(t, map[string]any{
				"methods": []string{"POST"}, "type_path": "event.kind", "id_path": "id",
				"hmac": map[string]any{"header": "X-Sig", "algorithm": tt.algorithm, "encoding": tt.encoding, "prefix": tt.prefix, "secrets": []string{"k1", "k2"}},
			}))
			if err != nil {
				t.Fatal(err)
			}
			rec, err := s.Receive(context.Background(), &sdk.Request{Header: sdk.Header{"x-sig": {tt.header}}, Body: body})
			if !tt.ok {
				var rej *sdk.RejectError
				if !errors.As(err, &rej) || rej.Status != 401 {
					t.Fatalf("err = %v, want 401", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.Event.Type != "order.paid" || rec.Event.ID != "ord_1" || rec.Event.Header.Get("x-sig") != "" {
				t.Fatalf("event %+v", rec.Event)
			}
		})
	}
}

func TestSourceHMACConfigErrors(t *testing.T) {
	_, err := NewSource(context.Background(), conf(t, map[string]any{
		"methods": []string{"POST"}, "type_header": "X-T", "type_path": "t",
		"hmac": map[string]any{"header": "", "algorithm": "md5", "encoding": "base32", "prefix": "", "secrets": []string{}},
	}))
	var ds sdk.Diagnostics
	if !errors.As(err, &ds) {
		t.Fatal(err)
	}
	want := map[string]bool{"type_path": true, "hmac.header": true, "hmac.algorithm": true, "hmac.encoding": true, "hmac.secrets": true}
	for _, d := range ds {
		delete(want, d.Attribute)
	}
	if len(want) != 0 {
		t.Fatalf("missing diagnostics for %v in %v", want, ds)
	}
}

// TestSigningMatchesSpecVector: the signature the sink sends is the one
// the Standard Webhooks specification publishes for its test vector.
