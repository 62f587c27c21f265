package attr

import (
	"fmt"
	"net/url"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// HTTPURL checks that v is an absolute http or https URL with a host.
func HTTPURL(name, v string, diags *sdk.Diagnostics) *url.URL {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		*diags = append(*diags, sdk.Diagnostic{Summary: "Invalid " + name, Detail: name + " must be an absolute http:// or https:// URL with a host.", Attribute: name})
		return nil
	}
	return u
}

// Duration checks that v is a positive duration ("500ms", "10s").
func Duration(name, v string, diags *sdk.Diagnostics) time.Duration {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		*diags = append(*diags, sdk.Diagnostic{Summary: "Invalid " + name, Detail: fmt.Sprintf("%q is not a positive duration such as \"500ms\" or \"10s\".", v), Attribute: name})
		return 0
	}
	return d
}
