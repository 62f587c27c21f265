package config

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/hookferry/hookferry/sdk/schema"
)

// sinkURL is a destination URL a sink was configured with: checked once
// the whole configuration (its egress block too) is read.
type sinkURL struct {
	sink, attr, value string
	rng               hcl.Range
}

// metadataHosts are the names of cloud metadata endpoints: the egress
// policy refuses their addresses, whatever deny_private says.
var metadataHosts = []string{"metadata.google.internal", "metadata.goog"}

// collectSinkURLs keeps the URL attributes of a sink ("url" and "*_url"
// strings of its schema) that the configuration sets.
func (l *loader) collectSinkURLs(pipeline string, s *Sink) {
	var values map[string]json.RawMessage
	if json.Unmarshal(s.Config.Values, &values) != nil {
		return
	}
	for _, a := range s.Def.Schema.Attributes {
		if a.Type.Kind() != schema.KindString || (a.Name != "url" && !strings.HasSuffix(a.Name, "_url")) {
			continue
		}
		attr := findAttribute(s.body, a.Name)
		var v string
		if attr == nil || json.Unmarshal(values[a.Name], &v) != nil || v == "" {
			continue
		}
		l.sinkURLs = append(l.sinkURLs, sinkURL{sink: pipeline + "/" + s.Name, attr: a.Name, value: v, rng: attr.Expr.Range()})
	}
}

// checkSinkURLs reports the sink URLs that no delivery could ever use.
func (l *loader) checkSinkURLs() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, u := range l.sinkURLs {
		diags = append(diags, checkSinkURL(u, l.cfg.Egress.DenyPrivate, l.opts.CheckEgress)...)
	}
	return diags
}

// checkSinkURL finds what makes a destination URL unusable: credentials
// in it, a port out of range, a host the egress policy refuses (an
// address, or the name of a cloud metadata endpoint). Other names are not
// resolved here (the answer may differ where hookferry runs); the policy
// checks their addresses when sending. A URL that is not an absolute
// http(s) one is left to the sink's own check. Details never repeat the
// URL: it often carries a token.
func checkSinkURL(su sinkURL, denyPrivate bool, check EgressCheck) hcl.Diagnostics {
	var diags hcl.Diagnostics
	add := func(summary, detail string) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: su.rng.Ptr()})
	}
	u, err := url.Parse(su.value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil
	}
	if u.User != nil {
		add("Credentials in a URL", fmt.Sprintf("The %s of sink %q has a user name or password before the host (user:password@...). URLs end up in logs and error messages; send credentials in the sink's headers or token settings instead.", su.attr, su.sink))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			add("Invalid port", fmt.Sprintf("The %s of sink %q has port %s; a port is a number from 1 to 65535.", su.attr, su.sink, p))
		}
	}
	// refused says why; policy is whether deny_private is the reason (so
	// turning it off is a way out), rather than an address always refused.
	refused := func(why string, policy bool) {
		hint := ""
		if policy {
			hint = ", or set egress.deny_private = false"
		}
		add("Destination refused by the egress policy", fmt.Sprintf("The %s of sink %q is refused: %s. Every delivery would be dead-lettered without a request; point it elsewhere%s.", su.attr, su.sink, why, hint))
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	for _, m := range metadataHosts {
		if host == m {
			refused(host+" is a cloud metadata endpoint, always refused", false)
			return diags
		}
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || check == nil {
		return diags
	}
	addr = addr.WithZone("")
	if err := check(addr, denyPrivate); err != nil {
		why := err.Error()
		if i := strings.Index(why, ": "); i >= 0 {
			why = why[i+2:] // drop the sentinel's "egress refused: "
		}
		refused(why, check(addr, false) == nil)
	}
	return diags
}
