package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// GitLab's signing token follows the Standard Webhooks specification, so
// the specification's published vector is a GitLab-signed request.
const (
	sigToken  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	sigID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	sigTS     = 1614265330
	sigBody   = `{"test": 2432232314}`
	sigVector = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func newSigned(t *testing.T, cfg map[string]any) *Source {
	t.Helper()
	b, _ := json.Marshal(cfg)
	s, err := New(context.Background(), sdk.Config{Values: b})
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return time.Unix(sigTS, 0) }
	return s
}

func signedRequest(id string, ts int64, sig, body string) *sdk.Request {
	return &sdk.Request{Header: sdk.Header{
		"webhook-id": {id}, "webhook-timestamp": {strconv.FormatInt(ts, 10)}, "webhook-signature": {sig},
		"x-gitlab-event": {"Push Hook"},
	}, Body: []byte(body)}
}

func is401(err error) bool {
	var rej *sdk.RejectError
	return errors.As(err, &rej) && rej.Status == 401
}

// TestSigningTokenVerifiesWebhookSignature: a gitlab source with only
// signing_tokens verifies webhook-signature over id, timestamp and body,
// within the tolerance, and keeps webhook-id as the event id.
func TestSigningTokenVerifiesWebhookSignature(t *testing.T) {
	s := newSigned(t, map[string]any{"signing_tokens": []string{"whsec_" + strings.Repeat("QUFB", 8), sigToken}, "tolerance": "5m"})
	rec, err := s.Receive(context.Background(), signedRequest(sigID, sigTS, sigVector, sigBody))
	if err != nil {
		t.Fatalf("signed request refused: %v", err)
	}
	if rec.Event.ID != sigID || rec.Event.Header.Get("webhook-signature") != "" || rec.Event.Type != "push" {
		t.Fatalf("event %+v", rec.Event)
	}
	flip := func(v string, i int) string { b := []byte(v); b[i] ^= 1; return string(b) }
	for name, r := range map[string]*sdk.Request{
		"body":          signedRequest(sigID, sigTS, sigVector, flip(sigBody, 3)),
		"id":            signedRequest(flip(sigID, 5), sigTS, sigVector, sigBody),
		"timestamp":     signedRequest(sigID, sigTS+1, sigVector, sigBody),
		"signature":     signedRequest(sigID, sigTS, flip(sigVector, 10), sigBody),
		"no signature":  signedRequest(sigID, sigTS, "", sigBody),
		"no id":         signedRequest("", sigTS, sigVector, sigBody),
		"token instead": {Header: sdk.Header{"x-gitlab-token": {sigToken}}, Body: []byte(sigBody)},
	} {
		if _, err := s.Receive(context.Background(), r); !is401(err) {
			t.Errorf("%s: err = %v, want 401", name, err)
		}
	}
	s.now = func() time.Time { return time.Unix(sigTS+301, 0) }
	if _, err := s.Receive(context.Background(), signedRequest(sigID, sigTS, sigVector, sigBody)); !is401(err) {
		t.Errorf("301s old: err = %v, want 401", err)
	}
}

// TestTokenAndSignatureBothRequiredWhenBothSet: with secrets and
// signing_tokens, a request must carry both; leaving one out is refused.
func TestTokenAndSignatureBothRequiredWhenBothSet(t *testing.T) {
	s := newSigned(t, map[string]any{"secrets": []string{"tok"}, "signing_tokens": []string{sigToken}})
	both := signedRequest(sigID, sigTS, sigVector, sigBody)
	both.Header["x-gitlab-token"] = []string{"tok"}
	rec, err := s.Receive(context.Background(), both)
	if err != nil {
		t.Fatalf("token and signature: %v", err)
	}
	if rec.Event.Header.Get("x-gitlab-token") != "" || rec.Event.Header.Get("webhook-signature") != "" {
		t.Fatalf("a secret was stored with the event: %+v", rec.Event.Header)
	}
	if _, err := s.Receive(context.Background(), signedRequest(sigID, sigTS, sigVector, sigBody)); !is401(err) {
		t.Errorf("signature without the token: err = %v, want 401", err)
	}
	tokenOnly := &sdk.Request{Header: sdk.Header{"x-gitlab-token": {"tok"}}, Body: []byte(sigBody)}
	if _, err := s.Receive(context.Background(), tokenOnly); !is401(err) {
		t.Errorf("token without the signature: err = %v, want 401", err)
	}
}

// TestGitLabNeedsAToken: no check at all, an empty list, or a signing
// token that is not whsec_ base64 is a configuration error that does not
// repeat the token.
func TestGitLabNeedsAToken(t *testing.T) {
	for name, cfg := range map[string]string{
		"nothing":          `{}`,
		"empty secrets":    `{"secrets":[]}`,
		"empty signing":    `{"signing_tokens":[]}`,
		"bad signing":      `{"signing_tokens":["whsec_not base64 SECRETVALUE"]}`,
		"short signing":    `{"signing_tokens":["whsec_QUFB"]}`,
		"absurd tolerance": `{"signing_tokens":["` + sigToken + `"],"tolerance":"87600h"}`,
	} {
		_, err := New(context.Background(), sdk.Config{Values: []byte(cfg)})
		var ds sdk.Diagnostics
		if !errors.As(err, &ds) || strings.Contains(err.Error(), "SECRETVALUE") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
