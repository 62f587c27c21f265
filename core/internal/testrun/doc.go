// Package testrun runs `hookferry test`: test files (*.test.hcl) beside
// the configurations name an inbound request per case and what must come
// of it. A case runs the whole pipeline offline — the real source with its
// signature check (sign = true signs the fixture the way the provider
// does), the events filter, the pipeline's and the sink's transforms, and
// the sink's Render — and compares the rendered outbound requests with a
// golden file and/or assert conditions. Nothing is sent and no queue is
// opened. The package does not import the engine: the engine hands it a
// Loader that builds pipelines exactly as `run` does.
package testrun
