// Package buildinfo says which hookferry this is: the module version, the
// VCS revision, the build and commit times and the Go toolchain, read from
// runtime/debug.ReadBuildInfo and, for release builds, from values set at
// link time with -ldflags -X (see deploy/Dockerfile and .goreleaser.yaml).
// The CLI prints it (`hookferry version`); anything that reports the
// running build (a build_info metric, the admin API) reads it here.
// It imports only the standard library.
package buildinfo
