// Package ingress is the fasthttp listener that receives webhooks. It routes
// by exact path to an Endpoint (an interface it declares; it does not know
// pipelines), answers 404 and 405 itself, and enforces body and header size
// limits, timeouts and a concurrency cap. The route table is swapped whole
// (SetRoutes, on a config reload): a request is routed by the old table or
// the new one, and SetRoutes returns once the old one is out of use.
//
// Everything an endpoint needs is copied out of fasthttp's RequestCtx,
// which is reused after the handler returns.
//
// It imports only sdk.
package ingress
