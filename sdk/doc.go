// Package sdk is the public contract between hookferry and its components.
//
// A component is a source (verifies and classifies an inbound webhook), a
// transform (maps one message to zero, one or many) or a sink (renders a
// message into an outbound request and interprets the answer). Built-in
// components in plugins/ and third-party plugin binaries implement the same
// interfaces; the engine cannot tell them apart.
//
// A component type is declared with DefineSource, DefineTransform or
// DefineSink (a typed constructor); its Config carries the decoded values,
// checked against the schema, and the host's services (HTTPClient). The
// host asks for optional capabilities with As.
//
// Import rules: sdk is its own module (github.com/hookferry/hookferry/sdk);
// the package sdk imports only the standard library and sdk/schema. Nothing
// in the module imports the host's core/, plugins/ or cmd/ (a test in this
// package enforces it), so that a plugin author who imports sdk gets
// nothing of the host.
package sdk
