package sdk

// Signer is an optional capability of a Source: it signs a request the way
// the provider does, with the source's own configured secret (the first in
// a rotation list), so offline tests (`hookferry test`, `sign = true`)
// exercise the real verification path without anyone writing signatures
// by hand. Sign sets the provider's signature headers (and, for schemes
// that sign a timestamp or id, those headers too when absent), using
// req.ReceivedAt as the signing time. It never logs or returns the secret.
type Signer interface {
	Sign(req *Request) error
}
