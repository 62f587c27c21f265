package slack

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
)

// Name is the source's type label.
const Name = "slack"

// DefaultTolerance is Slack's recommended window.
const DefaultTolerance = 5 * time.Minute

const (
	headerSignature = "x-slack-signature"
	headerTimestamp = "x-slack-request-timestamp"
)

// Definition describes the slack source.
func Definition() sdk.Definition {
	d := verify.Definition(Name,
		"Slack Events API, slash commands and interactivity: verifies X-Slack-Signature, answers url_verification, parses form bodies into JSON.",
		"App signing secrets; list two while rotating.", DefaultTolerance, New)
	d.EventTypes = EventTypes()
	return d
}

// Source verifies Slack requests.
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

// ParseSignature reads "v0=<64 hex>".
func ParseSignature(v string) ([]byte, error) { return verify.PrefixedHexSHA256(v, "v0=") }

// Receive verifies one request and classifies it.
func (s *Source) Receive(_ context.Context, req *sdk.Request) (sdk.Receipt, error) {
	sig, err := ParseSignature(req.Header.Get(headerSignature))
	if err != nil {
		return sdk.Receipt{}, sdk.Unauthorized(err)
	}
	tsText := req.Header.Get(headerTimestamp)
	ts, err := verify.UnixSeconds(tsText)
	if err != nil {
		return sdk.Receipt{}, sdk.Unauthorized(err)
	}
	mac := func(k []byte) []byte { return verify.HMAC(sha256.New, k, []byte("v0:"+tsText+":"), req.Body) }
	if !verify.AnyMatch(s.secrets, mac, [][]byte{sig}) {
		return sdk.Receipt{}, sdk.Unauthorized(verify.ErrMismatch)
	}
	if err := verify.Window(s.now(), ts, s.tolerance); err != nil {
		return sdk.Receipt{}, sdk.Unauthorized(err)
	}

	body, typ, id, err := classify(req)
	if err != nil {
		return sdk.Receipt{}, sdk.Reject(400, "unrecognised Slack body", err)
	}
	if typ == "url_verification" {
		challenge := verify.Fields(body, []string{"challenge"})[0]
		reply, _ := json.Marshal(map[string]string{"challenge": challenge})
		return sdk.Receipt{Reply: &sdk.Response{StatusCode: 200, Header: sdk.Header{"content-type": {"application/json"}}, Body: reply}}, nil
	}
	if id == "" {
		id = ulid.Make().String()
	}
	return sdk.Receipt{Event: &sdk.Event{
		ID:          id,
		Type:        typ,
		Source:      Name,
		ReceivedAt:  req.ReceivedAt,
		Header:      verify.Without(req.Header, headerSignature),
		ContentType: sdk.ContentTypeJSON,
		Body:        body,
	}}, nil
}

// classify returns the JSON body transforms see, the event type and the
// delivery id:
//   - JSON (Events API): event_callback gives event.type and event_id;
//     other envelopes (url_verification, app_rate_limited) their type.
//   - form with payload=JSON (interactivity): the payload, its type.
//   - other forms (slash commands): the fields as a JSON object, type
//     "slash_command".
func classify(req *sdk.Request) (body []byte, typ, id string, err error) {
	ct := req.Header.Get("content-type")
	if !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		if !json.Valid(req.Body) {
			return nil, "", "", fmt.Errorf("body is neither JSON nor a form")
		}
		f := verify.Fields(req.Body, []string{"type"}, []string{"event", "type"}, []string{"event_id"})
		typ = f[0]
		if f[1] != "" {
			typ = f[1]
		}
		return req.Body, typ, f[2], nil
	}
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		return nil, "", "", err
	}
	if p := form.Get("payload"); p != "" {
		if !json.Valid([]byte(p)) {
			return nil, "", "", fmt.Errorf("payload field is not JSON")
		}
		return []byte(p), verify.Fields([]byte(p), []string{"type"})[0], "", nil
	}
	fields := make(map[string]string, len(form))
	for k := range form {
		fields[k] = form.Get(k)
	}
	body, err = json.Marshal(fields)
	return body, "slash_command", "", err
}

// Close does nothing.
func (s *Source) Close(context.Context) error { return nil }
