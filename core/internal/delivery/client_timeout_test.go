package delivery

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/hookferry/hookferry/sdk"
)

// slowServer serves on an in-memory listener (so that it runs on the fake
// clock of a synctest bubble) and answers 200 after delay. It is a few
// lines of HTTP/1.1 rather than a fasthttp.Server, whose process-wide
// date ticker would outlive the bubble.
func slowServer(t *testing.T, delay time.Duration) (*fasthttputil.InmemoryListener, func()) {
	t.Helper()
	ln := fasthttputil.NewInmemoryListener()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				var req fasthttp.Request
				if err := req.Read(bufio.NewReader(conn)); err != nil {
					return
				}
				time.Sleep(delay)
				_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}()
		}
	}()
	return ln, func() {
		_ = ln.Close()
		// Let the server's and the client's goroutines end on the fake clock.
		time.Sleep(2 * time.Minute)
	}
}

func inmemoryClient(ln *fasthttputil.InmemoryListener) *Client {
	c := NewClient(Egress{})
	c.hc.Dial = func(string) (net.Conn, error) { return ln.Dial() }
	return c
}

// TestSinkTimeoutAboveTheDefaultApplies: a sink whose timeout is 30s gets
// an answer that takes 25s (more than the client's DefaultTimeout of 10s),
// and one that takes 31s fails after 30s, not after 10s.
func TestSinkTimeoutAboveTheDefaultApplies(t *testing.T) {
	for _, tc := range []struct {
		answerAfter time.Duration
		wantErr     bool
	}{
		{answerAfter: 25 * time.Second},
		{answerAfter: 31 * time.Second, wantErr: true},
	} {
		synctest.Test(t, func(t *testing.T) {
			ln, stop := slowServer(t, tc.answerAfter)
			defer stop()
			c := inmemoryClient(ln)
			defer c.Close()
			start := time.Now()
			resp, err := c.Send(context.Background(), &sdk.Outbound{Method: "POST", URL: "http://dest.test/", Timeout: 30 * time.Second})
			took := time.Since(start)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "no answer within 30s") || took != 30*time.Second {
					t.Fatalf("answer after %s: err %v after %s, want no answer within 30s after exactly 30s", tc.answerAfter, err, took)
				}
				return
			}
			if err != nil || resp.StatusCode != 200 || took != tc.answerAfter {
				t.Fatalf("answer after %s: %v %v after %s, want 200 after %s", tc.answerAfter, resp, err, took, tc.answerAfter)
			}
		})
	}
}

// TestSendReturnsWhenTheContextEnds: a destination that never answers does
// not hold an attempt past its context's end (shutdown's grace period).
func TestSendReturnsWhenTheContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ln, stop := slowServer(t, time.Minute)
		defer stop()
		c := inmemoryClient(ln)
		defer c.Close()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(2*time.Second, cancel)
		start := time.Now()
		_, err := c.Send(ctx, &sdk.Outbound{Method: "POST", URL: "http://dest.test/", Timeout: 30 * time.Second})
		if !errors.Is(err, context.Canceled) || time.Since(start) != 2*time.Second {
			t.Fatalf("err %v after %s, want cancelled after 2s", err, time.Since(start))
		}
	})
}
