// Package core is hookferry's engine: it loads a configuration, builds
// every component through its catalog (core/internal/catalog), and runs the ingress listener, the
// queue and one delivery consumer per (pipeline, sink). Start and shutdown
// live in engine.go; reloading the configuration of a running engine
// (SIGHUP, POST /v1/reload, run --watch) in reload.go.
//
// This package is the engine's only public face (cmd/ uses it); the parts
// live in core/internal. It receives everything from outside (components,
// logger, environment lookup, writers) and touches no os globals itself.
package core
