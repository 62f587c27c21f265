package http

import (
	"encoding/base64"
	"encoding/hex"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
)

var _ sdk.Signer = (*Source)(nil)

// Sign sets what the source checks: the token header (with its prefix)
// and/or the hmac header, computed as configured. A source that checks
// neither has nothing to sign.
func (s *Source) Sign(req *sdk.Request) error {
	if s.tokenHeader != "" {
		req.Header.Set(s.tokenHeader, s.tokenPrefix+string(s.tokens[0]))
	}
	if h := s.hmac; h != nil {
		mac := verify.HMAC(h.hash, h.secrets[0], req.Body)
		enc := hex.EncodeToString(mac)
		if h.base64 {
			enc = base64.StdEncoding.EncodeToString(mac)
		}
		req.Header.Set(h.header, h.prefix+enc)
	}
	return nil
}
