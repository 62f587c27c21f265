package delivery

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/hookferry/hookferry/sdk"
)

func TestEgressCheck(t *testing.T) {
	tests := []struct {
		addr        string
		always      bool // refused even without deny_private
		denyPrivate bool // refused with deny_private
	}{
		{"169.254.169.254", true, true},
		{"::ffff:169.254.169.254", true, true},
		{"64:ff9b::a9fe:a9fe", true, true}, // NAT64 form of 169.254.169.254
		{"fd00:ec2::254", true, true},
		{"169.254.170.2", true, true},
		{"127.0.0.1", false, true},
		{"127.8.9.10", false, true},
		{"::1", false, true},
		{"::ffff:127.0.0.1", false, true},
		{"64:ff9b::7f00:1", false, true}, // NAT64 form of 127.0.0.1
		{"10.1.2.3", false, true},
		{"172.16.0.1", false, true},
		{"172.31.255.255", false, true},
		{"192.168.1.1", false, true},
		{"::ffff:192.168.1.1", false, true},
		{"100.64.0.1", false, true},
		{"fc00::1", false, true},
		{"fd12:3456::1", false, true},
		{"169.254.1.1", false, true},
		{"fe80::1", false, true},
		{"0.0.0.0", false, true},
		{"::", false, true},
		{"224.0.0.1", false, true},
		{"8.8.8.8", false, false},
		{"172.32.0.1", false, false},
		{"2001:4860:4860::8888", false, false},
		{"64:ff9b::808:808", false, false}, // NAT64 form of 8.8.8.8
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.addr)
		if err := (Egress{}).Check(a); (err != nil) != tt.always {
			t.Errorf("%s without deny_private: err = %v, want refused=%v", tt.addr, err, tt.always)
		}
		if err := (Egress{DenyPrivate: true}).Check(a); (err != nil) != tt.denyPrivate {
			t.Errorf("%s with deny_private: err = %v, want refused=%v", tt.addr, err, tt.denyPrivate)
		} else if err != nil && !errors.Is(err, ErrEgressRefused) {
			t.Errorf("%s: %v does not wrap ErrEgressRefused", tt.addr, err)
		}
	}
}

// TestEgressRefusalIsPermanentAndSendsNothing: with deny_private a local
// destination is refused at connect time, before any byte is sent.
func TestEgressRefusalIsPermanentAndSendsNothing(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit = true }))
	defer srv.Close()
	for _, url := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		_, err := NewClient(Egress{DenyPrivate: true}).Send(context.Background(), &sdk.Outbound{Method: "POST", URL: url})
		if err == nil || !errors.Is(err, ErrEgressRefused) || !sdk.IsPermanent(err) {
			t.Fatalf("%s: err = %v, want a permanent egress refusal", url, err)
		}
		if v := Classify(nil, err, now); v.Outcome != sdk.Fail {
			t.Fatalf("%s: classified %v", url, v.Outcome)
		}
	}
	if hit {
		t.Fatal("the refused destination received a request")
	}
	// Without deny_private the same destination is reachable.
	if resp, err := NewClient(Egress{}).Send(context.Background(), &sdk.Outbound{Method: "POST", URL: srv.URL}); err != nil || resp.StatusCode != 200 {
		t.Fatalf("allowed: %v %v", resp, err)
	}
}

// TestMetadataAlwaysRefused: refused without any network traffic, even
// with no policy set.
func TestMetadataAlwaysRefused(t *testing.T) {
	for _, url := range []string{"http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://[::ffff:169.254.169.254]/"} {
		_, err := NewClient(Egress{}).Send(context.Background(), &sdk.Outbound{Method: "GET", URL: url})
		if !errors.Is(err, ErrEgressRefused) || !sdk.IsPermanent(err) {
			t.Errorf("%s: err = %v", url, err)
		}
	}
}
