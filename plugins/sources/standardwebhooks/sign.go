package standardwebhooks

import (
	"strconv"

	"github.com/oklog/ulid/v2"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
)

var _ sdk.Signer = (*Source)(nil)

// Sign sets webhook-id (when absent), webhook-timestamp and
// webhook-signature as the Standard Webhooks specification describes.
func (s *Source) Sign(req *sdk.Request) error {
	id := req.Header.Get(headerID)
	if id == "" {
		id = "msg_" + ulid.Make().String()
		req.Header.Set(headerID, id)
	}
	ts := req.ReceivedAt.Unix()
	req.Header.Set(headerTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(headerSignature, verify.StandardSignature(s.keys[0], id, ts, req.Body))
	return nil
}
