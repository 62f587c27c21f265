package gitlab

import (
	"strconv"

	"github.com/oklog/ulid/v2"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
)

var _ sdk.Signer = (*Source)(nil)

// Sign authenticates a request as GitLab does: X-Gitlab-Token with the
// secret token, and, for a hook with a signing token, the webhook-*
// headers Standard Webhooks style.
func (s *Source) Sign(req *sdk.Request) error {
	if len(s.secrets) > 0 {
		req.Header.Set(headerToken, string(s.secrets[0]))
	}
	if len(s.signing) > 0 {
		id := req.Header.Get(headerSigID)
		if id == "" {
			id = "msg_" + ulid.Make().String()
			req.Header.Set(headerSigID, id)
		}
		ts := req.ReceivedAt.Unix()
		req.Header.Set(headerSigTime, strconv.FormatInt(ts, 10))
		req.Header.Set(headerSig, verify.StandardSignature(s.signing[0], id, ts, req.Body))
	}
	return nil
}
