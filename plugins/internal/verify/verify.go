package verify

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/hookferry/hookferry/plugins/internal/attr"
	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

// SecretsAttribute is the schema of the `secrets` list every signing
// source takes.
func SecretsAttribute(desc string) schema.Attribute {
	return schema.Attribute{Name: "secrets", Type: schema.List(schema.String), Required: true, Sensitive: true, Description: desc}
}

// Secrets checks a secret list: at least one, none empty. An empty list
// would accept nobody at best and is always a configuration mistake.
func Secrets(attr string, secrets []sdk.Secret) ([][]byte, sdk.Diagnostics) {
	var diags sdk.Diagnostics
	if len(secrets) == 0 {
		diags = append(diags, sdk.Diagnostic{Summary: "No secrets", Detail: attr + " is empty: list at least one secret (several during a rotation).", Attribute: attr})
	}
	out := make([][]byte, 0, len(secrets))
	for i, s := range secrets {
		if s.Empty() {
			diags = append(diags, sdk.Diagnostic{Summary: "Empty secret", Detail: fmt.Sprintf("%s[%d] is empty; an empty secret is never accepted.", attr, i), Attribute: attr})
			continue
		}
		out = append(out, []byte(s.Reveal()))
	}
	return out, diags
}

// Hash names a hash for HMAC: "sha1", "sha256" or "sha512".
func Hash(name string) (func() hash.Hash, bool) {
	switch strings.ToLower(name) {
	case "sha1":
		return sha1.New, true
	case "sha256":
		return sha256.New, true
	case "sha512":
		return sha512.New, true
	}
	return nil, false
}

// HMAC computes the MAC of the concatenated parts.
func HMAC(h func() hash.Hash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(h, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// AnyMatch reports whether any candidate signature equals the MAC under any
// key. Every pair is compared, in constant time, whatever matches first.
func AnyMatch(keys [][]byte, mac func(key []byte) []byte, candidates [][]byte) bool {
	ok := 0
	for _, k := range keys {
		want := mac(k)
		for _, c := range candidates {
			if hmac.Equal(want, c) {
				ok = 1
			}
		}
	}
	return ok == 1
}

// TokenMatch reports whether token equals any secret, comparing SHA-256
// digests so neither timing nor length leaks.
func TokenMatch(secrets [][]byte, token string) bool {
	if token == "" {
		return false
	}
	got := sha256.Sum256([]byte(token))
	ok := 0
	for _, s := range secrets {
		want := sha256.Sum256(s)
		if hmac.Equal(got[:], want[:]) {
			ok = 1
		}
	}
	return ok == 1
}

// Errors a source logs (never shown to the sender).
var (
	ErrMissing   = errors.New("signature header missing")
	ErrMalformed = errors.New("signature header malformed")
	ErrMismatch  = errors.New("signature does not match any secret")
	ErrStale     = errors.New("timestamp outside the tolerance window")
)

// UnixSeconds parses a decimal Unix timestamp.
func UnixSeconds(s string) (time.Time, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, fmt.Errorf("%w: timestamp %q", ErrMalformed, s)
	}
	return time.Unix(n, 0), nil
}

// Window checks that ts is within tolerance of now, in both directions: a
// timestamp from the future is as wrong as an old one.
func Window(now, ts time.Time, tolerance time.Duration) error {
	d := now.Sub(ts)
	if d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: %s off, tolerance %s", ErrStale, d.Round(time.Second), tolerance)
	}
	return nil
}

// MaxTolerance is the widest timestamp window a source accepts. The window
// only has to cover clock skew and transit: Stripe, Slack and Standard
// Webhooks senders sign every retry afresh, so a wider window adds no
// deliveries, only a longer time in which a captured request can be
// replayed. An hour is generous for skew and stays far inside the queue's
// de-duplication window (24h by default), so a replay within it is also
// caught as a duplicate.
const MaxTolerance = time.Hour

// maxToleranceText is MaxTolerance as users write it.
const maxToleranceText = "1h"

// Tolerance parses a timestamp tolerance: a positive duration of at most
// MaxTolerance.
func Tolerance(name, s string) (time.Duration, sdk.Diagnostics) {
	var diags sdk.Diagnostics
	d := attr.Duration(name, s, &diags)
	if d > MaxTolerance {
		diags = append(diags, sdk.Diagnostic{Summary: "Tolerance too wide",
			Detail:    fmt.Sprintf("%s is %s; at most %s is accepted. The window covers clock skew only (senders sign each retry afresh), and a wider one lets a captured request be replayed for longer.", name, s, maxToleranceText),
			Attribute: name})
		d = 0
	}
	return d, diags
}

// Without returns a copy of h without the named fields (signatures and
// tokens are not stored with the event).
func Without(h sdk.Header, names ...string) sdk.Header {
	out := h.Clone()
	if out == nil {
		out = sdk.Header{}
	}
	for _, n := range names {
		delete(out, strings.ToLower(n))
	}
	return out
}

// Fields reads top-level or nested string fields of a JSON body, e.g.
// Fields(body, []string{"type"}, []string{"event", "type"}). Missing or
// non-string fields are "". A body that is not JSON gives all "".
func Fields(body []byte, paths ...[]string) []string {
	out := make([]string, len(paths))
	v, err := fastjson.ParseBytes(body)
	if err != nil {
		return out
	}
	for i, p := range paths {
		if f := v.Get(p...); f != nil && f.Type() == fastjson.TypeString {
			out[i] = string(f.GetStringBytes())
		}
	}
	return out
}

// PrefixedHexSHA256 reads "PREFIX<64 hex digits>" (GitHub's "sha256=",
// Slack's "v0=") into the 32 signature bytes.
func PrefixedHexSHA256(v, prefix string) ([]byte, error) {
	h, ok := strings.CutPrefix(strings.TrimSpace(v), prefix)
	if !ok {
		if v == "" {
			return nil, ErrMissing
		}
		return nil, fmt.Errorf("%w: no %s prefix", ErrMalformed, prefix)
	}
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("%w: not 32 bytes of hex", ErrMalformed)
	}
	return b, nil
}
