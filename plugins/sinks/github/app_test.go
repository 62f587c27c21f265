package github

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookferry/hookferry/sdk"
)

// fakeGitHub issues installation tokens to JWTs signed with the App's key
// and records them.
type fakeGitHub struct {
	*httptest.Server
	mu        sync.Mutex
	exchanges int
	lifetime  time.Duration
}

func newFakeGitHub(t *testing.T, pub *rsa.PublicKey) *fakeGitHub {
	f := &fakeGitHub{lifetime: time.Hour}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/app/installations/42/access_tokens" || r.Method != http.MethodPost {
			http.Error(w, "unexpected", 404)
			return
		}
		raw := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		var claims jwt.RegisteredClaims
		tok, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return pub, nil }, jwt.WithValidMethods([]string{"RS256"}))
		if err != nil || !tok.Valid || claims.Issuer != "7" {
			http.Error(w, `{"message":"A JSON web token could not be decoded"}`, 401)
			return
		}
		f.mu.Lock()
		f.exchanges++
		n := f.exchanges
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"token": fmt.Sprintf("ghs_%d", n), "expires_at": time.Now().Add(f.lifetime).UTC()})
	}))
	t.Cleanup(f.Close)
	return f
}

func pemKey(t *testing.T) (*rsa.PrivateKey, string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}

func appSink(t *testing.T, apiURL, key string) *Sink {
	t.Helper()
	b, _ := json.Marshal(map[string]any{
		"repository": "o/r", "action": "repository_dispatch", "api_url": apiURL, "timeout": "5s",
		"app": map[string]any{"app_id": 7, "installation_id": 42, "private_key": key},
	})
	s, err := New(context.Background(), sdk.Config{Values: b})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAppInstallationToken(t *testing.T) {
	key, keyPEM := pemKey(t)
	gh := newFakeGitHub(t, &key.PublicKey)
	s := appSink(t, gh.URL, keyPEM)
	msg := sdk.Message{Body: []byte(`{"event_type":"x"}`), ContentType: sdk.ContentTypeJSON}

	for range 3 {
		out, err := s.Render(context.Background(), msg)
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Header.Get("authorization"); got != "Bearer ghs_1" {
			t.Fatalf("authorization %q", got)
		}
	}
	if gh.exchanges != 1 {
		t.Fatalf("%d token exchanges for 3 messages, want 1 (cached)", gh.exchanges)
	}

	// Close to expiry, a new token is fetched.
	s.app.now = func() time.Time { return time.Now().Add(time.Hour - 30*time.Second) }
	out, _ := s.Render(context.Background(), msg)
	if out.Header.Get("authorization") != "Bearer ghs_2" || gh.exchanges != 2 {
		t.Fatalf("after expiry: %q, %d exchanges", out.Header.Get("authorization"), gh.exchanges)
	}

	// A rejected token is dropped and the attempt retried.
	s.app.now = time.Now
	v := s.Interpret(context.Background(), out, &sdk.Response{StatusCode: 401, Header: sdk.Header{}})
	if v.Outcome != sdk.Retry {
		t.Fatalf("401 with app auth: %v", v.Outcome)
	}
	out, _ = s.Render(context.Background(), msg)
	if out.Header.Get("authorization") != "Bearer ghs_3" {
		t.Fatalf("after a 401: %q", out.Header.Get("authorization"))
	}
}

func TestAppWrongKeyIsPermanent(t *testing.T) {
	key, _ := pemKey(t)
	gh := newFakeGitHub(t, &key.PublicKey)
	_, otherPEM := pemKey(t)
	s := appSink(t, gh.URL, otherPEM)
	_, err := s.Render(context.Background(), sdk.Message{Body: []byte(`{"event_type":"x"}`), ContentType: sdk.ContentTypeJSON})
	if err == nil || !sdk.IsPermanent(err) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v", err)
	}
}

func TestAppConfigErrors(t *testing.T) {
	for name, v := range map[string]map[string]any{
		"both":        {"token": "t", "app": map[string]any{"app_id": 1, "installation_id": 2, "private_key": "x"}},
		"neither":     {},
		"bad key pem": {"app": map[string]any{"app_id": 1, "installation_id": 2, "private_key": "not a key"}},
	} {
		v["repository"], v["action"], v["api_url"], v["timeout"] = "o/r", "create_issue", "https://api.github.com", "5s"
		b, _ := json.Marshal(v)
		_, err := New(context.Background(), sdk.Config{Values: b})
		if _, ok := err.(sdk.Diagnostics); !ok {
			t.Errorf("%s: err = %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "not a key") {
			t.Errorf("%s: the key leaked into the error", name)
		}
	}
}
