// Package github is the built-in "github" source: it verifies
// X-Hub-Signature-256 (HMAC-SHA256 of the raw body, hex, "sha256="
// prefix) against a list of secrets, names the event from X-GitHub-Event
// and the body's action ("pull_request.opened"), and uses
// X-GitHub-Delivery as the event id.
//
// It imports only sdk and plugins/internal/verify.
package github
