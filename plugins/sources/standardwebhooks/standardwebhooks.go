package standardwebhooks

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
)

// Name is the source's type label.
const Name = "standardwebhooks"

// DefaultTolerance is the specification's recommended window.
const DefaultTolerance = 5 * time.Minute

// headerFamily is one set of the three signing headers.
type headerFamily struct{ id, timestamp, signature string }

// The specification's headers, and Svix's own (what Svix, Resend, Clerk
// send by default; Svix's libraries accept either family). A request is
// read with one family, never a mix of both.
var (
	standardHeaders = headerFamily{"webhook-id", "webhook-timestamp", "webhook-signature"}
	svixHeaders     = headerFamily{"svix-id", "svix-timestamp", "svix-signature"}
)

// family picks the webhook-* headers when the request has a webhook-id,
// else the svix-* ones.
func family(h sdk.Header) headerFamily {
	if h.Get(standardHeaders.id) == "" && h.Get(svixHeaders.id) != "" {
		return svixHeaders
	}
	return standardHeaders
}

// Definition describes the source.
func Definition() sdk.Definition {
	return verify.Definition(Name,
		"Standard Webhooks senders: verifies webhook-signature and webhook-timestamp; id from webhook-id, type from the body's type.",
		"Signing secrets, whsec_ followed by base64 (the prefix is optional); list two while rotating.", DefaultTolerance, New)
}

// Source verifies Standard Webhooks deliveries.
type Source struct {
	keys      [][]byte
	tolerance time.Duration
	now       func() time.Time
}

var _ sdk.Source = (*Source)(nil)

// New builds the source.
func New(_ context.Context, cfg sdk.Config) (*Source, error) {
	st, err := verify.Decode(cfg)
	if err != nil {
		return nil, err
	}
	var diags sdk.Diagnostics
	s := &Source{tolerance: cmp.Or(st.Tolerance, DefaultTolerance), now: time.Now}
	for i, r := range st.Secrets {
		key, err := DecodeSecret(string(r))
		if err != nil {
			// The secret itself is never repeated in the message.
			diags = append(diags, sdk.Diagnostic{Summary: "Invalid secret", Detail: fmt.Sprintf("secrets[%d]: %v", i, err), Attribute: "secrets"})
			continue
		}
		s.keys = append(s.keys, key)
	}
	if len(diags) > 0 {
		return nil, diags
	}
	return s, nil
}

// DecodeSecret turns "whsec_BASE64" (or bare BASE64) into the HMAC key.
func DecodeSecret(s string) ([]byte, error) { return verify.DecodeWhsec(s) }

// ParseSignatures reads "v1,BASE64 v1,BASE64 ..."; other versions are
// ignored, so a sender can add a future scheme beside v1.
func ParseSignatures(v string) ([][]byte, error) { return verify.ParseStandardSignatures(v) }

// Receive verifies and classifies one delivery.
func (s *Source) Receive(_ context.Context, req *sdk.Request) (sdk.Receipt, error) {
	f := family(req.Header)
	id, tsText := req.Header.Get(f.id), req.Header.Get(f.timestamp)
	if id == "" || tsText == "" {
		return sdk.Receipt{}, sdk.Unauthorized(fmt.Errorf("%w: the id and timestamp headers (webhook-* or svix-*) are required", verify.ErrMissing))
	}
	sigs, err := ParseSignatures(req.Header.Get(f.signature))
	if err != nil {
		return sdk.Receipt{}, sdk.Unauthorized(err)
	}
	ts, err := verify.UnixSeconds(tsText)
	if err != nil {
		return sdk.Receipt{}, sdk.Unauthorized(err)
	}
	mac := func(k []byte) []byte { return verify.StandardMAC(k, id, tsText, req.Body) }
	if !verify.AnyMatch(s.keys, mac, sigs) {
		return sdk.Receipt{}, sdk.Unauthorized(verify.ErrMismatch)
	}
	if err := verify.Window(s.now(), ts, s.tolerance); err != nil {
		return sdk.Receipt{}, sdk.Unauthorized(err)
	}
	return sdk.Receipt{Event: &sdk.Event{
		ID:          id,
		Type:        verify.Fields(req.Body, []string{"type"})[0],
		Source:      Name,
		ReceivedAt:  req.ReceivedAt,
		Header:      verify.Without(req.Header, standardHeaders.signature, svixHeaders.signature),
		ContentType: req.Header.Get("content-type"),
		Body:        req.Body,
	}}, nil
}

// Close does nothing.
func (s *Source) Close(context.Context) error { return nil }
