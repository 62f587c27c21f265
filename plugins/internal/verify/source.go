package verify

import (
	"context"
	"time"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

// Definition describes a signing source whose configuration is a secret
// list and, when tolerance is positive, a timestamp tolerance with that
// default.
func Definition(name, description, secretsDescription string, tolerance time.Duration, newFn func(context.Context, sdk.Config) (sdk.Component, error)) sdk.Definition {
	attrs := []schema.Attribute{SecretsAttribute(secretsDescription)}
	if tolerance > 0 {
		attrs = append(attrs, schema.Attribute{Name: "tolerance", Type: schema.String, Default: tolerance.String(), Description: "How far the signed timestamp may be from now, either way; at most 1h."})
	}
	return sdk.Definition{Kind: sdk.KindSource, Name: name, Description: description, Schema: schema.Block{Attributes: attrs}, New: newFn}
}

// Settings are a signing source's decoded configuration.
type Settings struct {
	Secrets   [][]byte
	Tolerance time.Duration // zero when the source has none
}

// Decode reads and checks secrets (and tolerance, when present).
func Decode(cfg sdk.Config) (Settings, error) {
	var c struct {
		Secrets   []sdk.Secret `json:"secrets"`
		Tolerance string       `json:"tolerance"`
	}
	if err := cfg.Decode(&c); err != nil {
		return Settings{}, err
	}
	var s Settings
	var diags sdk.Diagnostics
	s.Secrets, diags = Secrets("secrets", c.Secrets)
	if c.Tolerance != "" {
		var d sdk.Diagnostics
		s.Tolerance, d = Tolerance("tolerance", c.Tolerance)
		diags = append(diags, d...)
	}
	if len(diags) > 0 {
		return Settings{}, diags
	}
	return s, nil
}
