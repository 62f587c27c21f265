package delivery

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestClassify(t *testing.T) {
	resp := func(code int, retryAfter string) *sdk.Response {
		h := sdk.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &sdk.Response{StatusCode: code, Header: h}
	}
	tests := []struct {
		name  string
		resp  *sdk.Response
		err   error
		want  sdk.Outcome
		after time.Duration
	}{
		{"200", resp(200, ""), nil, sdk.Success, 0},
		{"204", resp(204, ""), nil, sdk.Success, 0},
		{"301 is not followed and not success", resp(301, ""), nil, sdk.Fail, 0},
		{"400", resp(400, ""), nil, sdk.Fail, 0},
		{"401", resp(401, ""), nil, sdk.Fail, 0},
		{"404", resp(404, ""), nil, sdk.Fail, 0},
		{"408", resp(408, ""), nil, sdk.Retry, 0},
		{"422", resp(422, ""), nil, sdk.Fail, 0},
		{"425", resp(425, ""), nil, sdk.Retry, 0},
		{"429 seconds", resp(429, "7"), nil, sdk.Retry, 7 * time.Second},
		{"429 date", resp(429, now.Add(90*time.Second).Format(http.TimeFormat)), nil, sdk.Retry, 90 * time.Second},
		{"429 garbage", resp(429, "soon"), nil, sdk.Retry, 0},
		{"500", resp(500, ""), nil, sdk.Retry, 0},
		{"500 ignores Retry-After", resp(500, "30"), nil, sdk.Retry, 0},
		{"503 Retry-After", resp(503, "2"), nil, sdk.Retry, 2 * time.Second},
		{"transport error", nil, errors.New("connection refused"), sdk.Retry, 0},
		{"permanent error", nil, sdk.Permanent(errors.New("script")), sdk.Fail, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Classify(tt.resp, tt.err, now)
			if v.Outcome != tt.want || v.RetryAfter != tt.after {
				t.Fatalf("got %v after %s, want %v after %s", v.Outcome, v.RetryAfter, tt.want, tt.after)
			}
			if v.Reason == "" {
				t.Fatal("empty reason")
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"120", 2 * time.Minute, true},
		{" 5 ", 5 * time.Second, true},
		{"-1", 0, false},
		{"99999999999", MaxRetryAfter, true},
		{now.Add(time.Minute).Format(http.TimeFormat), time.Minute, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), MaxRetryAfter, true},
		{"Wed, 21 Oct 2015 07:28:00 GMT", 0, true},
		{"1.5", 0, false},
		{"", 0, false},
		{"tomorrow", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffFullJitter(t *testing.T) {
	p := Policy{MaxAttempts: 10, Initial: 100 * time.Millisecond, Max: time.Second}
	top := func() float64 { return 0.999999999 }
	zero := func() float64 { return 0 }
	ceilings := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, c := range ceilings {
		n := i + 1
		if got := p.Backoff(n, top); got < c*time.Millisecond-time.Millisecond || got > c*time.Millisecond {
			t.Errorf("attempt %d: top of range %s, want about %s", n, got, c*time.Millisecond)
		}
		if got := p.Backoff(n, zero); got != 0 {
			t.Errorf("attempt %d: bottom of range %s, want 0 (full jitter)", n, got)
		}
	}
	// The real source stays inside the range.
	for range 1000 {
		if d := p.Backoff(3, nil); d < 0 || d > 400*time.Millisecond {
			t.Fatalf("backoff %s outside [0, 400ms]", d)
		}
	}
}

func TestPolicyNext(t *testing.T) {
	p := Policy{MaxAttempts: 3, Initial: time.Second, Max: time.Minute}
	half := func() float64 { return 0.5 }
	if retry, _ := p.Next(sdk.Verdict{Outcome: sdk.Fail}, 1, half); retry {
		t.Error("permanent failure retried")
	}
	if retry, _ := p.Next(sdk.Verdict{Outcome: sdk.Retry}, 3, half); retry {
		t.Error("retried past max_attempts")
	}
	if retry, d := p.Next(sdk.Verdict{Outcome: sdk.Retry}, 1, half); !retry || d != 500*time.Millisecond {
		t.Errorf("retry=%v delay=%s, want 500ms", retry, d)
	}
	// Retry-After wins over a shorter backoff, to the second.
	if _, d := p.Next(sdk.Verdict{Outcome: sdk.Retry, RetryAfter: 42 * time.Second}, 2, half); d != 42*time.Second {
		t.Errorf("delay %s, want Retry-After 42s", d)
	}
}

func TestClientSendsOverRealHTTP(t *testing.T) {
	var gotMethod, gotCT, gotAuth, gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotMethod, gotCT, gotAuth, gotBody = r.Method, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), string(b)
		w.Header().Set("X-Reply", "yes")
		w.WriteHeader(201)
		_, _ = w.Write([]byte("created"))
	}))
	defer srv.Close()
	c := NewClient(Egress{})
	defer c.Close()
	resp, err := c.Send(context.Background(), &sdk.Outbound{
		Method: "PUT", URL: srv.URL + "/x",
		Header: sdk.Header{"content-type": {"application/json"}, "authorization": {"Bearer t"}},
		Body:   []byte(`{"a":1}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 201 || string(resp.Body) != "created" || resp.Header.Get("x-reply") != "yes" {
		t.Fatalf("response %+v", resp)
	}
	if gotMethod != "PUT" || gotCT != "application/json" || gotAuth != "Bearer t" || gotBody != `{"a":1}` {
		t.Fatalf("server saw %s %s %s %s", gotMethod, gotCT, gotAuth, gotBody)
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	var hitTarget bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hitTarget = true }))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	resp, err := NewClient(Egress{}).Send(context.Background(), &sdk.Outbound{Method: "POST", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusTemporaryRedirect || hitTarget {
		t.Fatalf("status %d, followed=%v", resp.StatusCode, hitTarget)
	}
	if v := Classify(resp, nil, now); v.Outcome != sdk.Fail {
		t.Fatalf("a redirect is %v, want a permanent failure", v.Outcome)
	}
}

func TestClientTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	_, err := NewClient(Egress{}).Send(context.Background(), &sdk.Outbound{Method: "POST", URL: srv.URL, Timeout: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "no answer within") {
		t.Fatalf("err = %v", err)
	}
	if v := Classify(nil, err, now); v.Outcome != sdk.Retry {
		t.Fatalf("timeout is %v, want retry", v.Outcome)
	}
	// The context deadline wins when it is earlier.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := NewClient(Egress{}).Send(ctx, &sdk.Outbound{Method: "POST", URL: srv.URL, Timeout: time.Minute}); err == nil {
		t.Fatal("want a timeout")
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("context deadline ignored: took %s", el)
	}
}
