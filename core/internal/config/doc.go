// Package config loads hookferry's HCL configuration: a file or a folder of
// *.hcl files.
//
// Parse reads and parses each file once and splits its top level by block
// kind; each kind has its own file here and decodes only its own blocks:
// server.go, queue.go, egress.go, admin.go, telemetry.go (which also reads
// the standard OTEL_* variables through the env lookup), plugin.go (read first, so the
// plugins' components are known), pipeline.go, source.go, transform.go and
// sink.go. load.go ties them together; the checks that need the whole
// configuration (sink URLs against the egress policy, the admin listener
// against its token) run once every file is decoded.
//
// Decoding is two-phase. gohcl decodes the fixed structure and keeps each
// component block's remaining body and range (component.go); then each
// component body is decoded with hcldec against the schema its definition
// declares, and handed to the component as plain JSON values. Every problem
// is an hcl.Diagnostic with a range, and all of them are collected before
// returning, so a user sees every mistake at once. A diagnostic whose
// snippet would show a line holding a secret (an attribute its schema marks
// sensitive, admin.token) is rendered without it (secret.go).
//
// It imports sdk, the HCL libraries and the leaf core/internal/glob (the
// event pattern syntax); it must not import ingress,
// pipeline, delivery or any stage: the egress classification of sink URLs
// is handed in (Options.CheckEgress).
package config
