package ingress

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// keeper is an endpoint that keeps every request it is given.
type keeper struct {
	mu   sync.Mutex
	reqs []*sdk.Request
}

func (k *keeper) Methods() []string { return []string{"POST", "PUT"} }

func (k *keeper) Serve(_ context.Context, req *sdk.Request) *sdk.Response {
	k.mu.Lock()
	k.reqs = append(k.reqs, req)
	k.mu.Unlock()
	return &sdk.Response{StatusCode: 202, Header: sdk.Header{"x-seen": {"1"}}, Body: []byte("ok")}
}

func start(t *testing.T, ep Endpoint) *Server {
	t.Helper()
	s := New(Config{
		MaxBodySize: 1024, MaxHeaderSize: 4096,
		ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, IdleTimeout: time.Second,
		MaxConcurrency: 16,
	}, map[string]Endpoint{"/in": ep}, slog.New(slog.DiscardHandler))
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

// raw sends bytes on a fresh connection and returns the status line.
func raw(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("reading status: %v", err)
	}
	return strings.TrimSpace(line)
}

func TestRoutingAndLimits(t *testing.T) {
	k := &keeper{}
	s := start(t, k)
	addr := s.Addr()
	tests := []struct {
		name, req, want string
	}{
		{"accepted", "POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", "HTTP/1.1 202 Accepted"},
		{"second method", "PUT /in HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 202 Accepted"},
		{"unknown path", "POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 404 Not Found"},
		{"path is exact", "POST /in/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 404 Not Found"},
		{"method", "DELETE /in HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"},
		// Declared too large: refused before the body is sent at all.
		{"declared body too large", "POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n", "HTTP/1.1 413 Request Entity Too Large"},
		{"chunked body too large", "POST /in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + strings.Repeat("x", 2048) + "\r\n0\r\n\r\n", "HTTP/1.1 413 Request Entity Too Large"},
		{"headers too large", "POST /in HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 8000) + "\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 431 Request Header Fields Too Large"},
		{"garbage", "NOT HTTP AT ALL\r\n\r\n", "HTTP/1.1 400 Bad Request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := raw(t, addr, tt.req); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.reqs) != 2 {
		t.Fatalf("endpoint got %d requests, want 2", len(k.reqs))
	}
}

func TestAllowHeader(t *testing.T) {
	s := start(t, &keeper{})
	req, _ := http.NewRequest("GET", "http://"+s.Addr()+"/in", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST, PUT" {
		t.Fatalf("%d Allow=%q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// TestRequestIsCopied: fasthttp reuses its buffers for the next request on
// a connection; what the endpoint kept must not change.
func TestRequestIsCopied(t *testing.T) {
	k := &keeper{}
	s := start(t, k)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	for i := range 20 {
		body := fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("z", i))
		req, _ := http.NewRequest("POST", "http://"+s.Addr()+"/in?i="+fmt.Sprint(i), strings.NewReader(body))
		req.Header.Set("X-Mixed-Case", fmt.Sprint(i))
		req.Header.Add("X-Multi", "a")
		req.Header.Add("X-Multi", "b")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get("X-Seen") != "1" {
			t.Fatal("endpoint headers not written")
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for i, r := range k.reqs {
		want := fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("z", i))
		if string(r.Body) != want {
			t.Errorf("request %d body changed to %q", i, r.Body)
		}
		if r.Query != fmt.Sprintf("i=%d", i) || r.Header.Get("x-mixed-case") != fmt.Sprint(i) {
			t.Errorf("request %d query %q header %q", i, r.Query, r.Header.Get("x-mixed-case"))
		}
		if got := r.Header["x-multi"]; len(got) != 2 {
			t.Errorf("request %d x-multi %v", i, got)
		}
		for name := range r.Header {
			if name != strings.ToLower(name) {
				t.Errorf("header name %q not lower-case", name)
			}
		}
		if r.ReceivedAt.IsZero() || r.RemoteAddr == "" || r.Method != "POST" || r.Path != "/in" {
			t.Errorf("request %d: %+v", i, r)
		}
	}
}

// blocker answers only when released, and says which table it is in.
type blocker struct {
	name    string
	entered chan struct{}
	release chan struct{}
}

func (b *blocker) Methods() []string { return []string{"POST"} }

func (b *blocker) Serve(context.Context, *sdk.Request) *sdk.Response {
	if b.entered != nil {
		b.entered <- struct{}{}
		<-b.release
	}
	return &sdk.Response{StatusCode: 202, Body: []byte(b.name)}
}

// TestSetRoutesSwapsWholeTableAndWaitsForOldRequests: after SetRoutes new
// requests see only the new table (an old path is gone, a new one
// answers), and SetRoutes returns only once a request routed by the old
// table has finished.
func TestSetRoutesSwapsWholeTableAndWaitsForOldRequests(t *testing.T) {
	old := &blocker{name: "old", entered: make(chan struct{}, 1), release: make(chan struct{})}
	s := start(t, old)
	inFlight := make(chan string, 1)
	go func() {
		resp, err := http.Post("http://"+s.Addr()+"/in", "text/plain", nil)
		if err != nil {
			inFlight <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		inFlight <- string(b)
	}()
	<-old.entered

	swapped := make(chan error, 1)
	go func() {
		swapped <- s.SetRoutes(context.Background(), map[string]Endpoint{"/in": &blocker{name: "new"}, "/new": &blocker{name: "new"}})
	}()
	// New requests are served by the new table while the old one drains.
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Post("http://"+s.Addr()+"/new", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 202 && string(b) == "new" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/new: %d %s", resp.StatusCode, b)
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-swapped:
		t.Fatalf("SetRoutes returned (%v) while a request on the old table runs", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(old.release)
	if got := <-inFlight; got != "old" {
		t.Errorf("the request in flight got %q, want the old endpoint's answer", got)
	}
	if err := <-swapped; err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+s.Addr()+"/in", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "new" {
		t.Errorf("/in after the swap: %s", b)
	}
}
