package http

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/hookbridge/hookbridge/sdk"
	"github.com/hookbridge/hookbridge/sdk/schema"
)

// Name is the type label of both the source and the sink.
const Name = "http"

// SourceDefinition describes the http source.
func SourceDefinition() sdk.Definition {
	return sdk.Definition{
		Kind:        sdk.KindSource,
		Name:        Name,
		Description: "Accepts any request on its path, optionally checking a shared token.",
		Schema: schema.Block{
			Attributes: []schema.Attribute{
				{Name: "methods", Type: schema.List(schema.String), Default: []any{"POST"}, Description: "HTTP methods accepted; others get 405."},
				{Name: "type_header", Type: schema.String, Description: "Header whose value becomes the event type (e.g. X-Event-Type)."},
			},
			Blocks: []schema.NestedBlock{{
				Name: "token",
				Block: schema.Block{
					Description: "Require a shared token in a header; any of secrets matches (rotation).",
					Attributes: []schema.Attribute{
						{Name: "header", Type: schema.String, Default: "Authorization", Description: "Header carrying the token."},
						{Name: "prefix", Type: schema.String, Default: "", Description: "Text before the token in the header, e.g. \"Bearer \"."},
						{Name: "secrets", Type: schema.List(schema.String), Required: true, Sensitive: true, Description: "Accepted tokens; list several to rotate without downtime."},
					},
				},
			}},
		},
		New: func(ctx context.Context, cfg sdk.Config) (sdk.Component, error) { return NewSource(ctx, cfg) },
	}
}

type sourceConfig struct {
	Methods    []string `json:"methods"`
	TypeHeader string   `json:"type_header"`
	Token      *struct {
		Header  string       `json:"header"`
		Prefix  string       `json:"prefix"`
		Secrets []sdk.Secret `json:"secrets"`
	} `json:"token"`
}

// Source is the generic http source.
type Source struct {
	methods     []string
	typeHeader  string
	tokenHeader string
	tokenPrefix string
	// tokens holds SHA-256 digests of the secrets: comparing digests is
	// constant-time and does not leak a secret's length.
	tokens [][sha256.Size]byte
}

var (
	_ sdk.Source       = (*Source)(nil)
	_ sdk.MethodLister = (*Source)(nil)
)

// NewSource checks the configuration and builds the source.
func NewSource(_ context.Context, cfg sdk.Config) (*Source, error) {
	var c sourceConfig
	if err := cfg.Decode(&c); err != nil {
		return nil, err
	}
	s := &Source{typeHeader: c.TypeHeader}
	var diags sdk.Diagnostics
	for _, m := range c.Methods {
		m = strings.ToUpper(strings.TrimSpace(m))
		switch m {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			s.methods = append(s.methods, m)
		default:
			diags = append(diags, sdk.Diagnostic{Summary: "Unsupported method", Detail: fmt.Sprintf("%q: use GET, POST, PUT, PATCH or DELETE.", m), Attribute: "methods"})
		}
	}
	if len(c.Methods) == 0 {
		diags = append(diags, sdk.Diagnostic{Summary: "No methods", Detail: "methods must list at least one HTTP method.", Attribute: "methods"})
	}
	if t := c.Token; t != nil {
		if strings.TrimSpace(t.Header) == "" {
			diags = append(diags, sdk.Diagnostic{Summary: "Empty token header", Detail: "token.header must name a header.", Attribute: "token.header"})
		}
		if len(t.Secrets) == 0 {
			diags = append(diags, sdk.Diagnostic{Summary: "No token secrets", Detail: "token.secrets is empty, which would accept nobody; list at least one secret.", Attribute: "token.secrets"})
		}
		for i, sec := range t.Secrets {
			if sec.Empty() {
				diags = append(diags, sdk.Diagnostic{Summary: "Empty token secret", Detail: fmt.Sprintf("token.secrets[%d] is empty; an empty secret is never accepted.", i), Attribute: "token.secrets"})
				continue
			}
			s.tokens = append(s.tokens, sha256.Sum256([]byte(sec.Reveal())))
		}
		s.tokenHeader, s.tokenPrefix = strings.ToLower(t.Header), t.Prefix
	}
	if len(diags) > 0 {
		return nil, diags
	}
	return s, nil
}

// Methods lists the accepted HTTP methods.
func (s *Source) Methods() []string { return s.methods }

// errToken is the logged reason for a failed token check.
var errToken = errors.New("token missing or not one of the configured secrets")

// Receive checks the token and builds the event.
func (s *Source) Receive(_ context.Context, req *sdk.Request) (sdk.Receipt, error) {
	hdr := req.Header
	if s.tokenHeader != "" {
		if !s.tokenOK(hdr.Get(s.tokenHeader)) {
			return sdk.Receipt{}, sdk.Unauthorized(errToken)
		}
		// The token is a secret: it is not stored with the event.
		hdr = hdr.Clone()
		delete(hdr, s.tokenHeader)
	}
	id := hdr.Get("idempotency-key")
	if id == "" {
		id = hdr.Get("x-request-id")
	}
	if id == "" {
		id = ulid.Make().String()
	}
	ev := &sdk.Event{
		ID:          id,
		Source:      Name,
		ReceivedAt:  req.ReceivedAt,
		Header:      hdr,
		ContentType: hdr.Get("content-type"),
		Body:        req.Body,
	}
	if s.typeHeader != "" {
		ev.Type = hdr.Get(s.typeHeader)
	}
	return sdk.Receipt{Event: ev}, nil
}

func (s *Source) tokenOK(got string) bool {
	tok, ok := strings.CutPrefix(got, s.tokenPrefix)
	if !ok || tok == "" {
		return false
	}
	sum := sha256.Sum256([]byte(tok))
	match := 0
	for i := range s.tokens {
		match |= subtle.ConstantTimeCompare(sum[:], s.tokens[i][:])
	}
	return match == 1
}

// Close does nothing; the source holds no resources.
func (s *Source) Close(context.Context) error { return nil }
