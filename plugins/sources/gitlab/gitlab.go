package gitlab

import (
	"context"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
)

// Name is the source's type label.
const Name = "gitlab"

const (
	headerToken = "x-gitlab-token"
	headerEvent = "x-gitlab-event"
	headerUUID  = "x-gitlab-event-uuid"
	headerIdem  = "idempotency-key"
)

// Definition describes the gitlab source.
func Definition() sdk.Definition {
	return verify.Definition(Name,
		"GitLab webhooks: checks X-Gitlab-Token; type from object_kind and action; id from Idempotency-Key or X-Gitlab-Event-UUID.",
		"Secret tokens; any one matching is accepted (list two while rotating).", 0, New)
}

// Source checks GitLab deliveries.
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
	if !verify.TokenMatch(s.secrets, req.Header.Get(headerToken)) {
		return sdk.Receipt{}, sdk.Unauthorized(verify.ErrMismatch)
	}
	id := req.Header.Get(headerIdem)
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
		Header:      verify.Without(req.Header, headerToken),
		ContentType: sdk.ContentTypeJSON,
		Body:        req.Body,
	}}, nil
}

// Close does nothing.
func (s *Source) Close(context.Context) error { return nil }
