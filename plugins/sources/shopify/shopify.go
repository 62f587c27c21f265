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

const (
	headerHMAC  = "x-shopify-hmac-sha256"
	headerTopic = "x-shopify-topic"
	headerID    = "x-shopify-webhook-id"
)

// Definition describes the shopify source.
func Definition() sdk.Definition {
	return verify.Definition(Name,
		"Shopify webhooks: verifies X-Shopify-Hmac-Sha256; type from X-Shopify-Topic, id from X-Shopify-Webhook-Id.",
		"App client secrets; list two while rotating.", 0, New)
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
	sig, err := ParseSignature(req.Header.Get(headerHMAC))
	if err != nil {
		return sdk.Receipt{}, sdk.Unauthorized(err)
	}
	if !verify.AnyMatch(s.secrets, func(k []byte) []byte { return verify.HMAC(sha256.New, k, req.Body) }, [][]byte{sig}) {
		return sdk.Receipt{}, sdk.Unauthorized(verify.ErrMismatch)
	}
	id := req.Header.Get(headerID)
	if id == "" {
		id = ulid.Make().String()
	}
	return sdk.Receipt{Event: &sdk.Event{
		ID:          id,
		Type:        req.Header.Get(headerTopic),
		Source:      Name,
		ReceivedAt:  req.ReceivedAt,
		Header:      verify.Without(req.Header, headerHMAC),
		ContentType: sdk.ContentTypeJSON,
		Body:        req.Body,
	}}, nil
}

// Close does nothing.
func (s *Source) Close(context.Context) error { return nil }
