package queue

import (
	"fmt"
	"strconv"
)

// The queue stores an event as one NATS message: the body is the data and
// the metadata (id, type, source, the request headers as JSON) travels in
// headers. NATS refuses a message over its max_payload (1 MiB unless set),
// so the ingress's max_body_size and the queue's message limit must agree:
// a body the ingress takes but the queue cannot store would get 503 for
// ever.

// envelopeOverhead is room for the stored envelope beside a body: the
// request headers (at most headerSize bytes on the wire; JSON-encoding
// them may grow them, so twice that) and our own metadata headers.
func envelopeOverhead(headerSize int) int {
	return 2*max(headerSize, 0) + 64<<10
}

// maxPayloadLimit is the most an embedded server is configured for: NATS
// keeps max_payload under max_pending (64 MiB by default) and warns above
// 8 MiB; past 64 MiB a webhook is no longer a webhook.
const maxPayloadLimit = 64 << 20

// payloadFor is the max_payload that stores an event with a body of
// bodySize bytes and headers of headerSize bytes. 0 when bodySize is 0:
// no requirement (NATS's default stays).
func payloadFor(bodySize, headerSize int) int {
	if bodySize <= 0 {
		return 0
	}
	return bodySize + envelopeOverhead(headerSize)
}

// SizeError means the queue cannot store events as large as the ingress
// accepts (server.max_body_size).
type SizeError struct {
	MaxBodySize int   // server.max_body_size
	Needed      int   // the message size that body needs with its envelope
	Limit       int64 // what the NATS server accepts
	External    bool
}

func (e *SizeError) Error() string {
	if e.External {
		return fmt.Sprintf("queue: server.max_body_size is %s but the NATS server takes messages up to %s "+
			"(a %s body needs %s with its stored headers): raise max_payload on the NATS server to at least %d, "+
			"or lower server.max_body_size", sizeText(int64(e.MaxBodySize)), sizeText(e.Limit),
			sizeText(int64(e.MaxBodySize)), sizeText(int64(e.Needed)), e.Needed)
	}
	return fmt.Sprintf("queue: server.max_body_size is %s; the embedded queue stores events up to %s: lower server.max_body_size",
		sizeText(int64(e.MaxBodySize)), sizeText(e.Limit-int64(e.Needed-e.MaxBodySize)))
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 2, 64) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	default:
		return strconv.FormatInt(n, 10) + " bytes"
	}
}
