package shopify

import (
	"crypto/sha256"
	"encoding/base64"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
)

var _ sdk.Signer = (*Source)(nil)

// Sign sets X-Shopify-Hmac-Sha256 as Shopify does: the base64 HMAC-SHA256
// of the raw body keyed by the app's client secret.
func (s *Source) Sign(req *sdk.Request) error {
	req.Header.Set(headersHMAC[0], base64.StdEncoding.EncodeToString(verify.HMAC(sha256.New, s.secrets[0], req.Body)))
	return nil
}
