package delivery

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/hookferry/hookferry/sdk"
)

// countingConn counts the writes made on a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// A request with a webhook-sized body goes out in one write: its head and
// body share the write buffer (fasthttp's default split a body of a few
// KiB over two write syscalls).
func TestRequestGoesOutInOneWrite(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 20<<10)
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
	}))
	defer srv.Close()
	c := NewClient(Egress{})
	var writes atomic.Int64
	dial := c.hc.Dial
	c.hc.Dial = func(addr string) (net.Conn, error) {
		conn, err := dial(addr)
		if err != nil {
			return nil, err
		}
		return countingConn{conn, &writes}, nil
	}
	for i := range 3 {
		before := writes.Load()
		resp, err := c.Send(context.Background(), &sdk.Outbound{Method: "POST", URL: srv.URL, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || got.Load() != int64(len(body)) {
			t.Fatalf("request %d: status %d, the server read %d of %d bytes", i, resp.StatusCode, got.Load(), len(body))
		}
		if n := writes.Load() - before; n != 1 {
			t.Fatalf("request %d of %d body bytes went out in %d writes, want 1", i, len(body), n)
		}
	}
}
