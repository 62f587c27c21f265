package gitlab

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

// Name is the source's type label.
const Name = "gitlab"

const (
	headerToken = "x-gitlab-token"
	headerEvent = "x-gitlab-event"
	headerUUID  = "x-gitlab-event-uuid"
	headerIdem  = "idempotency-key"

	// Signed webhooks (a signing token on the hook), Standard Webhooks style.
	headerSigID   = "webhook-id"
	headerSigTime = "webhook-timestamp"
	headerSig     = "webhook-signature"
)

// Definition describes the gitlab source.
func Definition() sdk.Definition {
	d := verify.Definition(Name,
		"GitLab webhooks: checks X-Gitlab-Token; type from object_kind and action; id from Idempotency-Key or X-Gitlab-Event-UUID.",
		"Secret tokens; any one matching is accepted (list two while rotating).", 0, New)
	d.Schema = withSigning(d.Schema)
	d.EventTypes = EventTypes()
	return d
}

// DefaultTolerance is the timestamp window of signed webhooks (the
// Standard Webhooks recommendation, which GitLab's signing follows).
const DefaultTolerance = 5 * time.Minute

// withSigning adds GitLab's signing tokens to the schema: secrets becomes
// optional, since a hook may use either check or both.
func withSigning(b schema.Block) schema.Block {
	for i := range b.Attributes {
		if b.Attributes[i].Name == "secrets" {
			b.Attributes[i].Required = false
			b.Attributes[i].Description = "Secret tokens compared with X-Gitlab-Token; any one matching is accepted (list two while rotating). Set this, signing_tokens, or both."
		}
	}
	b.Attributes = append(b.Attributes,
		schema.Attribute{Name: "signing_tokens", Type: schema.List(schema.String), Sensitive: true,
			Description: "Webhook signing tokens (whsec_ followed by base64): webhook-signature is verified the Standard Webhooks way. List two while rotating."},
		schema.Attribute{Name: "tolerance", Type: schema.String, Default: DefaultTolerance.String(),
			Description: "How far a signed webhook-timestamp may be from now, either way; at most 1h (signing_tokens only)."})
	return b
}

// Source checks GitLab deliveries.
type Source struct {
	secrets   [][]byte // X-Gitlab-Token
	signing   [][]byte // webhook-signature keys
	tolerance time.Duration
	now       func() time.Time
}

var _ sdk.Source = (*Source)(nil)

// New builds the source.
func New(_ context.Context, cfg sdk.Config) (*Source, error) {
	var c struct {
		Secrets       []sdk.Secret `json:"secrets"`
		SigningTokens []sdk.Secret `json:"signing_tokens"`
		Tolerance     string       `json:"tolerance"`
	}
	if err := cfg.Decode(&c); err != nil {
		return nil, err
	}
	s := &Source{tolerance: DefaultTolerance, now: time.Now}
	var diags sdk.Diagnostics
	// A list that is set but empty is a mistake, like everywhere else; an
	// unset one means that check is not used.
	if c.Secrets != nil {
		var d sdk.Diagnostics
		s.secrets, d = verify.Secrets("secrets", c.Secrets)
		diags = append(diags, d...)
	}
	if c.SigningTokens != nil {
		if len(c.SigningTokens) == 0 {
			diags = append(diags, sdk.Diagnostic{Summary: "No signing tokens", Detail: "signing_tokens is empty: list at least one (several during a rotation), or remove it.", Attribute: "signing_tokens"})
		}
		for i, t := range c.SigningTokens {
			key, err := verify.DecodeWhsec(t.Reveal())
			if err != nil {
				// The token itself is never repeated in the message.
				diags = append(diags, sdk.Diagnostic{Summary: "Invalid signing token", Detail: fmt.Sprintf("signing_tokens[%d]: %v", i, err), Attribute: "signing_tokens"})
				continue
			}
			s.signing = append(s.signing, key)
		}
	}
	if c.Secrets == nil && c.SigningTokens == nil {
		diags = append(diags, sdk.Diagnostic{Summary: "No secrets", Detail: "Set secrets (X-Gitlab-Token), signing_tokens (webhook-signature), or both: a gitlab source never accepts unauthenticated requests.", Attribute: "secrets"})
	}
	if c.Tolerance != "" {
		var d sdk.Diagnostics
		s.tolerance, d = verify.Tolerance("tolerance", c.Tolerance)
		diags = append(diags, d...)
	}
	if len(diags) > 0 {
		return nil, diags
	}
	return s, nil
}

// EventType is object_kind (or event_name for system-style events) plus
// "." and the action (object_attributes.action, or the top-level action of
// release hooks) when there is one; without a kind or name, the
// X-Gitlab-Event header in snake case without " Hook" ("Push Hook" is
// "push").
func EventType(header string, body []byte) string {
	f := verify.Fields(body, []string{"object_kind"}, []string{"event_name"}, []string{"object_attributes", "action"}, []string{"action"})
	typ := f[0]
	if typ == "" {
		typ = f[1]
	}
	if typ == "" {
		typ = strings.ReplaceAll(strings.ToLower(strings.TrimSuffix(header, " Hook")), " ", "_")
	}
	switch {
	case f[2] != "":
		typ += "." + f[2]
	case f[3] != "":
		typ += "." + f[3] // release hooks carry it at the top level
	}
	return typ
}

// Receive checks the token and classifies one delivery.
func (s *Source) Receive(_ context.Context, req *sdk.Request) (sdk.Receipt, error) {
	// Every configured check must pass: a request cannot skip the
	// signature by leaving its headers out.
	if s.secrets != nil && !verify.TokenMatch(s.secrets, req.Header.Get(headerToken)) {
		return sdk.Receipt{}, sdk.Unauthorized(verify.ErrMismatch)
	}
	if s.signing != nil {
		h := req.Header
		if err := verify.CheckStandard(s.signing, h.Get(headerSigID), h.Get(headerSigTime), h.Get(headerSig), req.Body, s.now(), s.tolerance); err != nil {
			return sdk.Receipt{}, sdk.Unauthorized(err)
		}
	}
	id := req.Header.Get(headerIdem)
	if id == "" {
		id = req.Header.Get(headerSigID) // signed: equal to Idempotency-Key
	}
	if id == "" {
		id = req.Header.Get(headerUUID)
	}
	if id == "" {
		id = ulid.Make().String()
	}
	return sdk.Receipt{Event: &sdk.Event{
		ID:          id,
		Type:        EventType(req.Header.Get(headerEvent), req.Body),
		Source:      Name,
		ReceivedAt:  req.ReceivedAt,
		Header:      verify.Without(req.Header, headerToken, headerSig),
		ContentType: sdk.ContentTypeJSON,
		Body:        req.Body,
	}}, nil
}

// Close does nothing.
func (s *Source) Close(context.Context) error { return nil }
