package core

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/hashicorp/hcl/v2"

	"github.com/hookferry/hookferry/core/internal/config"
	"github.com/hookferry/hookferry/core/internal/delivery"
)

// checkEgress lets the config loader classify a sink URL's address with
// the very policy delivery enforces at connect time.
func checkEgress(addr netip.Addr, denyPrivate bool) error {
	return delivery.Egress{DenyPrivate: denyPrivate}.Check(addr)
}

// checkAdminOverride applies the admin block's rule to an address given
// on the command line (--admin-listen): beyond loopback only with a
// token. The configuration's own address was checked when it loaded.
func checkAdminOverride(addr string, admin config.Admin) error {
	if addr == "" {
		return nil
	}
	loopback, err := config.LoopbackOnly(addr)
	if err != nil {
		return fmt.Errorf("admin listen address %q: %w", addr, err)
	}
	if !loopback && admin.Token.Empty() {
		return fmt.Errorf("admin listen address %q is reachable beyond this machine and the configuration sets no admin.token; set one, or listen on loopback", addr)
	}
	return nil
}

// validation is what `validate --json` prints.
type validation struct {
	Valid        bool                    `json:"valid"`
	ErrorCount   int                     `json:"error_count"`
	WarningCount int                     `json:"warning_count"`
	Diagnostics  []config.JSONDiagnostic `json:"diagnostics"`
}

// WriteValidationJSON prints the outcome of Validate for machines (CI): a
// JSON object with valid, error_count, warning_count and diagnostics
// (severity, summary, detail, file, line, column). It carries no source
// snippets. An error that is not a configuration problem becomes one
// diagnostic without a location.
func WriteValidationJSON(w io.Writer, s Summary, err error) error {
	var diags hcl.Diagnostics
	var ce *ConfigError
	switch {
	case errors.As(err, &ce):
		diags = ce.Diagnostics
	case err != nil:
		diags = hcl.Diagnostics{{Severity: hcl.DiagError, Summary: err.Error()}}
	default:
		diags = s.Warnings
	}
	v := validation{Valid: !diags.HasErrors(), ErrorCount: len(diags.Errs()), Diagnostics: config.JSONDiagnostics(diags)}
	v.WarningCount = len(diags) - v.ErrorCount
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
