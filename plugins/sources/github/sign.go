package github

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
)

var _ sdk.Signer = (*Source)(nil)

// Sign sets X-Hub-Signature-256 as GitHub does: "sha256=" and the hex
// HMAC-SHA256 of the raw body.
func (s *Source) Sign(req *sdk.Request) error {
	req.Header.Set(headerSignature, "sha256="+hex.EncodeToString(verify.HMAC(sha256.New, s.secrets[0], req.Body)))
	return nil
}
