// Package pipeline is the ingress side of a pipeline:
//
//	request -> source -> queue
//
// A Pipeline satisfies ingress's Endpoint interface without importing
// ingress: its source checks the request and the event is stored before
// the sender gets its 2xx. What happens after the queue (transforms, sink,
// sending) is the delivery package's worker, one per (pipeline, sink).
//
// It imports queue, sdk and glob (the events pattern syntax).
package pipeline
