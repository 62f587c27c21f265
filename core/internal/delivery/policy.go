package delivery

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/sdk"
)

// MaxRetryAfter caps how long a destination may ask us to wait.
const MaxRetryAfter = time.Hour

// Classify is the default reading of an attempt's result: a transport
// error or 408, 425, 429 and 5xx retry (429 and 503 honour Retry-After);
// 2xx succeeds; any other status is permanent.
func Classify(resp *sdk.Response, err error, now time.Time) sdk.Verdict {
	if err != nil {
		if sdk.IsPermanent(err) {
			return sdk.Verdict{Outcome: sdk.Fail, Reason: err.Error()}
		}
		return sdk.Verdict{Outcome: sdk.Retry, Reason: err.Error()}
	}
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return sdk.Verdict{Outcome: sdk.Success, Reason: strconv.Itoa(code)}
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly, code == http.StatusTooManyRequests, code >= 500:
		v := sdk.Verdict{Outcome: sdk.Retry, Reason: statusReason(code)}
		if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
			if d, ok := ParseRetryAfter(resp.Header.Get("retry-after"), now); ok {
				v.RetryAfter = d
			}
		}
		return v
	default:
		return sdk.Verdict{Outcome: sdk.Fail, Reason: statusReason(code)}
	}
}

func statusReason(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return strconv.Itoa(code)
}

// ParseRetryAfter reads a Retry-After value: delay-seconds or an HTTP
// date. The result is capped at MaxRetryAfter; a date in the past is 0.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter, true
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
		if d < 0 {
			d = 0
		}
	} else {
		return 0, false
	}
	return min(d, MaxRetryAfter), true
}

// Policy is a sink's retry policy.
type Policy struct {
	MaxAttempts int
	Initial     time.Duration
	Max         time.Duration
}

// Backoff is the delay before attempt n+1 after attempt n failed: full
// jitter, uniform in [0, min(Max, Initial*2^(n-1))]. rnd returns a float
// in [0,1); nil means math/rand.
func (p Policy) Backoff(n int, rnd func() float64) time.Duration {
	if rnd == nil {
		rnd = rand.Float64
	}
	ceiling := p.Initial
	for i := 1; i < n && ceiling < p.Max; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, p.Max)
	return time.Duration(rnd() * float64(ceiling+1))
}

// Next decides how to settle an attempt: done (success), give up (fail or
// out of attempts), or retry after a delay. A destination's RetryAfter
// wins over a shorter backoff.
func (p Policy) Next(v sdk.Verdict, attempt int, rnd func() float64) (retry bool, delay time.Duration) {
	if v.Outcome != sdk.Retry || attempt >= p.MaxAttempts {
		return false, 0
	}
	delay = p.Backoff(attempt, rnd)
	if v.RetryAfter > delay {
		delay = v.RetryAfter
	}
	return true, delay
}
