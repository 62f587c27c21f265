package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"path"
	"strings"

	"github.com/hookferry/hookferry/sdk"
)

// Option configures a Server.
type Option func(*Server)

// WithToken makes every endpoint but the health probes (/livez, /readyz)
// and the web console's pages (/ui/, which keeps its own sessions)
// require "Authorization: Bearer TOKEN". denied, if not nil, is called
// once per refused request (a metric). An empty token changes nothing.
func WithToken(token sdk.Secret, denied func()) Option {
	return func(s *Server) {
		if token.Empty() {
			return
		}
		sum := sha256.Sum256([]byte(token.Reveal()))
		s.tokenSum, s.denied = &sum, denied
	}
}

// WithMetrics serves h at GET /metrics (behind the token like the rest).
func WithMetrics(h http.Handler) Option {
	return func(s *Server) { s.metrics = h }
}

// open reports a path that needs no token.
func open(p string) bool {
	p = path.Clean("/" + p)
	return p == "/livez" || p == "/readyz" || p == "/ui" || strings.HasPrefix(p, "/ui/")
}

// requireToken wraps next with the bearer-token check.
func (s *Server) requireToken(next http.Handler) http.Handler {
	if s.tokenSum == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if open(r.URL.Path) || s.authorized(r) {
			next.ServeHTTP(w, r)
			return
		}
		if s.denied != nil {
			s.denied()
		}
		s.log.Warn("admin: request without a valid token refused", "method", r.Method, "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", `Bearer realm="hookferry admin"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "a valid admin token is needed: Authorization: Bearer TOKEN (the CLI reads HOOKFERRY_ADMIN_TOKEN or --token)"})
	})
}

// authorized compares the request's bearer token with the configured one
// in constant time (both hashed first, so the length does not leak).
func (s *Server) authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(sum[:], s.tokenSum[:]) == 1
}
