package delivery

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// HTTPClient is the host's net/http client under the same egress policy as
// the delivery client: the components' own requests (sdk.Config.HTTP: a
// GitHub App token exchange, a plugin's lookups through the host) use it.
// Every address is checked as the connection is made, on the resolved
// address itself (no DNS rebinding between check and connect); the
// environment's proxy settings are ignored (a proxy would hide the
// destination from the check); redirects are not followed; one request
// has DefaultTimeout.
func (e Egress) HTTPClient() *http.Client {
	dialer := &net.Dialer{
		Timeout: DefaultTimeout,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return sdk.Permanent(fmt.Errorf("%w: unexpected address %q", ErrEgressRefused, address))
			}
			if err := e.Check(ap.Addr()); err != nil {
				return sdk.Permanent(err)
			}
			return nil
		},
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          64,
			MaxIdleConnsPerHost:   DefaultMaxConnsPerHost,
			IdleConnTimeout:       30 * time.Second,
			TLSHandshakeTimeout:   DefaultTimeout,
			ResponseHeaderTimeout: DefaultTimeout,
		},
		Timeout:       DefaultTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
