package verify

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/schema"
)

// Definition describes a signing source whose configuration is a secret
// list and, when tolerance is positive, a timestamp tolerance with that
// default.
func Definition[S sdk.Source](name, description, secretsDescription string, tolerance time.Duration, newSource func(context.Context, sdk.Config) (S, error)) sdk.Definition {
	attrs := []schema.Attribute{SecretsAttribute(secretsDescription)}
	if tolerance > 0 {
		attrs = append(attrs, schema.Attribute{Name: "tolerance", Type: schema.String, Default: tolerance.String(), Description: "How far the signed timestamp may be from now, either way; at most 1h."})
	}
	return sdk.DefineSource(name, description, schema.Block{Attributes: attrs}, newSource)
}

// Settings are a signing source's decoded configuration.
type Settings struct {
	Secrets   [][]byte
	Tolerance time.Duration // zero when the source has none
}

// secretsConfig is the configuration of a source without a timestamp;
// toleranceConfig of one with (Definition's tolerance > 0). Each matches
// its schema exactly, as sdk.Config.Decode checks.
type (
	secretsConfig struct {
		Secrets []sdk.Secret `json:"secrets"`
	}
	toleranceConfig struct {
		secretsConfig
		Tolerance string `json:"tolerance"`
	}
)

// Decode reads and checks secrets (and tolerance, when present).
func Decode(cfg sdk.Config) (Settings, error) {
	var c toleranceConfig
	var present map[string]json.RawMessage
	_ = json.Unmarshal(cfg.Values, &present)
	target := any(&c)
	if _, ok := present["tolerance"]; !ok {
		target = &c.secretsConfig
	}
	if err := cfg.Decode(target); err != nil {
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
