// Package github is the built-in "github" source: it verifies
// X-Hub-Signature-256 (HMAC-SHA256 of the raw body, hex, "sha256="
// prefix) against a list of secrets, names the event from X-GitHub-Event
// and the body's action ("pull_request.opened"), and uses
// X-GitHub-Delivery as the event id.
//
// Of this repository it imports only plugins/internal/verify, sdk; outside
// the standard library, github.com/oklog/ulid/v2.
package github
