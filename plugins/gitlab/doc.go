// Package gitlab is the built-in "gitlab" source: it checks X-Gitlab-Token
// against a list of secrets in constant time, names the event from the
// body's object_kind and action ("merge_request.open"), and uses
// Idempotency-Key (stable across GitLab's retries) or X-Gitlab-Event-UUID
// as the event id.
//
// It imports only sdk and plugins/internal/verify.
package gitlab
