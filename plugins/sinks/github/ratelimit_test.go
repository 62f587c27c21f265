package github

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

func tokenSink(t *testing.T) *Sink {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"token": "ghp_x", "repository": "octo/hello", "action": "repository_dispatch", "api_url": DefaultAPIURL, "timeout": "10s"})
	s, err := New(context.Background(), sdk.Config{Values: b})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func answer(status int, body string, header ...string) *sdk.Response {
	h := sdk.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &sdk.Response{StatusCode: status, Header: h, Body: []byte(body)}
}

// GitHub's own secondary rate limit answer (REST documentation), with no
// Retry-After and no x-ratelimit-remaining: 0.
const secondaryBody = `{"message":"You have exceeded a secondary rate limit and have been temporarily blocked from content creation. Please retry your request again later.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`

// TestSecondaryLimitWithoutRetryAfterRetriesAfterAMinuteThenLonger: a 403
// secondary rate limit naming no time was dead-lettered; GitHub says wait
// at least a minute, then exponentially longer while it persists.
func TestSecondaryLimitWithoutRetryAfterRetriesAfterAMinuteThenLonger(t *testing.T) {
	s := tokenSink(t)
	ctx := context.Background()
	for i, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
		v := s.Interpret(ctx, nil, answer(403, secondaryBody))
		if v.Outcome != sdk.Retry || v.RetryAfter != want {
			t.Fatalf("secondary limit %d in a row: %s after %s, want retry after %s", i+1, v.Outcome, v.RetryAfter, want)
		}
	}
	// Older wording, and a bare 429, are the same limit.
	for _, r := range []*sdk.Response{
		answer(403, `{"message":"You have triggered an abuse detection mechanism. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#abuse-rate-limits"}`),
		answer(429, `{}`),
	} {
		if v := s.Interpret(ctx, nil, r); v.Outcome != sdk.Retry || v.RetryAfter < time.Minute {
			t.Fatalf("%d %s: %s after %s, want a retry after at least a minute", r.StatusCode, r.Body, v.Outcome, v.RetryAfter)
		}
	}
	// Success starts the count again.
	if v := s.Interpret(ctx, nil, answer(204, "")); v.Outcome != sdk.Success {
		t.Fatalf("204: %+v", v)
	}
	if v := s.Interpret(ctx, nil, answer(403, secondaryBody)); v.RetryAfter != time.Minute {
		t.Fatalf("after a success: retry after %s, want a minute", v.RetryAfter)
	}
	// The wait never exceeds the host's cap.
	for range 20 {
		if v := s.Interpret(ctx, nil, answer(403, secondaryBody)); v.RetryAfter > sdk.MaxRetryAfter {
			t.Fatalf("retry after %s, above the %s cap", v.RetryAfter, sdk.MaxRetryAfter)
		}
	}
}

// TestPermission403StaysPermanent: a 403 that is not a rate limit (the
// token lacks access) is not retried.
func TestPermission403StaysPermanent(t *testing.T) {
	v := tokenSink(t).Interpret(context.Background(), nil, answer(403, `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/repos/repos#create-a-repository-dispatch-event"}`))
	if v.Outcome != sdk.Fail {
		t.Fatalf("permission 403: %+v, want permanent", v)
	}
}

// TestPrimaryLimitWaitsExactlyUntilTheReset runs under testing/synctest:
// the clock is fake, so the wait is checked to the nanosecond instead of
// with a wall-clock margin (the engine-level test once saw "retried 966ms
// after" on a loaded machine).
func TestPrimaryLimitWaitsExactlyUntilTheReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := tokenSink(t) // its clock is time.Now, fake inside the bubble
		time.Sleep(1500 * time.Millisecond)
		now := time.Now()
		reset := now.Add(90 * time.Second).Truncate(time.Second)
		for _, st := range []int{403, 429} {
			v := s.Interpret(context.Background(), nil, answer(st, `{"message":"API rate limit exceeded"}`,
				"x-ratelimit-remaining", "0", "x-ratelimit-reset", strconv.FormatInt(reset.Unix(), 10)))
			if want := reset.Sub(now); v.Outcome != sdk.Retry || v.RetryAfter != want {
				t.Fatalf("%d: %s after %s, want retry after exactly %s", st, v.Outcome, v.RetryAfter, want)
			}
		}
		// A reset already past: retry with backoff only, not a negative wait.
		v := s.Interpret(context.Background(), nil, answer(403, `{}`, "x-ratelimit-remaining", "0", "x-ratelimit-reset", strconv.FormatInt(now.Add(-time.Minute).Unix(), 10)))
		if v.Outcome != sdk.Retry || v.RetryAfter != 0 {
			t.Fatalf("past reset: %+v", v)
		}
	})
}
