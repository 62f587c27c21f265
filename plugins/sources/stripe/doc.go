// Package stripe is the built-in "stripe" source: it verifies
// Stripe-Signature (t=TIMESTAMP,v1=HEX[,v1=HEX...]; HMAC-SHA256 of
// "TIMESTAMP.BODY" keyed by the whole whsec_... string, as Stripe does;
// the secret is not base64-decoded), checks the timestamp within a
// tolerance in both directions, and takes the event type and id from the
// body.
//
// Of this repository it imports only plugins/internal/verify, sdk.
package stripe
