package stripe

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
)

// Name is the source's type label.
const Name = "stripe"

// DefaultTolerance is Stripe's own default.
const DefaultTolerance = 300 * time.Second

const headerSignature = "stripe-signature"

// Definition describes the stripe source.
func Definition() sdk.Definition {
	d := verify.Definition(Name,
		"Stripe webhooks: verifies Stripe-Signature and its timestamp; event type and id from the body.",
		"Endpoint signing secrets (whsec_...), used as is; list two while rolling a secret.", DefaultTolerance, New)
	d.EventTypes = EventTypes()
	return d
}

// Source verifies Stripe events.
type Source struct {
	secrets   [][]byte
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
	return &Source{secrets: st.Secrets, tolerance: cmp.Or(st.Tolerance, DefaultTolerance), now: time.Now}, nil
}

// Signature is a parsed Stripe-Signature header.
type Signature struct {
	Timestamp string // as sent: it is part of the signed payload
	V1        [][]byte
}

// ParseSignature reads "t=...,v1=...,v1=...,v0=..."; unknown schemes
// (v0 is test-mode legacy) are ignored.
func ParseSignature(v string) (Signature, error) {
	var s Signature
	if strings.TrimSpace(v) == "" {
		return s, verify.ErrMissing
	}
	for _, part := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return s, fmt.Errorf("%w: %q has no '='", verify.ErrMalformed, part)
		}
		switch k {
		case "t":
			if s.Timestamp != "" {
				return s, fmt.Errorf("%w: two timestamps", verify.ErrMalformed)
			}
			s.Timestamp = val
		case "v1":
			b, err := hex.DecodeString(val)
			if err != nil || len(b) != sha256.Size {
				continue // one bad v1 does not hide a good one
			}
			s.V1 = append(s.V1, b)
		}
	}
	if s.Timestamp == "" {
		return s, fmt.Errorf("%w: no t=", verify.ErrMalformed)
	}
	if len(s.V1) == 0 {
		return s, fmt.Errorf("%w: no valid v1 signature", verify.ErrMalformed)
	}
	return s, nil
}

// Receive verifies and classifies one event.
func (s *Source) Receive(_ context.Context, req *sdk.Request) (sdk.Receipt, error) {
	sig, err := ParseSignature(req.Header.Get(headerSignature))
	if err != nil {
		return sdk.Receipt{}, sdk.Unauthorized(err)
	}
	ts, err := verify.UnixSeconds(sig.Timestamp)
	if err != nil {
		return sdk.Receipt{}, sdk.Unauthorized(err)
	}
	mac := func(k []byte) []byte { return verify.HMAC(sha256.New, k, []byte(sig.Timestamp), []byte("."), req.Body) }
	if !verify.AnyMatch(s.secrets, mac, sig.V1) {
		return sdk.Receipt{}, sdk.Unauthorized(verify.ErrMismatch)
	}
	// The window is checked after the MAC, so an attacker learns nothing
	// from which check failed; both answer 401.
	if err := verify.Window(s.now(), ts, s.tolerance); err != nil {
		return sdk.Receipt{}, sdk.Unauthorized(err)
	}
	f := verify.Fields(req.Body, []string{"id"}, []string{"type"})
	if f[0] == "" || f[1] == "" {
		return sdk.Receipt{}, sdk.Reject(400, "not a Stripe event: id and type are required", nil)
	}
	return sdk.Receipt{Event: &sdk.Event{
		ID:          f[0],
		Type:        f[1],
		Source:      Name,
		ReceivedAt:  req.ReceivedAt,
		Header:      verify.Without(req.Header, headerSignature),
		ContentType: sdk.ContentTypeJSON,
		Body:        req.Body,
	}}, nil
}

// Close does nothing.
func (s *Source) Close(context.Context) error { return nil }
