package slack

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

func webAPISink(t *testing.T) *Sink {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"token": "xoxb-test", "channel": "C1", "api_url": DefaultAPIURL, "timeout": "10s"})
	s, err := New(context.Background(), sdk.Config{Values: b})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestWebAPIRateLimitedIsRetriedLikeA429: Slack's Web API answers a rate
// limit as 200 {"ok":false,"error":"rate_limited"} (or "ratelimited");
// "rate_limited" was dead-lettered. Both are retried after Retry-After.
func TestWebAPIRateLimitedIsRetriedLikeA429(t *testing.T) {
	s := webAPISink(t)
	for _, body := range []string{`{"ok":false,"error":"rate_limited"}`, `{"ok":false,"error":"ratelimited"}`} {
		r := &sdk.Response{StatusCode: 200, Header: sdk.Header{"retry-after": {"30"}}, Body: []byte(body)}
		if v := s.Interpret(context.Background(), nil, r); v.Outcome != sdk.Retry || v.RetryAfter != 30*time.Second {
			t.Errorf("%s: %s after %s, want retry after 30s", body, v.Outcome, v.RetryAfter)
		}
	}
	r := &sdk.Response{StatusCode: 429, Header: sdk.Header{"retry-after": {"30"}}, Body: []byte(`{"ok":false,"error":"ratelimited"}`)}
	if v := s.Interpret(context.Background(), nil, r); v.Outcome != sdk.Retry || v.RetryAfter != 30*time.Second {
		t.Errorf("429: %+v", v)
	}
	// Without Retry-After it still retries (with the sink's backoff).
	r = &sdk.Response{StatusCode: 200, Body: []byte(`{"ok":false,"error":"rate_limited"}`)}
	if v := s.Interpret(context.Background(), nil, r); v.Outcome != sdk.Retry {
		t.Errorf("rate_limited without Retry-After: %+v", v)
	}
	// Other errors stay permanent.
	r = &sdk.Response{StatusCode: 200, Body: []byte(`{"ok":false,"error":"channel_not_found"}`)}
	if v := s.Interpret(context.Background(), nil, r); v.Outcome != sdk.Fail || v.Reason != "slack: channel_not_found" {
		t.Errorf("channel_not_found: %+v", v)
	}
}
