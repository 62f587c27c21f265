// Package pluginhost runs third-party plugin binaries written with the SDK:
// it starts them through go-plugin (gRPC only, AutoMTLS, checksum checked
// before the binary runs, the host's environment not passed), copies their
// logs into hookferry's log tagged with the plugin's name, supervises
// them (a plugin that dies is restarted after 250ms, with a doubling delay
// past a few restarts a minute, and its components configure themselves
// again; it records whether each process crashed or was stopped from
// outside, and signals each restart so that waiting deliveries resume) and
// kills them when the host stops. Each plugin runs as the leader of its own
// process group, which is ended with it, so processes a plugin starts do
// not outlive it (and the SDK's Serve ends the group itself when the host
// is killed). A plugin built for a protocol version the host does not
// accept fails at start with an *IncompatibleError naming both versions.
//
// It imports sdk and sdk/plugin; the components it hands the catalog are
// plain sdk values.
package pluginhost
