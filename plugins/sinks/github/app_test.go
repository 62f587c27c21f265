package github

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
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
	// refuse, when set, answers the exchange instead (a rate limit).
	refuse func(w http.ResponseWriter) bool
}

func newFakeGitHub(t *testing.T, pub *rsa.PublicKey) *fakeGitHub {
	f := &fakeGitHub{lifetime: time.Hour}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/app/installations/42/access_tokens" || r.Method != http.MethodPost {
			http.Error(w, "unexpected", 404)
			return
		}
		f.mu.Lock()
		refuse := f.refuse
		f.mu.Unlock()
		if refuse != nil && refuse(w) {
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

// recorder is the host's HTTP client in these tests: it counts what goes
// through it.
type recorder struct {
	mu   sync.Mutex
	urls []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.urls = append(r.urls, req.URL.String())
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func appSink(t *testing.T, apiURL, key string) *Sink {
	t.Helper()
	return appSinkWith(t, apiURL, key, &http.Client{Transport: &recorder{}})
}

func appSinkWith(t *testing.T, apiURL, key string, hc *http.Client) *Sink {
	t.Helper()
	b, _ := json.Marshal(map[string]any{
		"repository": "o/r", "action": "repository_dispatch", "api_url": apiURL, "timeout": "5s",
		"app": map[string]any{"app_id": 7, "installation_id": 42, "private_key": key},
	})
	s, err := New(context.Background(), sdk.Config{Values: b, HTTP: hc})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAppTokenExchangeUsesTheHostsClient: the exchange goes through the
// client the host gives (sdk.Config.HTTP, under its egress policy), and
// without a host it is refused rather than sent around the policy.
func TestAppTokenExchangeUsesTheHostsClient(t *testing.T) {
	key, keyPEM := pemKey(t)
	gh := newFakeGitHub(t, &key.PublicKey)
	rec := &recorder{}
	s := appSinkWith(t, gh.URL, keyPEM, &http.Client{Transport: rec})
	msg := sdk.Message{Body: []byte(`{"event_type":"x"}`), ContentType: sdk.ContentTypeJSON}
	if _, err := s.Render(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if len(rec.urls) != 1 || rec.urls[0] != gh.URL+"/app/installations/42/access_tokens" {
		t.Fatalf("requests through the host's client: %v", rec.urls)
	}

	hostless := appSinkWith(t, gh.URL, keyPEM, nil)
	_, err := hostless.Render(context.Background(), msg)
	if !errors.Is(err, sdk.ErrNoHost) || !sdk.IsPermanent(err) {
		t.Fatalf("without a host: err = %v, want sdk.ErrNoHost, permanent", err)
	}
	if gh.exchanges != 1 {
		t.Fatalf("%d exchanges reached GitHub, want 1", gh.exchanges)
	}
}

// TestAppTokenExchangeRateLimitRetriesLater: a 403 or 429 rate-limit
// answer to the exchange is retried no sooner than GitHub asks, as the
// same answer from the API would be; a plain 403 stays permanent.
func TestAppTokenExchangeRateLimitRetriesLater(t *testing.T) {
	key, keyPEM := pemKey(t)
	gh := newFakeGitHub(t, &key.PublicKey)
	s := appSink(t, gh.URL, keyPEM)
	now := time.Unix(1_800_000_000, 0)
	s.app.now = func() time.Time { return now }
	msg := sdk.Message{Body: []byte(`{"event_type":"x"}`), ContentType: sdk.ContentTypeJSON}
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		permanent bool
		after     time.Duration
	}{
		{"secondary limit 429", 429, map[string]string{"Retry-After": "30"}, false, 30 * time.Second},
		{"secondary limit 403", 403, map[string]string{"Retry-After": "90"}, false, 90 * time.Second},
		{"primary limit", 403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": fmt.Sprint(now.Add(5 * time.Minute).Unix())}, false, 5 * time.Minute},
		{"429 without a hint", 429, nil, false, time.Minute},
		{"forbidden", 403, nil, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh.mu.Lock()
			gh.refuse = func(w http.ResponseWriter) bool {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				http.Error(w, `{"message":"no"}`, tt.status)
				return true
			}
			gh.mu.Unlock()
			_, err := s.Render(context.Background(), msg)
			if err == nil || sdk.IsPermanent(err) != tt.permanent {
				t.Fatalf("err = %v, want permanent %v", err, tt.permanent)
			}
			after, ok := sdk.RetryAfterOf(err)
			if ok != !tt.permanent || after != tt.after {
				t.Fatalf("retry after %v (%v), want %v", after, ok, tt.after)
			}
			if v := sdk.ClassifyError(err); !tt.permanent && (v.Outcome != sdk.Retry || v.RetryAfter != tt.after) {
				t.Fatalf("classified as %+v", v)
			}
		})
	}
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
