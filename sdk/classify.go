package sdk

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter caps how long a destination may ask to be left alone.
const MaxRetryAfter = time.Hour

// ClassifyResponse is the default reading of a destination's answer, which
// the host applies to sinks without an Interpreter and which an
// Interpreter can fall back to: 2xx succeeds; 408, 425, 429 and 5xx retry
// (429 and 503 honour Retry-After); any other status is permanent.
func ClassifyResponse(resp *Response, now time.Time) Verdict {
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return Verdict{Outcome: Success, Reason: strconv.Itoa(code)}
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly, code == http.StatusTooManyRequests, code >= 500:
		v := Verdict{Outcome: Retry, Reason: StatusReason(code)}
		if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
			if d, ok := ParseRetryAfter(resp.Header.Get("retry-after"), now); ok {
				v.RetryAfter = d
			}
		}
		return v
	default:
		return Verdict{Outcome: Fail, Reason: StatusReason(code)}
	}
}

// ClassifyError is the reading of a failed attempt that produced no
// answer (a transport error, a render error): permanent errors fail, the
// rest retry, no sooner than a RetryAfter error asks.
func ClassifyError(err error) Verdict {
	if IsPermanent(err) {
		return Verdict{Outcome: Fail, Reason: err.Error()}
	}
	v := Verdict{Outcome: Retry, Reason: err.Error()}
	if d, ok := RetryAfterOf(err); ok {
		v.RetryAfter = d
	}
	return v
}

// StatusReason renders a status as "404 Not Found".
func StatusReason(code int) string {
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
