package slack

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
)

var _ sdk.Signer = (*Source)(nil)

// Sign sets X-Slack-Request-Timestamp and X-Slack-Signature as Slack does:
// "v0=" and the hex HMAC-SHA256 of "v0:TIMESTAMP:BODY".
func (s *Source) Sign(req *sdk.Request) error {
	ts := strconv.FormatInt(req.ReceivedAt.Unix(), 10)
	req.Header.Set(headerTimestamp, ts)
	mac := verify.HMAC(sha256.New, s.secrets[0], []byte("v0:"+ts+":"), req.Body)
	req.Header.Set(headerSignature, "v0="+hex.EncodeToString(mac))
	return nil
}
