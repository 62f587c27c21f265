// Package pipeline composes the stages in their one order:
//
//	request -> source -> queue            (ingress side: Serve)
//	queue -> transforms -> sink -> delivery (consumer side: one per sink)
//
// It is the only package that knows that order. It satisfies ingress's
// Endpoint interface without importing ingress, and drives the queue and
// delivery packages; the stages never import each other.
package pipeline
