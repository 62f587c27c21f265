package pipeline

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// newOKFalseServer answers every request 200 {"ok":false,"error":"ratelimited"},
// the way Slack's Web API reports a rate limit.
func newOKFalseServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
