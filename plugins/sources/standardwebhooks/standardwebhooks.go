package standardwebhooks

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
)

// Name is the source's type label.
const Name = "standardwebhooks"

// DefaultTolerance is the specification's recommended window.
const DefaultTolerance = 5 * time.Minute

const (
	headerID        = "webhook-id"
	headerTimestamp = "webhook-timestamp"
	headerSignature = "webhook-signature"
)

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
func ParseSignatures(v string) ([][]byte, error) {
	if strings.TrimSpace(v) == "" {
		return nil, verify.ErrMissing
	}
	var out [][]byte
	for _, f := range strings.Fields(v) {
		ver, sig, ok := strings.Cut(f, ",")
		if !ok || ver != "v1" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(sig)
		if err != nil || len(b) != sha256.Size {
			continue
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no valid v1 signature", verify.ErrMalformed)
	}
	return out, nil
}

// Receive verifies and classifies one delivery.
func (s *Source) Receive(_ context.Context, req *sdk.Request) (sdk.Receipt, error) {
	id, tsText := req.Header.Get(headerID), req.Header.Get(headerTimestamp)
	if id == "" || tsText == "" {
		return sdk.Receipt{}, sdk.Unauthorized(fmt.Errorf("%w: webhook-id and webhook-timestamp are required", verify.ErrMissing))
	}
	sigs, err := ParseSignatures(req.Header.Get(headerSignature))
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
		Header:      verify.Without(req.Header, headerSignature),
		ContentType: req.Header.Get("content-type"),
		Body:        req.Body,
	}}, nil
}

// Close does nothing.
func (s *Source) Close(context.Context) error { return nil }
