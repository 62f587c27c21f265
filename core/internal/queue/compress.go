package queue

import (
	"fmt"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/nats-io/nats.go"
)

// Stored event bodies are compressed with S2 (JetStreamConfig.Compress):
// a webhook's JSON shrinks 3-4× (the 7.3 KB GitHub push to 2.1 KB in
// 3 µs; decoding takes under 1 µs), and what the store holds shrinks with
// it: its files, the bytes each sync writes, and nats-server's block
// caches, which keep every block read in the last 10 s in memory (the
// largest part of the process's memory under load). A compressed body is
// marked by the Hf-Encoding header, so bodies stored without it (small
// ones, ones that do not compress, those of older versions) read as they
// are.

const (
	hdrEncoding = "Hf-Encoding"
	encodingS2  = "s2"
	// compressFrom: smaller bodies are stored as they are (the header
	// costs more than S2 saves on them).
	compressFrom = 512
)

var compressBufs = sync.Pool{New: func() any { return new([]byte) }}

// compressInto sets msg's data to body compressed, when that saves at
// least an eighth. release returns the buffer: call it once the store
// has answered (the message may be written until then); nil when the
// body is stored as it is.
func compressInto(msg *nats.Msg, body []byte) (release func()) {
	if len(body) < compressFrom {
		return nil
	}
	bp := compressBufs.Get().(*[]byte)
	if n := s2.MaxEncodedLen(len(body)); cap(*bp) < n {
		*bp = make([]byte, n)
	}
	enc := s2.Encode((*bp)[:cap(*bp)], body)
	if len(enc) > len(body)-len(body)/8 {
		putCompressBuf(bp)
		return nil
	}
	msg.Data = enc
	msg.Header.Set(hdrEncoding, encodingS2)
	return func() { putCompressBuf(bp) }
}

// putCompressBuf keeps a buffer for the next body, unless it is huge.
func putCompressBuf(bp *[]byte) {
	if cap(*bp) <= 1<<20 {
		compressBufs.Put(bp)
	}
}

// bodyFrom returns the stored body, decompressed when it was stored
// compressed. limit bounds the decoded size (0: none): a body larger than
// any accepted cannot have been stored by us.
func bodyFrom(h nats.Header, data []byte, limit int) ([]byte, error) {
	switch enc := h.Get(hdrEncoding); enc {
	case "":
		return data, nil
	case encodingS2:
		n, err := s2.DecodedLen(data)
		if err != nil {
			return nil, fmt.Errorf("stored body: %w", err)
		}
		if limit > 0 && n > limit {
			return nil, fmt.Errorf("stored body: decodes to %d bytes, more than the largest accepted (%d)", n, limit)
		}
		out, err := s2.Decode(make([]byte, n), data)
		if err != nil {
			return nil, fmt.Errorf("stored body: %w", err)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("stored body: unknown encoding %q (written by a newer version?)", enc)
	}
}
