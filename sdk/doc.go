// Package sdk is the public contract between hookferry and its components.
//
// A component is a source (verifies and classifies an inbound webhook), a
// transform (maps one message to zero, one or many) or a sink (renders a
// message into an outbound request and interprets the answer). Built-in
// components in plugins/ and third-party plugin binaries implement the same
// interfaces; the engine cannot tell them apart.
//
// Import rules: sdk imports only the standard library and its own
// sub-packages. It must never import core/, plugins/ or cmd/ (a test in this
// package enforces it), so that a plugin author who imports sdk gets nothing
// of the host.
package sdk
