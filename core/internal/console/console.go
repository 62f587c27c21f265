package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/core/internal/tap"
	"github.com/hookferry/hookferry/sdk"
)

// Backend is what the console reads and asks for. The engine implements
// it.
type Backend interface {
	History() queue.History
	Replay(ctx context.Context, id queue.DeliveryID) error
	Tap() *tap.Hub
	StoredEvent(ctx context.Context, id queue.DeliveryID) (*sdk.Event, error)
	// RunTransform runs a transform-run request (the JSON of POST
	// /v1/transform/run); nothing is delivered.
	RunTransform(ctx context.Context, body []byte) (any, error)
	// Sinks reports every sink of every pipeline, in configuration order.
	Sinks(ctx context.Context) ([]SinkStatus, error)
}

// SinkStatus is one sink's counters now.
type SinkStatus struct {
	Pipeline string
	Sink     string
	Type     string
	// Received counts the pipeline's accepted events since start.
	Received                   int64
	Delivered, Retried, Failed int64
	Pending, InFlight          uint64
	// Breaker is "closed", "open" or "half-open"; "" when the sink has
	// none.
	Breaker string
}

// Options configure a console.
type Options struct {
	// Token is the admin token; empty leaves the console open (the admin
	// listener is then on loopback: the engine refuses anything else).
	Token sdk.Secret
	Log   *slog.Logger
	// Closing ends the console's streams when closed.
	Closing <-chan struct{}
	// SessionTTL bounds a session's life; 0 means 12 hours.
	SessionTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Console serves /ui/.
type Console struct {
	b        Backend
	log      *slog.Logger
	token    [32]byte // sha256 of the token, compared in constant time
	open     bool
	closing  <-chan struct{}
	now      func() time.Time
	ttl      time.Duration
	mux      *http.ServeMux
	pages    map[string]*template.Template
	static   http.Handler
	login    *rate.Limiter
	sessions sessions
	stats    stats
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New builds the console.
func New(b Backend, o Options) *Console {
	c := &Console{b: b, log: o.Log, closing: o.Closing, now: o.Now, ttl: o.SessionTTL,
		open: o.Token.Empty(), token: sha256.Sum256([]byte(o.Token.Reveal())),
		// Guessing a token through the form is slowed to a few tries a second.
		login: rate.NewLimiter(rate.Limit(2), 5),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.ttl <= 0 {
		c.ttl = 12 * time.Hour
	}
	if c.closing == nil {
		c.closing = make(chan struct{})
	}
	c.sessions.m = map[string]*session{}
	c.stats.c = c
	c.pages = parsePages()
	sub, _ := fs.Sub(staticFS, "static")
	c.static = http.StripPrefix("/ui/static/", http.FileServer(http.FS(sub)))

	m := http.NewServeMux()
	m.HandleFunc("GET /ui/login", c.loginPage)
	m.HandleFunc("POST /ui/login", c.loginPost)
	m.HandleFunc("GET /ui/static/", c.asset)
	m.Handle("POST /ui/logout", c.auth(c.logout))
	m.Handle("GET /ui/{$}", c.auth(c.overview))
	m.Handle("GET /ui/overview/stream", c.auth(c.overviewStream))
	m.Handle("GET /ui/deliveries", c.auth(c.deliveries))
	m.Handle("GET /ui/deliveries/{id}", c.auth(c.detail))
	m.Handle("GET /ui/deliveries/{id}/body", c.auth(c.body))
	m.Handle("POST /ui/replay", c.auth(c.replay))
	m.Handle("GET /ui/tail", c.auth(c.tail))
	m.Handle("GET /ui/tail/stream", c.auth(c.tailStream))
	m.Handle("GET /ui/playground", c.auth(c.playground))
	m.Handle("POST /ui/playground/run", c.auth(c.playgroundRun))
	m.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not found", http.StatusNotFound)
	})
	c.mux = m
	return c
}

// ServeHTTP serves every /ui/ path.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// Same-origin requests keep their Referer: the CSRF check may need it.
	h.Set("Referrer-Policy", "same-origin")
	c.mux.ServeHTTP(w, r)
}

func (c *Console) asset(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=3600")
	c.static.ServeHTTP(w, r)
}

// session is one signed-in browser.
type session struct {
	id      string
	csrf    string
	expires time.Time
}

type sessions struct {
	mu sync.Mutex
	m  map[string]*session
}

// maxSessions bounds the store; the oldest session goes first.
const maxSessions = 10000

