// Package discord is the built-in "discord" sink: messages to a Discord
// webhook. Discord's documented limits (content 2000 characters, 10
// embeds) are checked before sending, and a message over them fails at
// once with the reason rather than being truncated. A 429 is retried after
// Discord's retry_after (JSON body, seconds as a float) or Retry-After.
//
// Of this repository it imports only plugins/internal/attr, sdk,
// sdk/schema.
package discord
