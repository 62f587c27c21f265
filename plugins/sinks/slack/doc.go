// Package slack is the built-in "slack" sink: messages to Slack
// through an incoming webhook (webhook_url) or the Web API's
// chat.postMessage (token and channel), with each documented answer
// classified: incoming-webhook 4xx errors (invalid_payload, no_text,
// action_prohibited, channel_not_found, no_service, channel_is_archived)
// are permanent; 429 retries after Retry-After; the Web API's 200
// {"ok":false} is permanent except "ratelimited", which retries after
// Retry-After. Default pace: one message per second.
//
// Of this repository it imports only plugins/internal/attr, sdk,
// sdk/schema.
package slack
