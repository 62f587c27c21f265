// Package plugin is the wire between hookferry and plugin binaries, on
// hashicorp/go-plugin over gRPC (protocol hookferry.v1, see
// sdk/internal/proto/hookferry/v1).
//
// A plugin's main calls Serve with its component definitions. The host
// uses Client, whose Definitions build components that are plain sdk
// Source, Transform and Sink values backed by the plugin process: to the
// engine a plugin component and a built-in are the same type.
//
// It imports sdk, its generated protocol, go-plugin and gRPC; never core,
// plugins or cmd.
package plugin
