package github

import (
	"context"
	"crypto/sha256"
	"net/url"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
)

// Name is the source's type label.
const Name = "github"

const (
	headerSignature   = "x-hub-signature-256"
	headerSignatureV1 = "x-hub-signature" // SHA-1, legacy: never trusted, never stored
	headerEvent       = "x-github-event"
	headerDelivery    = "x-github-delivery"
)

// Definition describes the github source.
func Definition() sdk.Definition {
	d := verify.Definition(Name,
		"GitHub webhooks: verifies X-Hub-Signature-256, event type from X-GitHub-Event and the action, id from X-GitHub-Delivery.",
		"Webhook secrets; any one matching is accepted (list two while rotating).", 0, New)
	d.EventTypes = EventTypes()
	return d
}

// Source verifies GitHub deliveries.
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

// ParseSignature reads "sha256=<64 hex>".
func ParseSignature(v string) ([]byte, error) { return verify.PrefixedHexSHA256(v, "sha256=") }

// Receive verifies and classifies one delivery.
func (s *Source) Receive(_ context.Context, req *sdk.Request) (sdk.Receipt, error) {
	sig, err := ParseSignature(req.Header.Get(headerSignature))
	if err != nil {
		return sdk.Receipt{}, sdk.Unauthorized(err)
	}
	if !verify.AnyMatch(s.secrets, func(k []byte) []byte { return verify.HMAC(sha256.New, k, req.Body) }, [][]byte{sig}) {
		return sdk.Receipt{}, sdk.Unauthorized(verify.ErrMismatch)
	}
	event := req.Header.Get(headerEvent)
	if event == "" {
		return sdk.Receipt{}, sdk.Reject(400, "missing X-GitHub-Event", nil)
	}
	body, ct := req.Body, req.Header.Get("content-type")
	// A webhook set to "application/x-www-form-urlencoded" sends the JSON
	// in a payload field; transforms get the JSON either way.
	if strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("payload") == "" {
			return sdk.Receipt{}, sdk.Reject(400, "form body without payload", err)
		}
		body, ct = []byte(form.Get("payload")), sdk.ContentTypeJSON
	}
	typ := event
	if action := verify.Fields(body, []string{"action"})[0]; action != "" {
		typ += "." + action
	}
	id := req.Header.Get(headerDelivery)
	if id == "" {
		id = ulid.Make().String()
	}
	return sdk.Receipt{Event: &sdk.Event{
		ID:          id,
		Type:        typ,
		Source:      Name,
		ReceivedAt:  req.ReceivedAt,
		Header:      verify.Without(req.Header, headerSignature, headerSignatureV1),
		ContentType: ct,
		Body:        body,
	}}, nil
}

// Close does nothing.
func (s *Source) Close(context.Context) error { return nil }
