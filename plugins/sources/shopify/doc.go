// Package shopify is the built-in "shopify" source: it verifies
// X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the raw body keyed by the
// app's client secret), takes the type from X-Shopify-Topic
// ("orders/create") and the id from X-Shopify-Webhook-Id. Each header is
// also read under Shopify's newer name without the X- prefix
// (Shopify-Hmac-Sha256, Shopify-Topic, Shopify-Event-Id), as Shopify's own
// libraries do.
//
// Of this repository it imports only plugins/internal/verify, sdk; outside
// the standard library, github.com/oklog/ulid/v2.
package shopify
