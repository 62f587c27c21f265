package github

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"testing"

	"github.com/hookferry/hookferry/internal/corpus"
	"github.com/hookferry/hookferry/sdk"
)

func newSource(t *testing.T, secrets ...string) *Source {
	t.Helper()
	vals := `{"secrets":[`
	for i, s := range secrets {
		if i > 0 {
			vals += ","
		}
		vals += `"` + s + `"`
	}
	s, err := New(context.Background(), sdk.Config{Values: []byte(vals + `]}`)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func req(body []byte, sig, event string) *sdk.Request {
	h := sdk.Header{"content-type": {"application/json"}, "x-github-delivery": {"72d3162e-cc78-11e3-81ab-4c9367dc0958"}}
	if sig != "" {
		h.Set("X-Hub-Signature-256", sig)
	}
	if event != "" {
		h.Set("X-GitHub-Event", event)
	}
	return &sdk.Request{Header: h, Body: body}
}

func unauthorized(err error) bool {
	var r *sdk.RejectError
	return errors.As(err, &r) && r.Status == 401
}

// TestGitHubDocsVector is the example from GitHub's "Validating webhook
// deliveries" page.
func TestGitHubDocsVector(t *testing.T) {
	s := newSource(t, "It's a Secret to Everybody")
	_, err := s.Receive(context.Background(), req([]byte("Hello, World!"),
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "ping"))
	if err != nil {
		t.Fatal(err)
	}
}

// TestCorpusVector is the vector over the ping payload given in the
// shared corpus README (computed there with openssl and Python).
func TestCorpusVector(t *testing.T) {
	body := corpus.Read(t, "octokit-webhooks/api.github.com/ping/payload.json")
	rec, err := newSource(t, "It's a Secret to Everybody").Receive(context.Background(), req(body,
		"sha256=0781a4c342e19ba538f4541868124c3fc6deb4b56ae69a04a38e6cd5c188806a", "ping"))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Event.Type != "ping" || rec.Event.ID != "72d3162e-cc78-11e3-81ab-4c9367dc0958" {
		t.Fatalf("event %+v", rec.Event)
	}
	if rec.Event.Header.Get("x-hub-signature-256") != "" {
		t.Fatal("signature stored with the event")
	}
}

func TestBitFlipsAndRotation(t *testing.T) {
	body := []byte(`{"action":"opened","number":1}`)
	good := sign("new-secret", body)
	s := newSource(t, "old-secret", "new-secret")
	if _, err := s.Receive(context.Background(), req(body, good, "issues")); err != nil {
		t.Fatalf("rotation: new secret rejected: %v", err)
	}
	if _, err := s.Receive(context.Background(), req(body, sign("old-secret", body), "issues")); err != nil {
		t.Fatalf("rotation: old secret rejected: %v", err)
	}
	flippedBody := append([]byte(nil), body...)
	flippedBody[5] ^= 1
	flippedSig := []byte(good)
	flippedSig[len(flippedSig)-1] ^= 1
	tests := map[string]*sdk.Request{
		"body bit":      req(flippedBody, good, "issues"),
		"signature bit": req(body, string(flippedSig), "issues"),
		"other secret":  req(body, sign("new-secreT", body), "issues"),
		"missing":       req(body, "", "issues"),
		"sha1 prefix":   req(body, "sha1="+good[7:], "issues"),
		"short":         req(body, good[:20], "issues"),
		"not hex":       req(body, "sha256=zz"+good[9:], "issues"),
	}
	for name, r := range tests {
		if _, err := s.Receive(context.Background(), r); !unauthorized(err) {
			t.Errorf("%s: err = %v, want 401", name, err)
		}
	}
}

func TestHeaderNamesAreCaseInsensitive(t *testing.T) {
	// The ingress lower-cases names; a sender's casing never matters.
	body := []byte(`{}`)
	h := sdk.Header{}
	h.Set("X-HUB-SIGNATURE-256", sign("s", body))
	h.Set("X-Github-Event", "ping")
	if _, err := newSource(t, "s").Receive(context.Background(), &sdk.Request{Header: h, Body: body}); err != nil {
		t.Fatal(err)
	}
}

func TestFormEncodedPayload(t *testing.T) {
	payload := `{"action":"created","comment":{"id":1}}`
	body := []byte("payload=" + url.QueryEscape(payload))
	r := req(body, sign("s", body), "issue_comment")
	r.Header.Set("content-type", "application/x-www-form-urlencoded")
	rec, err := newSource(t, "s").Receive(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if string(rec.Event.Body) != payload || rec.Event.Type != "issue_comment.created" || rec.Event.ContentType != sdk.ContentTypeJSON {
		t.Fatalf("event %+v", rec.Event)
	}
}

func TestEmptySecretListIsAConfigError(t *testing.T) {
	for _, v := range []string{`{"secrets":[]}`, `{"secrets":[""]}`} {
		_, err := New(context.Background(), sdk.Config{Values: []byte(v)})
		var ds sdk.Diagnostics
		if !errors.As(err, &ds) || ds[0].Attribute != "secrets" {
			t.Errorf("%s: err = %v", v, err)
		}
	}
}

func FuzzParseSignature(f *testing.F) {
	for _, s := range []string{"", "sha256=", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "sha1=abc", "sha256=zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		sig, err := ParseSignature(v)
		if err == nil && len(sig) != sha256.Size {
			t.Fatalf("%q accepted with %d bytes", v, len(sig))
		}
	})
}
