package sdk

import "log/slog"

// Secret holds a sensitive string. It prints as [redacted] through fmt,
// slog and JSON, so it cannot leak into logs or history by accident; call
// Reveal where the value is really needed.
type Secret struct{ v string }

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{v: s} }

// Reveal returns the secret value.
func (s Secret) Reveal() string { return s.v }

// Empty reports whether the secret is the empty string.
func (s Secret) Empty() bool { return s.v == "" }

const redacted = "[redacted]"

func (s Secret) String() string               { return redacted }
func (s Secret) GoString() string             { return redacted }
func (s Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// UnmarshalJSON lets a Secret be decoded straight from Config.Decode.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := jsonUnmarshal(b, &v); err != nil {
		return err
	}
	s.v = v
	return nil
}
