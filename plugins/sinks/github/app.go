package github

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookferry/hookferry/sdk"
)

// appAuth authenticates as a GitHub App installation: a JWT signed with
// the App's private key is exchanged for an installation token, which is
// cached until shortly before it expires.
type appAuth struct {
	appID          string
	installationID int64
	key            *rsa.PrivateKey
	apiURL         string
	hc             *http.Client
	now            func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

// refreshBefore renews the installation token this long before it expires.
const refreshBefore = time.Minute

// Token returns a valid installation token, exchanging a new one when the
// cached one is missing or about to expire.
func (a *appAuth) Token(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if a.token != "" && now.Add(refreshBefore).Before(a.expires) {
		return a.token, nil
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.RegisteredClaims{
		Issuer:    a.appID,
		IssuedAt:  jwt.NewNumericDate(now.Add(-time.Minute)), // GitHub allows for clock drift this way
		ExpiresAt: jwt.NewNumericDate(now.Add(9 * time.Minute)),
	}).SignedString(a.key)
	if err != nil {
		return "", sdk.Permanent(fmt.Errorf("github app: signing the JWT: %w", err))
	}
	url := a.apiURL + "/app/installations/" + strconv.FormatInt(a.installationID, 10) + "/access_tokens"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return "", sdk.Permanent(err)
	}
	req.Header.Set("Authorization", "Bearer "+signed)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", APIVersion)
	req.Header.Set("User-Agent", "hookferry")
	resp, err := a.hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("github app: token exchange: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusCreated {
		err := fmt.Errorf("github app: token exchange answered %d: %.200s", resp.StatusCode, body)
		// A rate limit waits exactly as the same answer from the API does.
		if v, limited := rateLimited(&sdk.Response{StatusCode: resp.StatusCode, Header: sdkHeader(resp.Header)}, now); limited {
			return "", sdk.RetryAfter(fmt.Errorf("%s: %w", v.Reason, err), v.RetryAfter)
		}
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound {
			return "", sdk.Permanent(err) // wrong app id, key or installation
		}
		return "", err
	}
	var tok struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.Token == "" {
		return "", fmt.Errorf("github app: unreadable token answer")
	}
	a.token, a.expires = tok.Token, tok.ExpiresAt
	return a.token, nil
}

func sdkHeader(h http.Header) sdk.Header {
	out := make(sdk.Header, len(h))
	for k, vs := range h {
		for _, v := range vs {
			out.Add(k, v)
		}
	}
	return out
}

// forget drops the cached token (GitHub rejected it: revoked).
func (a *appAuth) forget() {
	a.mu.Lock()
	a.token = ""
	a.mu.Unlock()
}
