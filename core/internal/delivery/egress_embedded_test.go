package delivery

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// TestDenyPrivateClassifiesEmbeddedIPv4: 6to4 (2002::/16) and
// IPv4-compatible (::a.b.c.d) addresses reach the IPv4 host they carry,
// so they are judged by it; they were let through.
func TestDenyPrivateClassifiesEmbeddedIPv4(t *testing.T) {
	tests := []struct {
		addr        string
		always      bool // refused even without deny_private
		denyPrivate bool // refused with deny_private
	}{
		{"2002:a9fe:a9fe::", true, true},            // 6to4 of 169.254.169.254 (metadata)
		{"2002:a9fe:a9fe:1234:5678::1", true, true}, // any host of that /48
		{"::169.254.169.254", true, true},           // IPv4-compatible metadata
		{"2002:7f00:1::", false, true},              // 6to4 of 127.0.0.1
		{"2002:a00:1::1", false, true},              // 6to4 of 10.0.0.1
		{"2002:c0a8:101::", false, true},            // 6to4 of 192.168.1.1
		{"2002:6440:1::", false, true},              // 6to4 of 100.64.0.1 (shared)
		{"2002:a9fe:101::", false, true},            // 6to4 of 169.254.1.1 (link-local)
		{"2002::", false, true},                     // 6to4 of 0.0.0.0
		{"::127.0.0.1", false, true},                // IPv4-compatible loopback
		{"::10.1.2.3", false, true},
		{"::192.168.0.1", false, true},
		{"::0.0.0.2", false, true}, // "this network"
		{"::1", false, true},       // still the IPv6 loopback, not 0.0.0.1
		{"::", false, true},
		{"2002:808:808::", false, false}, // 6to4 of 8.8.8.8
		{"::8.8.8.8", false, false},
		{"2001:4860:4860::8888", false, false},
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.addr)
		if err := (Egress{}).Check(a); (err != nil) != tt.always {
			t.Errorf("%s without deny_private: err = %v, want refused=%v", tt.addr, err, tt.always)
		}
		err := (Egress{DenyPrivate: true}).Check(a)
		if (err != nil) != tt.denyPrivate {
			t.Errorf("%s with deny_private: err = %v, want refused=%v", tt.addr, err, tt.denyPrivate)
		} else if err != nil && !errors.Is(err, ErrEgressRefused) {
			t.Errorf("%s: %v does not wrap ErrEgressRefused", tt.addr, err)
		}
	}
	// The reason names both forms.
	err := (Egress{DenyPrivate: true}).Check(netip.MustParseAddr("2002:a00:1::1"))
	if err == nil || !strings.Contains(err.Error(), "10.0.0.1 is a private address") || !strings.Contains(err.Error(), "2002:a00:1::1") {
		t.Fatalf("reason %v", err)
	}
}
