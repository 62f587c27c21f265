package config

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"

	"github.com/hookferry/hookferry/sdk"
)

// DefaultServiceName is the service.name of hookferry's spans.
const DefaultServiceName = "hookferry"

// TracesPath is the OTLP/HTTP path of traces, appended to a base endpoint.
const TracesPath = "/v1/traces"

// Telemetry is the tracing setup: telemetry { otlp_endpoint = "..."
// sample_ratio = 0.1 }, or the standard OTEL_* environment variables
// (read through the config's env lookup, never the process's). Tracing is
// off unless one of them names an endpoint.
type Telemetry struct {
	// Endpoint is the full OTLP/HTTP traces URL (".../v1/traces"); empty
	// means tracing is off.
	Endpoint string
	// Headers go with every export (a vendor's API key): secrets.
	Headers map[string]sdk.Secret
	// SampleRatio is the share of new traces recorded, 0..1.
	SampleRatio float64
	// ParentBased follows the sampling decision of an inbound traceparent
	// (the OpenTelemetry default); false samples by ratio alone.
	ParentBased bool
	// ServiceName is the resource's service.name.
	ServiceName string
}

// Enabled reports whether spans are exported.
func (t Telemetry) Enabled() bool { return t.Endpoint != "" }

type rawTelemetry struct {
	Endpoint    hcl.Expression `hcl:"otlp_endpoint,optional"`
	Headers     hcl.Expression `hcl:"headers,optional"`
	SampleRatio hcl.Expression `hcl:"sample_ratio,optional"`
	ParentBased hcl.Expression `hcl:"parent_based,optional"`
	ServiceName hcl.Expression `hcl:"service_name,optional"`
}

// telemetries decodes the telemetry block (at most one in the whole
// config) and fills what it leaves unset from the OTEL_* variables.
func (l *loader) telemetries() hcl.Diagnostics {
	var diags hcl.Diagnostics
	t := &l.cfg.Telemetry
	t.SampleRatio, t.ParentBased, t.ServiceName = 1, true, DefaultServiceName
	var (
		block                                  *hcl.Block
		endpointSet, ratioSet, parentSet, hdrs bool
	)
	l.parsed.blocks(blockTelemetry, func(pf *parsedFile, b *hcl.Block) {
		if d := single(&l.telemetry, b); d != nil {
			diags = append(diags, d...)
			return
		}
		block = b
		var rt rawTelemetry
		diags = append(diags, gohcl.DecodeBody(b.Body, nil, &rt)...)
		var endpoint string
		if evalString(rt.Endpoint, pf.ectx, &endpoint, &diags) {
			endpointSet = true
			u, err := otlpURL(endpoint, true)
			if err != nil {
				r := rt.Endpoint.Range()
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid otlp_endpoint", Detail: err.Error(), Subject: &r})
			}
			t.Endpoint = u
		}
		if v, ok := eval(rt.SampleRatio, pf.ectx, cty.Number, &diags); ok {
			ratioSet = true
			f, _ := v.AsBigFloat().Float64()
			if f < 0 || f > 1 {
				r := rt.SampleRatio.Range()
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid sample_ratio", Detail: fmt.Sprintf("%g: sample_ratio is the share of events traced, from 0 (none, unless the sender's traceparent asks) to 1 (all).", f), Subject: &r})
			}
			t.SampleRatio = f
		}
		if v, ok := eval(rt.ParentBased, pf.ectx, cty.Bool, &diags); ok {
			parentSet, t.ParentBased = true, v.True()
		}
		l.secrets.addAttribute(b.Body, "headers")
		if v, ok := eval(rt.Headers, pf.ectx, cty.Map(cty.String), &diags); ok {
			hdrs = true
			t.Headers = map[string]sdk.Secret{}
			for k, hv := range v.AsValueMap() {
				t.Headers[strings.ToLower(k)] = sdk.NewSecret(hv.AsString())
			}
		}
		evalString(rt.ServiceName, pf.ectx, &t.ServiceName, &diags)
	})
	pb := t.ParentBased
	d, disabled := l.telemetryEnv(t, endpointSet, ratioSet, hdrs)
	if parentSet && !disabled {
		t.ParentBased = pb
	}
	diags = append(diags, d...)
	if block != nil && t.Endpoint == "" && !disabled && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "telemetry block without an endpoint",
			Detail:  "Set otlp_endpoint (an OTLP/HTTP collector, like \"http://127.0.0.1:4318\"), or OTEL_EXPORTER_OTLP_ENDPOINT in the environment; without either, remove the block (tracing is off).",
			Subject: block.DefRange.Ptr()})
	}
	return diags
}

