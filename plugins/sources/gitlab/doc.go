// Package gitlab is the built-in "gitlab" source: it checks X-Gitlab-Token
// against a list of secrets in constant time, and/or a hook's signing
// token (webhook-signature, Standard Webhooks style, with a timestamp
// window); every configured check must pass. It names the event from the
// body's object_kind and action ("merge_request.open"), and uses
// Idempotency-Key (stable across GitLab's retries) or X-Gitlab-Event-UUID
// as the event id.
//
// Of this repository it imports only plugins/internal/verify, sdk,
// sdk/schema; outside the standard library, github.com/oklog/ulid/v2.
package gitlab
