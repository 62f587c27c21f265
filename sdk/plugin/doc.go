// Package plugin is the wire between hookferry and plugin binaries, on
// hashicorp/go-plugin over gRPC (protocol hookferry.v1, see
// sdk/internal/proto/hookferry/v1).
//
// A plugin's main calls Serve with its component definitions. The host
// uses Client, whose Definitions build components that are plain sdk
// Source, Transform and Sink values backed by the plugin process (one Go
// type per kind; what the plugin's component can do beyond its kind
// travels as sdk.Capabilities): to the engine a plugin component and a
// built-in are the same. The host's services (the egress-checked HTTP
// client of sdk.Config) are served back to the plugin over go-plugin's
// broker. Sink renders, the call on every delivery's path, go first over
// a Unix socket the plugin offers at Configure (socket.go: a token
// learned over gRPC, length-prefixed protobuf frames, no per-call
// goroutine hand-offs), and over gRPC when it does not or fails.
//
// It imports sdk, its generated protocol, go-plugin and gRPC; never core,
// plugins or cmd.
package plugin
