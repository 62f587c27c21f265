// Package shopify is the built-in "shopify" source: it verifies
// X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the raw body keyed by the
// app's client secret), takes the type from X-Shopify-Topic
// ("orders/create") and the id from X-Shopify-Webhook-Id.
//
// It imports only sdk and plugins/internal/verify.
package shopify
