// Package attr checks common attribute values for built-in components and
// reports problems as sdk diagnostics naming the attribute. Messages never
// repeat the value when it may be a secret (URLs).
//
// Of this repository it imports only sdk.
package attr
