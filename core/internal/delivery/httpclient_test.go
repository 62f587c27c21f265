package delivery

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hookferry/hookferry/sdk"
)

// TestHTTPClientFollowsTheEgressPolicy: the net/http client components get
// from the host refuses what the delivery client refuses, permanently,
// before connecting.
func TestHTTPClientFollowsTheEgressPolicy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusTeapot)
	}))
	defer srv.Close()
	get := func(hc *http.Client, url string) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
		resp, err := hc.Do(req)
		if resp != nil {
			resp.Body.Close()
		}
		return resp, err
	}

	resp, err := get(Egress{DenyPrivate: false}.HTTPClient(), srv.URL)
	if err != nil || resp.StatusCode != http.StatusTeapot {
		t.Fatalf("loopback allowed by policy: %v, %v", resp, err)
	}
	resp, err = get(Egress{}.HTTPClient(), srv.URL+"/redirect")
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("a redirect is returned, not followed: %v, %v", resp, err)
	}

	_, err = get(Egress{DenyPrivate: true}.HTTPClient(), srv.URL)
	if !errors.Is(err, ErrEgressRefused) || !sdk.IsPermanent(err) {
		t.Fatalf("deny_private, loopback: err = %v, want a permanent egress refusal", err)
	}
	_, err = get(Egress{}.HTTPClient(), "http://169.254.169.254/latest/meta-data/")
	if !errors.Is(err, ErrEgressRefused) {
		t.Fatalf("metadata address: err = %v, want an egress refusal", err)
	}
}