const cookieName = "hookferry_console"

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (c *Console) newSession(w http.ResponseWriter, r *http.Request) *session {
	now := c.now()
	s := &session{id: randomToken(), csrf: randomToken(), expires: now.Add(c.ttl)}
	c.sessions.mu.Lock()
	for id, o := range c.sessions.m {
		if now.After(o.expires) {
			delete(c.sessions.m, id)
		}
	}
	for len(c.sessions.m) >= maxSessions {
		var oldest *session
		for _, o := range c.sessions.m {
			if oldest == nil || o.expires.Before(oldest.expires) {
				oldest = o
			}
		}
		delete(c.sessions.m, oldest.id)
	}
	c.sessions.m[s.id] = s
	c.sessions.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: s.id, Path: "/ui/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: int(c.ttl.Seconds())})
	return s
}

// current is the request's live session, or nil.
func (c *Console) current(r *http.Request) *session {
	ck, err := r.Cookie(cookieName)
	if err != nil || ck.Value == "" {
		return nil
	}
	c.sessions.mu.Lock()
	defer c.sessions.mu.Unlock()
	s := c.sessions.m[ck.Value]
	if s == nil {
		return nil
	}
	if c.now().After(s.expires) {
		delete(c.sessions.m, s.id)
		return nil
	}
	return s
}

func (c *Console) endSession(w http.ResponseWriter, r *http.Request, s *session) {
	c.sessions.mu.Lock()
	delete(c.sessions.m, s.id)
	c.sessions.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/ui/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

type sessionKey struct{}

func sessionOf(r *http.Request) *session {
	s, _ := r.Context().Value(sessionKey{}).(*session)
	return s
}

// auth admits a request with a live session (or, with no token
// configured, gives it one), and checks a state-changing request's
// origin and CSRF token.
func (c *Console) auth(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := c.current(r)
		if s == nil {
			if !c.open {
				if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/stream") {
					http.Redirect(w, r, "/ui/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				http.Error(w, "sign in first", http.StatusUnauthorized)
				return
			}
			s = c.newSession(w, r)
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !sameOrigin(r) {
				c.log.Warn("console: cross-site request refused", "path", r.URL.Path)
				http.Error(w, "cross-site request refused", http.StatusForbidden)
				return
			}
			got := r.Header.Get("X-CSRF-Token")
			if got == "" {
				got = r.PostFormValue("csrf")
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) != 1 {
				c.log.Warn("console: request without a valid CSRF token refused", "path", r.URL.Path)
				http.Error(w, "missing or wrong CSRF token; reload the page", http.StatusForbidden)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, s)))
	})
}

// sameOrigin: the Origin header, or failing that the Referer, names this
// host. A request with neither is refused.
func sameOrigin(r *http.Request) bool {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	want := scheme + "://" + r.Host
	if o := r.Header.Get("Origin"); o != "" {
		return o == want
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		u, err := url.Parse(ref)
		return err == nil && u.Scheme+"://"+u.Host == want
	}
	return false
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if c.open || c.current(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	c.render(w, r, "login", http.StatusOK, map[string]any{"Next": safeNext(r.URL.Query().Get("next"))})
}

func (c *Console) loginPost(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !sameOrigin(r) {
		http.Error(w, "cross-site request refused", http.StatusForbidden)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	if c.open {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if !c.login.Allow() {
		c.render(w, r, "login", http.StatusTooManyRequests, map[string]any{"Next": next, "Error": "Too many attempts; wait a moment."})
		return
	}
	got := sha256.Sum256([]byte(r.PostFormValue("token")))
	if subtle.ConstantTimeCompare(got[:], c.token[:]) != 1 {
		c.log.Warn("console: sign-in with a wrong token", "remote", r.RemoteAddr)
		c.render(w, r, "login", http.StatusUnauthorized, map[string]any{"Next": next, "Error": "That is not the admin token."})
		return
	}
	if old := c.current(r); old != nil {
		c.endSession(w, r, old)
	}
	c.newSession(w, r)
	c.log.Info("console: signed in", "remote", r.RemoteAddr)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	c.endSession(w, r, sessionOf(r))
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}

// safeNext keeps a post-login redirect inside the console.
func safeNext(n string) string {
	if !strings.HasPrefix(n, "/ui/") || strings.HasPrefix(n, "//") || strings.ContainsAny(n, "\\\r\n") {
		return "/ui/"
	}
	return n
}
