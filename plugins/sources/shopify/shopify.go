package shopify

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
)

// Name is the source's type label.
const Name = "shopify"

// Shopify sends its headers with the X- prefix and, in its newer
// deliveries (events), without it; Shopify's own libraries read either,
// the first present winning. So does this source.
var (
	headersHMAC  = []string{"x-shopify-hmac-sha256", "shopify-hmac-sha256"}
	headersTopic = []string{"x-shopify-topic", "shopify-topic"}
	headersID    = []string{"x-shopify-webhook-id", "shopify-webhook-id", "shopify-event-id", "x-shopify-event-id"}
)

// first is the value of the first of names that is present.
func first(h sdk.Header, names []string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// Definition describes the shopify source.
func Definition() sdk.Definition {
	d := verify.Definition(Name,
		"Shopify webhooks: verifies X-Shopify-Hmac-Sha256; type from X-Shopify-Topic, id from X-Shopify-Webhook-Id.",
		"App client secrets; list two while rotating.", 0, New)
	d.EventTypes = EventTypes()
	return d
}

// Source verifies Shopify deliveries.
type Source struct {
	secrets [][]byte
}

var _ sdk.Source = (*Source)(nil)

// New builds the source.
func New(_ context.Context, cfg sdk.Config) (*Source, error) {
	st, err := verify.Decode(cfg)
	if err != nil {
		return nil, err
	}
	return &Source{secrets: st.Secrets}, nil
}

// ParseSignature decodes the base64 header.
func ParseSignature(v string) ([]byte, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, verify.ErrMissing
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("%w: not 32 bytes of base64", verify.ErrMalformed)
	}
	return b, nil
}

// Receive verifies and classifies one delivery.
func (s *Source) Receive(_ context.Context, req *sdk.Request) (sdk.Receipt, error) {
	sig, err := ParseSignature(first(req.Header, headersHMAC))
	if err != nil {
		return sdk.Receipt{}, sdk.Unauthorized(err)
	}
	if !verify.AnyMatch(s.secrets, func(k []byte) []byte { return verify.HMAC(sha256.New, k, req.Body) }, [][]byte{sig}) {
		return sdk.Receipt{}, sdk.Unauthorized(verify.ErrMismatch)
	}
	id := first(req.Header, headersID)
	if id == "" {
		id = ulid.Make().String()
	}
	return sdk.Receipt{Event: &sdk.Event{
		ID:          id,
		Type:        first(req.Header, headersTopic),
		Source:      Name,
		ReceivedAt:  req.ReceivedAt,
		Header:      verify.Without(req.Header, headersHMAC...),
		ContentType: sdk.ContentTypeJSON,
		Body:        req.Body,
	}}, nil
}

// Close does nothing.
func (s *Source) Close(context.Context) error { return nil }
