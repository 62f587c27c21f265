package config

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"

	"github.com/hookferry/hookferry/sdk"
)

// DefaultAdminListen is the admin API's address when an admin block does
// not say: loopback only. Without an admin block there is no admin API.
const DefaultAdminListen = "127.0.0.1:8089"

// Admin is the admin API's listener: admin { listen = "..."  token =
// env("HOOKFERRY_ADMIN_TOKEN") }.
type Admin struct {
	// Listen is the admin API's address; empty (no admin block) disables
	// it.
	Listen string
	// Token, when set, is the bearer token every admin endpoint but the
	// health probes requires. It is a secret: never printed.
	Token sdk.Secret
	// ListenRange is where the address is set (the block's header when
	// the default applies), for errors about it.
	ListenRange hcl.Range
}

type rawAdmin struct {
	Listen hcl.Expression `hcl:"listen,optional"`
	Token  hcl.Expression `hcl:"token,optional"`
}

// admins decodes the admin block (at most one in the whole config).
func (l *loader) admins() hcl.Diagnostics {
	var diags hcl.Diagnostics
	l.parsed.blocks(blockAdmin, func(pf *parsedFile, b *hcl.Block) {
		if d := single(&l.admin, b); d != nil {
			diags = append(diags, d...)
			return
		}
		var ra rawAdmin
		diags = append(diags, gohcl.DecodeBody(b.Body, nil, &ra)...)
		a := &l.cfg.Admin
		a.Listen, a.ListenRange = DefaultAdminListen, b.DefRange
		var listen string
		evalString(ra.Listen, pf.ectx, &listen, &diags)
		if listen != "" {
			a.Listen, a.ListenRange = listen, ra.Listen.Range()
		}
		l.secrets.addAttribute(b.Body, "token")
		if v, ok := eval(ra.Token, pf.ectx, cty.String, &diags); ok {
			token := v.AsString()
			if token == "" {
				r := ra.Token.Range()
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty admin token", Detail: "token is empty; give it a long random value (from the environment: env(\"HOOKFERRY_ADMIN_TOKEN\")), or remove it to run the admin API on loopback without one.", Subject: &r})
			}
			a.Token = sdk.NewSecret(token)
		}
	})
	return diags
}

// checkAdmin refuses an admin API that listens beyond loopback without a
// token: it can replay anything.
func (l *loader) checkAdmin() hcl.Diagnostics {
	a := l.cfg.Admin
	if a.Listen == "" {
		return nil
	}
	loopback, err := LoopbackOnly(a.Listen)
	switch {
	case err != nil:
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid admin listen address", Detail: fmt.Sprintf("%q: %v; write it like \"127.0.0.1:8089\".", a.Listen, err), Subject: a.ListenRange.Ptr()}}
	case !loopback && a.Token.Empty():
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Admin API open without a token", Detail: fmt.Sprintf("%q is reachable beyond this machine, and the admin API can replay any event. Set admin.token (token = env(\"HOOKFERRY_ADMIN_TOKEN\")), or listen on loopback (127.0.0.1).", a.Listen), Subject: a.ListenRange.Ptr()}}
	}
	return nil
}

// LoopbackOnly reports whether a listen address ("host:port") accepts
// connections from this machine only: a loopback address or "localhost".
// An empty host listens on every interface.
func LoopbackOnly(addr string) (bool, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if port == "" {
		return false, fmt.Errorf("no port")
	}
	if strings.EqualFold(host, "localhost") {
		return true, nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false, nil // a name: it may resolve to anything
	}
	return ip.Unmap().IsLoopback(), nil
}

// AdminListen reads only the admin block's address: CLI commands that talk
// to a running hookferry need nothing else, and must not require the
// pipelines' secrets (or the admin token) in their environment. "" means
// the configuration has no admin block.
func AdminListen(path string, lookupEnv func(string) (string, bool)) (string, *Config, hcl.Diagnostics) {
	p, diags := Parse(path, lookupEnv)
	cfg := &Config{Files: p.files}
	if diags.HasErrors() {
		return "", cfg, diags
	}
	var addr string
	p.blocks(blockAdmin, func(pf *parsedFile, b *hcl.Block) {
		content, _, d := b.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "listen"}}})
		diags = append(diags, d...)
		addr = DefaultAdminListen
		if attr := content.Attributes["listen"]; attr != nil {
			evalString(attr.Expr, pf.ectx, &addr, &diags)
		}
	})
	return addr, cfg, diags
}
