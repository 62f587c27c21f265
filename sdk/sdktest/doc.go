// Package sdktest checks a component through the real plugin wire: it
// serves the component's definition over gRPC in-process (go-plugin's
// TestPluginGRPCConn) and runs a conformance suite that compares what
// crosses the wire with what the component does in-process on the same
// inputs. Every built-in passes it; a plugin author runs it from the
// plugin's own tests.
//
// It imports sdk and sdk/plugin only.
package sdktest