// telemetryEnv applies the standard OpenTelemetry variables to what the
// block did not set. Problems name the variable (it has no file:line).
// disabled is true when OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none
// turns tracing off whatever the block says.
func (l *loader) telemetryEnv(t *Telemetry, endpointSet, ratioSet, headersSet bool) (diags hcl.Diagnostics, disabled bool) {
	env := func(name string) string {
		if l.parsed.lookupEnv == nil {
			return ""
		}
		v, ok := l.parsed.lookupEnv(name)
		if !ok {
			return ""
		}
		return strings.TrimSpace(v)
	}
	bad := func(name, detail string) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid environment variable " + name, Detail: detail})
	}
	if strings.EqualFold(env("OTEL_SDK_DISABLED"), "true") || strings.EqualFold(env("OTEL_TRACES_EXPORTER"), "none") {
		*t = Telemetry{}
		return nil, true
	}
	if v := env("OTEL_TRACES_EXPORTER"); v != "" && !strings.EqualFold(v, "otlp") {
		bad("OTEL_TRACES_EXPORTER", fmt.Sprintf("%q: hookferry exports traces over OTLP/HTTP only (otlp), or not at all (none).", v))
	}
	if !endpointSet {
		name, full := "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", true
		v := env(name)
		if v == "" {
			name, v, full = "OTEL_EXPORTER_OTLP_ENDPOINT", env("OTEL_EXPORTER_OTLP_ENDPOINT"), false
		}
		if v != "" {
			var u string
			var err error
			if full {
				u, err = otlpFullURL(v)
			} else {
				u, err = otlpURL(v, false)
			}
			if err != nil {
				bad(name, err.Error())
			}
			t.Endpoint = u
		}
	}
	if p := env("OTEL_EXPORTER_OTLP_PROTOCOL"); p != "" && p != "http/protobuf" {
		bad("OTEL_EXPORTER_OTLP_PROTOCOL", fmt.Sprintf("%q: hookferry exports over OTLP/HTTP with protobuf (http/protobuf); point it at the collector's HTTP port (4318).", p))
	}
	if !headersSet {
		for _, name := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"} {
			if v := env(name); v != "" {
				h, err := parseOTLPHeaders(v)
				if err != nil {
					bad(name, err.Error()) // never the value: it holds keys
					continue
				}
				if t.Headers == nil {
					t.Headers = map[string]sdk.Secret{}
				}
				for k, hv := range h {
					t.Headers[k] = hv
				}
			}
		}
	}
	if !ratioSet {
		sampler := strings.ToLower(env("OTEL_TRACES_SAMPLER"))
		arg := env("OTEL_TRACES_SAMPLER_ARG")
		ratio := func() float64 {
			if arg == "" {
				return 1
			}
			f, err := strconv.ParseFloat(arg, 64)
			if err != nil || f < 0 || f > 1 {
				bad("OTEL_TRACES_SAMPLER_ARG", fmt.Sprintf("%q: the sampling ratio is a number from 0 to 1.", arg))
				return 1
			}
			return f
		}
		switch sampler {
		case "", "parentbased_traceidratio":
			t.SampleRatio, t.ParentBased = ratio(), true
		case "traceidratio":
			t.SampleRatio, t.ParentBased = ratio(), false
		case "always_on":
			t.SampleRatio, t.ParentBased = 1, false
		case "always_off":
			t.SampleRatio, t.ParentBased = 0, false
		case "parentbased_always_on":
			t.SampleRatio, t.ParentBased = 1, true
		case "parentbased_always_off":
			t.SampleRatio, t.ParentBased = 0, true
		default:
			bad("OTEL_TRACES_SAMPLER", fmt.Sprintf("%q: use always_on, always_off, traceidratio or parentbased_{always_on,always_off,traceidratio}.", sampler))
		}
	}
	if v := env("OTEL_SERVICE_NAME"); v != "" && t.ServiceName == DefaultServiceName {
		t.ServiceName = v
	}
	return diags, false
}

// otlpURL checks a collector URL and gives the traces URL: a base URL
// (OTEL_EXPORTER_OTLP_ENDPOINT) gets /v1/traces appended to its path; in
// the config block, a URL that already ends with /v1/traces is kept as is.
func otlpURL(s string, keepTraces bool) (string, error) {
	u, err := checkOTLPURL(s)
	if err != nil {
		return "", err
	}
	if keepTraces && strings.HasSuffix(u.Path, TracesPath) {
		return u.String(), nil
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + TracesPath
	return u.String(), nil
}

func otlpFullURL(s string) (string, error) {
	u, err := checkOTLPURL(s)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

func checkOTLPURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%q is not a URL: %v", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%q: the OTLP/HTTP endpoint is an http:// or https:// URL, like \"http://127.0.0.1:4318\".", s)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("%q has no host; write it like \"http://127.0.0.1:4318\".", s)
	case u.User != nil:
		return nil, fmt.Errorf("the endpoint holds credentials; put them in headers (headers = { authorization = env(\"OTLP_AUTH\") }) instead")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%q: the endpoint takes no query or fragment.", s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%q: port %s is out of range.", s, p)
		}
	}
	return u, nil
}

// parseOTLPHeaders reads "key1=value1,key2=value2" (values URL-encoded),
// the OTEL_EXPORTER_OTLP_HEADERS format. Errors never quote a value.
func parseOTLPHeaders(s string) (map[string]sdk.Secret, error) {
	out := map[string]sdk.Secret{}
	for i, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("entry %d is not key=value; the format is key1=value1,key2=value2.", i+1)
		}
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("the value of %q is not URL-encoded correctly.", k)
		}
		out[strings.ToLower(k)] = sdk.NewSecret(dv)
	}
	return out, nil
}

// HeaderNames lists the export headers' names (for logs; never values).
func (t Telemetry) HeaderNames() []string {
	names := make([]string, 0, len(t.Headers))
	for k := range t.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
