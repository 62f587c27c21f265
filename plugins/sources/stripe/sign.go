package stripe

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
)

var _ sdk.Signer = (*Source)(nil)

// Sign sets Stripe-Signature as Stripe does: t=UNIX,v1=hex HMAC-SHA256 of
// "t.BODY" keyed by the whole whsec_ string.
func (s *Source) Sign(req *sdk.Request) error {
	ts := strconv.FormatInt(req.ReceivedAt.Unix(), 10)
	mac := verify.HMAC(sha256.New, s.secrets[0], []byte(ts+"."), req.Body)
	req.Header.Set(headerSignature, "t="+ts+",v1="+hex.EncodeToString(mac))
	return nil
}
