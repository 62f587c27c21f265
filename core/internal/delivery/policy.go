package delivery

import (
	"math/rand/v2"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// MaxRetryAfter caps how long a destination may ask us to wait.
const MaxRetryAfter = sdk.MaxRetryAfter

// Classify is the default reading of an attempt's result: an error
// retries unless it is permanent, no sooner than an sdk.RetryAfter error
// asks (sdk.ClassifyError); a response is read by
// sdk.ClassifyResponse (2xx success; 408, 425, 429 and 5xx retry, 429 and
// 503 honouring Retry-After; other statuses permanent).
func Classify(resp *sdk.Response, err error, now time.Time) sdk.Verdict {
	if err != nil {
		return sdk.ClassifyError(err)
	}
	return sdk.ClassifyResponse(resp, now)
}

// ParseRetryAfter reads a Retry-After value; see sdk.ParseRetryAfter.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	return sdk.ParseRetryAfter(v, now)
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
