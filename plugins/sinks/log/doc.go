// Package log is the built-in "log" sink: it writes each message as one
// JSON line to a writer the host gives it (stdout in the binary), so a
// demo pipeline needs no other service.
//
// Of this repository it imports only sdk, sdk/schema.
package log
