package tap

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// KeepAlive is how often an idle stream gets a comment, so proxies keep
// it open.
const KeepAlive = 15 * time.Second

// Stream writes a watcher's events to w as server-sent events until the
// request ends or closing is closed: "event: webhook" with what encode
// makes of each event, "event: dropped" (data: the count) when the
// watcher fell behind, and a comment every KeepAlive. The caller has set
// the headers and written the status (see StartStream).
func Stream(w http.ResponseWriter, r *http.Request, closing <-chan struct{}, sub *Sub, encode func(Event) []byte) {
	fl, _ := w.(http.Flusher)
	keepalive := time.NewTicker(KeepAlive)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-closing:
			return
		case <-keepalive.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
		case ev := <-sub.C():
			if n := sub.Dropped(); n > 0 {
				fmt.Fprintf(w, "event: dropped\ndata: %d\n\n", n)
			}
			if _, err := fmt.Fprintf(w, "event: webhook\nid: %s\ndata: %s\n\n", oneLine(ev.ID), encode(ev)); err != nil {
				return
			}
		}
		if fl != nil {
			fl.Flush()
		}
	}
}

// StartStream answers a request with an event stream that outlives the
// server's write timeout, or with 500 when w cannot stream.
func StartStream(w http.ResponseWriter, comment string) bool {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return false
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, ": %s\n\n", oneLine(comment))
	fl.Flush()
	return true
}

// oneLine keeps a value on its SSE line.
func oneLine(s string) string {
	return strings.NewReplacer("\n", "", "\r", "").Replace(s)
}
