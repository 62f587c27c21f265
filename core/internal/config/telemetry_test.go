package config

import (
	"strings"
	"testing"
)

func TestTelemetryBlockAndEnvironment(t *testing.T) {
	const pipeline = `
pipeline "p" {
  source "src" { path = "/a" }
  sink "snk" "out" { url = "https://example.test/" }
}`
	tests := []struct {
		name, block string
		env         map[string]string
		endpoint    string
		ratio       float64
		parentBased bool
		errs        []string
	}{
		{"off by default", ``, nil, "", 1, true, nil},
		{"block: base URL gets /v1/traces", "telemetry {\n  otlp_endpoint = \"http://127.0.0.1:4318\"\n  sample_ratio = 0.1\n}", nil, "http://127.0.0.1:4318/v1/traces", 0.1, true, nil},
		{"block: full traces URL kept", "telemetry {\n  otlp_endpoint = \"https://otel.example.test/otlp/v1/traces\"\n}", nil, "https://otel.example.test/otlp/v1/traces", 1, true, nil},
		{"block: ratio 0 is valid", "telemetry {\n  otlp_endpoint = \"http://c:4318\"\n  sample_ratio = 0\n}", nil, "http://c:4318/v1/traces", 0, true, nil},
		{"block: ratio above 1", "telemetry {\n  otlp_endpoint = \"http://c:4318\"\n  sample_ratio = 1.5\n}", nil, "http://c:4318/v1/traces", 1.5, true, []string{"04: Invalid sample_ratio"}},
		{"block: negative ratio", "telemetry {\n  otlp_endpoint = \"http://c:4318\"\n  sample_ratio = -0.1\n}", nil, "http://c:4318/v1/traces", -0.1, true, []string{"04: Invalid sample_ratio"}},
		{"block: not http", "telemetry {\n  otlp_endpoint = \"grpc://c:4317\"\n}", nil, "", 1, true, []string{"03: Invalid otlp_endpoint"}},
		{"block: no host", "telemetry {\n  otlp_endpoint = \"http:///v1/traces\"\n}", nil, "", 1, true, []string{"03: Invalid otlp_endpoint"}},
		{"block: credentials in URL", "telemetry {\n  otlp_endpoint = \"https://u:p@c/\"\n}", nil, "", 1, true, []string{"03: Invalid otlp_endpoint"}},
		{"block: bad port", "telemetry {\n  otlp_endpoint = \"http://c:99999\"\n}", nil, "", 1, true, []string{"03: Invalid otlp_endpoint"}},
		{"block without any endpoint", "telemetry {\n  sample_ratio = 0.5\n}", nil, "", 0.5, true, []string{"02: telemetry block without an endpoint"}},
		{"two blocks", "telemetry {\n  otlp_endpoint = \"http://c:4318\"\n}\ntelemetry {\n  otlp_endpoint = \"http://c:4318\"\n}", nil, "http://c:4318/v1/traces", 1, true, []string{"05: Duplicate telemetry block"}},
		{"env: base endpoint and ratio", ``, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/", "OTEL_TRACES_SAMPLER_ARG": "0.25"}, "http://c:4318/v1/traces", 0.25, true, nil},
		{"env: traces endpoint used as is", ``, map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/custom", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://other:4318"}, "http://c:4318/custom", 1, true, nil},
		{"env: traceidratio is not parent based", ``, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.5"}, "http://c:4318/v1/traces", 0.5, false, nil},
		{"env: always_off", ``, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_SAMPLER": "always_off"}, "http://c:4318/v1/traces", 0, false, nil},
		{"env: bad ratio", ``, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_SAMPLER_ARG": "2"}, "http://c:4318/v1/traces", 1, true, []string{"00: Invalid environment variable OTEL_TRACES_SAMPLER_ARG"}},
		{"env: bad endpoint", ``, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "c:4318"}, "", 1, true, []string{"00: Invalid environment variable OTEL_EXPORTER_OTLP_ENDPOINT"}},
		{"env: grpc protocol refused", ``, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "http://c:4317/v1/traces", 1, true, []string{"00: Invalid environment variable OTEL_EXPORTER_OTLP_PROTOCOL"}},
		{"env: the block wins", "telemetry {\n  otlp_endpoint = \"http://block:4318\"\n  sample_ratio = 0.3\n}", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://env:4318", "OTEL_TRACES_SAMPLER_ARG": "0.9"}, "http://block:4318/v1/traces", 0.3, true, nil},
		{"env: block endpoint, env ratio", "telemetry {\n  otlp_endpoint = \"http://block:4318\"\n}", map[string]string{"OTEL_TRACES_SAMPLER_ARG": "0.9"}, "http://block:4318/v1/traces", 0.9, true, nil},
		{"block: parent_based = false", "telemetry {\n  otlp_endpoint = \"http://c:4318\"\n  parent_based = false\n}", map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_always_on"}, "http://c:4318/v1/traces", 1, false, nil},
		{"env: SDK disabled beats the block", "telemetry {\n  otlp_endpoint = \"http://block:4318\"\n}", map[string]string{"OTEL_SDK_DISABLED": "true"}, "", 0, false, nil},
		{"env: exporter none", ``, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, "", 0, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags, _ := loadWith(t, "\n"+tt.block+"\n"+pipeline, tt.env)
			got := errorsAt(diags)
			if strings.Join(got, "|") != strings.Join(tt.errs, "|") {
				t.Fatalf("errors %q, want %q", got, tt.errs)
			}
			tel := cfg.Telemetry
			if tel.Endpoint != tt.endpoint || tel.SampleRatio != tt.ratio || tel.ParentBased != tt.parentBased {
				t.Fatalf("telemetry %+v, want endpoint %q ratio %v parent-based %v", tel, tt.endpoint, tt.ratio, tt.parentBased)
			}
			if len(tt.errs) == 0 && tel.Enabled() != (tt.endpoint != "") {
				t.Fatalf("enabled %v", tel.Enabled())
			}
		})
	}
}

func TestTelemetryHeadersAreSecrets(t *testing.T) {
	cfg, diags, _ := loadWith(t, `
telemetry {
  otlp_endpoint = "https://otel.example.test"
  headers       = { "X-Api-Key" = env("KEY") }
}
pipeline "p" {
  source "src" { path = "/a" }
  sink "snk" "out" { url = "https://example.test/" }
}`, map[string]string{"KEY": "k-123", "OTEL_EXPORTER_OTLP_HEADERS": "x-other=ignored"})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	h := cfg.Telemetry.Headers
	if len(h) != 1 || h["x-api-key"].Reveal() != "k-123" {
		t.Fatalf("headers %v", cfg.Telemetry.HeaderNames())
	}
	// Through the environment, URL-encoded; a malformed value is named by
	// its variable, never quoted.
	cfg, diags, _ = loadWith(t, pipelineOnly, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Basic%20abc,x-tenant=t1"})
	if diags.HasErrors() || cfg.Telemetry.Headers["authorization"].Reveal() != "Basic abc" || cfg.Telemetry.Headers["x-tenant"].Reveal() != "t1" {
		t.Fatalf("env headers %v %v", cfg.Telemetry.HeaderNames(), diags)
	}
	_, diags, _ = loadWith(t, pipelineOnly, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_HEADERS": "secret-value-without-key"})
	if !diags.HasErrors() || strings.Contains(diags.Error(), "secret-value") {
		t.Fatalf("diags %v", diags)
	}
}

const pipelineOnly = `
pipeline "p" {
  source "src" { path = "/a" }
  sink "snk" "out" { url = "https://example.test/" }
}`

func TestSinkTraceContextOptOut(t *testing.T) {
	cfg, diags, _ := loadWith(t, `
pipeline "p" {
  source "src" { path = "/a" }
  sink "snk" "on" { url = "https://example.test/" }
  sink "snk" "off" {
    url           = "https://example.test/"
    trace_context = false
  }
}`, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s := cfg.Pipelines[0].Sinks
	if !s[0].TraceContext || s[1].TraceContext {
		t.Fatalf("trace_context on=%v off=%v", s[0].TraceContext, s[1].TraceContext)
	}
}

func TestTelemetryHeadersLineNeverShown(t *testing.T) {
	cfg, diags, _ := loadWith(t, `
telemetry {
  otlp_endpoint = "https://otel.example.test"
  headers       = "key-literal-secret"
}`+pipelineOnly, nil)
	if !diags.HasErrors() {
		t.Fatal("a string for headers must fail")
	}
	var buf strings.Builder
	if err := WriteDiagnostics(&buf, cfg.Files, diags, 100, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "key-literal-secret") || !strings.Contains(buf.String(), "holds a secret") {
		t.Fatalf("diagnostics:\n%s", buf.String())
	}
}
