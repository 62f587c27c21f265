// Package slack is the built-in "slack" source: it verifies
// X-Slack-Signature ("v0=" + hex HMAC-SHA256 of "v0:TIMESTAMP:BODY" keyed
// by the signing secret) with X-Slack-Request-Timestamp inside a window,
// answers the Events API url_verification handshake itself, and turns
// every body Slack sends into JSON for transforms: Events API envelopes,
// slash commands (form fields) and interactivity payloads (a form field
// "payload" holding JSON).
//
// Of this repository it imports only plugins/internal/verify, sdk; outside
// the standard library, github.com/oklog/ulid/v2.
package slack
