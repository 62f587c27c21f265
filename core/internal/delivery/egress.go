package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/hookferry/hookferry/sdk"
)

// Egress decides which addresses outbound requests may connect to. It is
// checked on the resolved address at connect time, and the connection is
// made to that very address, so a DNS answer cannot change between the
// check and the connect (no rebinding).
type Egress struct {
	// DenyPrivate also refuses loopback, private, link-local, unspecified
	// and shared addresses, and the IPv4-mapped, NAT64, 6to4 and
	// IPv4-compatible forms of them.
	DenyPrivate bool
}

// ErrEgressRefused is wrapped by every refusal; it is permanent.
var ErrEgressRefused = errors.New("egress refused")

// metadata are cloud instance-metadata endpoints: always refused, they
// hand out credentials.
var metadata = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"),
	netip.MustParseAddr("fd00:ec2::254"),
	netip.MustParseAddr("169.254.170.2"), // ECS task metadata
}

var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Loc   = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour  = netip.MustParsePrefix("2002::/16")     // 2002:AABB:CCDD::/48 carries a.b.c.d
	compatible = netip.MustParsePrefix("::/96")         // ::a.b.c.d, IPv4-compatible (deprecated)
	thisNet    = netip.MustParsePrefix("0.0.0.0/8")     // "this network": never a destination
	shared     = netip.MustParsePrefix("100.64.0.0/10") // carrier-grade NAT
)

// embeddedIPv4 is the IPv4 address an IPv6 address carries by a standard
// translation or tunnelling form: NAT64 (64:ff9b::/96 and the local-use
// 64:ff9b:1::/48), 6to4 (2002::/16) and IPv4-compatible (::/96). A packet
// to such an address can reach that IPv4 host, so it is judged as well.
func embeddedIPv4(addr netip.Addr) (netip.Addr, bool) {
	if !addr.Is6() {
		return netip.Addr{}, false
	}
	b := addr.As16()
	switch {
	case nat64.Contains(addr), nat64Loc.Contains(addr), compatible.Contains(addr):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToFour.Contains(addr):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// Check reports why addr may not be connected to, or nil. An IPv6 address
// that embeds an IPv4 one (IPv4-mapped, NAT64, 6to4, IPv4-compatible) is
// refused when either form is.
func (e Egress) Check(addr netip.Addr) error {
	addr = addr.Unmap() // ::ffff:a.b.c.d is a.b.c.d
	if err := e.check(addr); err != nil {
		return err
	}
	if v4, ok := embeddedIPv4(addr); ok {
		if err := e.check(v4); err != nil {
			return fmt.Errorf("%w (embedded in %s)", err, addr)
		}
	}
	return nil
}

func (e Egress) check(addr netip.Addr) error {
	for _, m := range metadata {
		if addr == m {
			return fmt.Errorf("%w: %s is a cloud metadata address", ErrEgressRefused, addr)
		}
	}
	if !e.DenyPrivate {
		return nil
	}
	switch {
	case addr.IsLoopback():
		return fmt.Errorf("%w: %s is a loopback address", ErrEgressRefused, addr)
	case addr.IsPrivate(), shared.Contains(addr):
		return fmt.Errorf("%w: %s is a private address", ErrEgressRefused, addr)
	case addr.IsLinkLocalUnicast(), addr.IsLinkLocalMulticast():
		return fmt.Errorf("%w: %s is a link-local address", ErrEgressRefused, addr)
	case addr.IsUnspecified(), addr.IsMulticast(), addr.IsInterfaceLocalMulticast(), thisNet.Contains(addr):
		return fmt.Errorf("%w: %s is not a unicast address", ErrEgressRefused, addr)
	}
	return nil
}

// dialer returns a fasthttp dial function enforcing the policy.
func (e Egress) dialer(timeout time.Duration) fasthttp.DialFunc {
	resolver := net.DefaultResolver
	return func(hostport string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(hostport)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		var addrs []netip.Addr
		if ip, err := netip.ParseAddr(host); err == nil {
			addrs = []netip.Addr{ip}
		} else if addrs, err = resolver.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, err
		}
		var last error
		for _, a := range addrs {
			if err := e.Check(a); err != nil {
				last = sdk.Permanent(fmt.Errorf("%s: %w", host, err))
				continue
			}
			var d net.Dialer
			conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(a.Unmap().String(), port))
			if err == nil {
				return conn, nil
			}
			last = err
		}
		if last == nil {
			last = fmt.Errorf("%s: no address", host)
		}
		return nil, last
	}
}
