// Package pluginhost runs third-party plugin binaries written with the SDK:
// it starts them through go-plugin (gRPC only, AutoMTLS, checksum checked
// before the binary runs, the host's environment not passed), copies their
// logs into hookferry's log tagged with the plugin's name, supervises
// them (a plugin that dies is restarted with backoff, at most a few times
// a minute, and its components configure themselves again) and kills them
// when the host stops.
//
// It imports sdk and sdk/plugin; the components it hands the registry are
// plain sdk values.
package pluginhost
