package github

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// SecondaryLimitWait is the first wait after a secondary rate limit that
// names no time: GitHub says to wait at least a minute, then to wait
// exponentially longer while the limit persists.
const SecondaryLimitWait = time.Minute

// secondaryBackoff counts consecutive secondary rate limits of one sink
// (GitHub's secondary limits apply to the credentials, which are the
// sink's), so the n-th in a row waits SecondaryLimitWait·2^(n-1), at most
// sdk.MaxRetryAfter. Any other answer starts the count again.
type secondaryBackoff struct{ n atomic.Int32 }

func (b *secondaryBackoff) next() time.Duration {
	n := b.n.Add(1)
	d := SecondaryLimitWait
	for i := int32(1); i < n && d < sdk.MaxRetryAfter; i++ {
		d *= 2
	}
	return min(d, sdk.MaxRetryAfter)
}

func (b *secondaryBackoff) reset() { b.n.Store(0) }

// isSecondaryLimit reports whether a 403 or 429 without rate-limit
// headers is GitHub's secondary rate limit, read from the body as
// GitHub's own clients do (go-github and Octokit match the message, and
// the documentation URL): "You have exceeded a secondary rate limit",
// older "abuse detection" answers, or a documentation_url pointing at
// secondary rate limits. A plain 403 (permissions) is not one.
func isSecondaryLimit(r *sdk.Response) bool {
	if r.StatusCode == http.StatusTooManyRequests {
		return true
	}
	if r.StatusCode != http.StatusForbidden {
		return false
	}
	var e struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	if json.Unmarshal(r.Body, &e) != nil {
		return false
	}
	msg := strings.ToLower(e.Message)
	return strings.Contains(msg, "secondary rate limit") || strings.Contains(msg, "abuse detection") ||
		strings.Contains(e.DocumentationURL, "secondary-rate-limits") || strings.Contains(e.DocumentationURL, "abuse-rate-limits")
}
