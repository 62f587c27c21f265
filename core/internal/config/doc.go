// Package config loads hookferry's HCL configuration: a file or a folder of
// *.hcl files.
//
// Decoding is two-phase. gohcl decodes the fixed structure (server,
// pipeline, source, transform, sink, retry) and keeps each component block's
// remaining body and range; then each component body is decoded with hcldec
// against the schema its definition declares, and handed to the component
// as plain JSON values. Every problem is an hcl.Diagnostic with a range, and
// all of them are collected before returning, so a user sees every mistake
// at once.
//
// It imports sdk, the HCL libraries and the leaf core/internal/glob (the
// event pattern syntax); it must not import ingress, pipeline, delivery or
// any stage.
package config
