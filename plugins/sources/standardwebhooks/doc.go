// Package standardwebhooks is the built-in "standardwebhooks" source, for
// any sender that follows the Standard Webhooks specification (Svix,
// Resend, Clerk, ...): webhook-id, webhook-timestamp and
// webhook-signature ("v1,BASE64" entries separated by spaces), or the same
// three as svix-id, svix-timestamp and svix-signature (Svix's default), an
// HMAC-SHA256 of "ID.TIMESTAMP.BODY" keyed by the base64-decoded part of a
// whsec_ secret, and a timestamp window both ways.
//
// Of this repository it imports only plugins/internal/verify, sdk.
package standardwebhooks
