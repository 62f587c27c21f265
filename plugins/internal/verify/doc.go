// Package verify holds what the built-in provider sources share: secret
// lists (rotation), HMAC computation, constant-time comparison against
// every secret, timestamp windows (at most MaxTolerance wide), Standard
// Webhooks signatures, and reading fields from a JSON body.
//
// Every comparison here is constant-time in the signature's content and
// tries every secret, so neither timing nor which secret matched leaks.
//
// Of this repository it imports only plugins/internal/attr, sdk,
// sdk/schema; outside the standard library, github.com/valyala/fastjson.
package verify
