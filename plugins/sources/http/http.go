package http

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/hookferry/hookferry/plugins/internal/verify"
	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

// Name is the type label of the source.
const Name = "http"

// Definition describes the http source.
func Definition() sdk.Definition {
	return sdk.DefineSource(Name,
		"Accepts any request on its path, optionally checking a shared token.",
		schema.Block{
			Attributes: []schema.Attribute{
				{Name: "methods", Type: schema.List(schema.String), Default: []any{"POST"}, Description: "HTTP methods accepted; others get 405."},
				{Name: "type_header", Type: schema.String, Description: "Header whose value becomes the event type (e.g. X-Event-Type)."},
				{Name: "type_path", Type: schema.String, Description: "Dotted path of a JSON body field that becomes the event type (e.g. \"event.type\")."},
				{Name: "id_header", Type: schema.String, Description: "Header whose value becomes the event id. Default: Idempotency-Key, then X-Request-Id, else a generated id."},
				{Name: "id_path", Type: schema.String, Description: "Dotted path of a JSON body field that becomes the event id (e.g. \"id\")."},
				{Name: "allow_unauthenticated", Type: schema.Bool, Default: false, Description: "Accept requests without any check. Required when neither token nor hmac is set, so a source is never open by accident."},
			},
			Blocks: []schema.NestedBlock{{
				Name: "hmac",
				Block: schema.Block{
					Description: "Require an HMAC of the raw body in a header; any of secrets matches (rotation).",
					Attributes: []schema.Attribute{
						{Name: "header", Type: schema.String, Required: true, Description: "Header carrying the signature."},
						{Name: "algorithm", Type: schema.String, Default: "sha256", Description: "sha1, sha256 or sha512."},
						{Name: "encoding", Type: schema.String, Default: "hex", Description: "hex or base64."},
						{Name: "prefix", Type: schema.String, Default: "", Description: "Text before the signature, e.g. \"sha256=\"."},
						{Name: "secrets", Type: schema.List(schema.String), Required: true, Sensitive: true, Description: "HMAC keys; list several to rotate without downtime."},
					},
				},
			}, {
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
		NewSource)
}

type sourceConfig struct {
	Methods    []string `json:"methods"`
	TypeHeader string   `json:"type_header"`
	TypePath   string   `json:"type_path"`
	IDHeader   string   `json:"id_header"`
	IDPath     string   `json:"id_path"`
	HMAC       *struct {
		Header    string       `json:"header"`
		Algorithm string       `json:"algorithm"`
		Encoding  string       `json:"encoding"`
		Prefix    string       `json:"prefix"`
		Secrets   []sdk.Secret `json:"secrets"`
	} `json:"hmac"`
	Token *struct {
		Header  string       `json:"header"`
		Prefix  string       `json:"prefix"`
		Secrets []sdk.Secret `json:"secrets"`
	} `json:"token"`

	// AllowUnauthenticated is the explicit opt-in for a source with
	// neither token nor hmac.
	AllowUnauthenticated bool `json:"allow_unauthenticated"`
}

// Source is the generic http source.
type Source struct {
	methods     []string
	typeHeader  string
	typePath    []string
	idHeader    string
	idPath      []string
	hmac        *hmacCheck
	tokenHeader string
	tokenPrefix string
	tokens      [][]byte
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
	s := &Source{typeHeader: strings.ToLower(c.TypeHeader), idHeader: strings.ToLower(c.IDHeader)}
	var diags sdk.Diagnostics
	if c.TypeHeader != "" && c.TypePath != "" {
		diags = append(diags, sdk.Diagnostic{Summary: "Two event type settings", Detail: "Set type_header or type_path, not both.", Attribute: "type_path"})
	}
	if c.IDHeader != "" && c.IDPath != "" {
		diags = append(diags, sdk.Diagnostic{Summary: "Two event id settings", Detail: "Set id_header or id_path, not both.", Attribute: "id_path"})
	}
	if c.TypePath != "" {
		s.typePath = strings.Split(c.TypePath, ".")
	}
	if c.IDPath != "" {
		s.idPath = strings.Split(c.IDPath, ".")
	}
	if h := c.HMAC; h != nil {
		hc, d := newHMACCheck(h.Header, h.Algorithm, h.Encoding, h.Prefix, h.Secrets)
		diags = append(diags, d...)
		s.hmac = hc
	}
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
		keys, d := verify.Secrets("token.secrets", t.Secrets)
		diags = append(diags, d...)
		s.tokens = keys
		s.tokenHeader, s.tokenPrefix = strings.ToLower(t.Header), t.Prefix
	}
	diags = append(diags, checkOpen(c.Token != nil, c.HMAC != nil, c.AllowUnauthenticated)...)
	if len(diags) > 0 {
		return nil, diags
	}
	if c.AllowUnauthenticated {
		cfg.Log().Warn("http source accepts unauthenticated requests (allow_unauthenticated = true)", "pipeline", cfg.Pipeline)
	}
	return s, nil
}

// checkOpen requires an explicit choice: a check (token, hmac or both),
// or allow_unauthenticated = true, never neither and never both.
func checkOpen(token, hmac, allow bool) sdk.Diagnostics {
	switch {
	case !token && !hmac && !allow:
		return sdk.Diagnostics{{Summary: "Unauthenticated source",
			Detail:    "Neither token nor hmac is set, so anyone who can reach this path could post events. Add a token {} or hmac {} block, or set allow_unauthenticated = true if an open endpoint is intended (a demo, a trusted network).",
			Attribute: "allow_unauthenticated"}}
	case allow && (token || hmac):
		return sdk.Diagnostics{{Summary: "Contradictory authentication",
			Detail:    "allow_unauthenticated = true, but a token or hmac block is set and is checked. Remove allow_unauthenticated.",
			Attribute: "allow_unauthenticated"}}
	}
	return nil
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
		hdr = verify.Without(hdr, s.tokenHeader)
	}
	if s.hmac != nil {
		if err := s.hmac.check(hdr.Get(s.hmac.header), req.Body); err != nil {
			return sdk.Receipt{}, sdk.Unauthorized(err)
		}
		hdr = verify.Without(hdr, s.hmac.header)
	}
	var id string
	switch {
	case s.idPath != nil:
		id = verify.Fields(req.Body, s.idPath)[0]
	case s.idHeader != "":
		id = hdr.Get(s.idHeader)
	default:
		id = hdr.Get("idempotency-key")
		if id == "" {
			id = hdr.Get("x-request-id")
		}
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
	switch {
	case s.typeHeader != "":
		ev.Type = hdr.Get(s.typeHeader)
	case s.typePath != nil:
		ev.Type = verify.Fields(req.Body, s.typePath)[0]
	}
	return sdk.Receipt{Event: ev}, nil
}

func (s *Source) tokenOK(got string) bool {
	tok, ok := strings.CutPrefix(got, s.tokenPrefix)
	return ok && verify.TokenMatch(s.tokens, tok)
}

// hmacCheck is the generic body signature check.
type hmacCheck struct {
	header  string
	hash    func() hash.Hash
	base64  bool
	prefix  string
	secrets [][]byte
}

func newHMACCheck(header, algorithm, encoding, prefix string, secrets []sdk.Secret) (*hmacCheck, sdk.Diagnostics) {
	var diags sdk.Diagnostics
	h := &hmacCheck{header: strings.ToLower(strings.TrimSpace(header)), prefix: prefix}
	if h.header == "" {
		diags = append(diags, sdk.Diagnostic{Summary: "Empty hmac header", Detail: "hmac.header must name a header.", Attribute: "hmac.header"})
	}
	var ok bool
	if h.hash, ok = verify.Hash(algorithm); !ok {
		diags = append(diags, sdk.Diagnostic{Summary: "Unsupported algorithm", Detail: fmt.Sprintf("%q: use sha1, sha256 or sha512.", algorithm), Attribute: "hmac.algorithm"})
	}
	switch encoding {
	case "hex":
	case "base64":
		h.base64 = true
	default:
		diags = append(diags, sdk.Diagnostic{Summary: "Unsupported encoding", Detail: fmt.Sprintf("%q: use hex or base64.", encoding), Attribute: "hmac.encoding"})
	}
	keys, d := verify.Secrets("hmac.secrets", secrets)
	h.secrets = keys
	return h, append(diags, d...)
}

func (h *hmacCheck) check(value string, body []byte) error {
	if value == "" {
		return verify.ErrMissing
	}
	v, ok := strings.CutPrefix(strings.TrimSpace(value), h.prefix)
	if !ok {
		return fmt.Errorf("%w: missing prefix", verify.ErrMalformed)
	}
	var sig []byte
	var err error
	if h.base64 {
		sig, err = base64.StdEncoding.DecodeString(v)
	} else {
		sig, err = hex.DecodeString(v)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", verify.ErrMalformed, err)
	}
	if !verify.AnyMatch(h.secrets, func(k []byte) []byte { return verify.HMAC(h.hash, k, body) }, [][]byte{sig}) {
		return verify.ErrMismatch
	}
	return nil
}

// Close does nothing; the source holds no resources.
func (s *Source) Close(context.Context) error { return nil }
