package standardwebhooks

import (
	"strconv"

	"github.com/oklog/ulid/v2"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
)

var _ sdk.Signer = (*Source)(nil)

// Sign sets webhook-id (when absent), webhook-timestamp and
// webhook-signature as the Standard Webhooks specification describes (the
// svix-* names when the request already has a svix-id).
func (s *Source) Sign(req *sdk.Request) error {
	f := family(req.Header) // svix-* when the request already carries svix-id
	id := req.Header.Get(f.id)
	if id == "" {
		id = "msg_" + ulid.Make().String()
		req.Header.Set(f.id, id)
	}
	ts := req.ReceivedAt.Unix()
	req.Header.Set(f.timestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(f.signature, verify.StandardSignature(s.keys[0], id, ts, req.Body))
	return nil
}
