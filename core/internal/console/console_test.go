package console

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookferry/hookferry/core/internal/queue"
	"github.com/hookferry/hookferry/core/internal/tap"
	"github.com/hookferry/hookferry/sdk"
)

// backend is a real in-memory queue and tap hub; replays and transform
// runs are recorded.
type backend struct {
	*queue.Memory
	hub tap.Hub

	mu       sync.Mutex
	replayed []string
	runs     []string
}

func (b *backend) Tap() *tap.Hub { return &b.hub }
func (b *backend) StoredEvent(ctx context.Context, id queue.DeliveryID) (*sdk.Event, error) {
	return b.Memory.Event(ctx, id)
}
func (b *backend) Replay(_ context.Context, id queue.DeliveryID) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.replayed = append(b.replayed, id.String())
	return nil
}
func (b *backend) RunTransform(_ context.Context, body []byte) (any, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.runs = append(b.runs, string(body))
	return map[string]any{"messages": []any{map[string]any{"body": map[string]int{"n": 1}}}, "console": []string{}}, nil
}
func (b *backend) Sinks(context.Context) ([]SinkStatus, error) {
	return []SinkStatus{{Pipeline: "p", Sink: "s", Type: "http", Received: 3, Delivered: 2, Failed: 1, Breaker: "closed"}}, nil
}
func (b *backend) replays() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.replayed...)
}

func newBackend(t testing.TB, capacity int) *backend {
	t.Helper()
	b := &backend{Memory: queue.NewMemory(capacity)}
	if err := b.Declare(context.Background(), "p", []queue.Consumer{{Name: "s"}}); err != nil {
		t.Fatal(err)
	}
	return b
}

// put stores n records p.s.1..n; every third is dead, the rest
// succeeded; record i was updated i minutes after base.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func put(t testing.TB, b *backend, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		st, reason := queue.StateSucceeded, "200 OK"
		if i%3 == 0 {
			st, reason = queue.StateDead, fmt.Sprintf("500 from the destination (record %d)", i)
		}
		at := base.Add(time.Duration(i) * time.Minute)
		r := &queue.Record{ID: fmt.Sprintf("p.s.%d", i), Pipeline: "p", Sink: "s", EventID: fmt.Sprintf("evt_%05d", i),
			EventType: "push", Seq: uint64(i), State: st, Created: at, Updated: at}
		r.AddAttempt(queue.Attempt{At: at, Duration: 12.5, Status: 500, Outcome: st, Reason: reason})
		if err := b.History().Put(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
}

type client struct {
	t    *testing.T
	srv  *httptest.Server
	http *http.Client
}

func start(t *testing.T, b Backend, token string) *client {
	t.Helper()
	closing := make(chan struct{})
	c := New(b, Options{Token: sdk.NewSecret(token), Closing: closing})
	srv := httptest.NewServer(c)
	t.Cleanup(func() { close(closing); srv.Close() })
	jar, _ := cookiejar.New(nil)
	return &client{t: t, srv: srv, http: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, form url.Values, hdr map[string]string) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (c *client) get(path string) (*http.Response, string) { return c.do("GET", path, nil, nil) }

// post sends a form from this origin.
func (c *client) post(path string, form url.Values) (*http.Response, string) {
	return c.do("POST", path, form, map[string]string{"Origin": c.srv.URL})
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf" content="([^"]*)">`)

// csrf reads the page's CSRF token.
func (c *client) csrf() string {
	c.t.Helper()
	_, page := c.get("/ui/deliveries")
	m := csrfMeta.FindStringSubmatch(page)
	if m == nil || m[1] == "" {
		c.t.Fatalf("no CSRF token in the page:\n%s", page)
	}
	return m[1]
}

func (c *client) login(token string) *http.Response {
	c.t.Helper()
	resp, _ := c.post("/ui/login", url.Values{"token": {token}, "next": {"/ui/deliveries"}})
	return resp
}

func TestWrongTokenCannotReadOrReplay(t *testing.T) {
	b := newBackend(t, 0)
	put(t, b, 6)
	c := start(t, b, "right-token")

	if resp := c.login("wrong-token"); resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
		t.Fatalf("wrong token: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	for _, p := range []string{"/ui/", "/ui/deliveries", "/ui/deliveries/p.s.3", "/ui/deliveries/p.s.3/body", "/ui/tail", "/ui/playground"} {
		resp, body := c.get(p)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/ui/login") {
			t.Errorf("GET %s without a session: %d %s", p, resp.StatusCode, resp.Header.Get("Location"))
		}
		if strings.Contains(body, "evt_") || strings.Contains(body, "p.s.3") && !strings.Contains(body, "login") {
			t.Errorf("GET %s without a session shows records", p)
		}
	}
	// A made-up session cookie is no session.
	u, _ := url.Parse(c.srv.URL + "/ui/")
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: "guessed", Path: "/ui/"}})
	if resp, _ := c.get("/ui/deliveries"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a guessed cookie reads the list: %d", resp.StatusCode)
	}
	for _, p := range []string{"/ui/overview/stream", "/ui/tail/stream?pipeline=p"} {
		if resp, _ := c.get(p); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without a session: %d", p, resp.StatusCode)
		}
	}
	resp, _ := c.post("/ui/replay", url.Values{"id": {"p.s.3"}, "confirm": {"yes"}, "csrf": {"x"}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("replay without a session: %d", resp.StatusCode)
	}
	resp, _ = c.do("POST", "/ui/playground/run", url.Values{}, map[string]string{"Origin": c.srv.URL})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("playground without a session: %d", resp.StatusCode)
	}
	if r := b.replays(); len(r) != 0 || len(b.runs) != 0 {
		t.Fatalf("replayed %v, ran %v without a session", r, b.runs)
	}
}

func TestLoginStartsAStrictServerSideSession(t *testing.T) {
	b := newBackend(t, 0)
	put(t, b, 3)
	c := start(t, b, "right-token")
	resp := c.login("right-token")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/deliveries" {
		t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	raw := resp.Header.Get("Set-Cookie")
	for _, want := range []string{cookieName + "=", "Path=/ui/", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(raw, want) {
			t.Errorf("cookie %q lacks %s", raw, want)
		}
	}
	if strings.Contains(raw, "right-token") || strings.Contains(raw, "Secure") {
		t.Errorf("cookie %q carries the token, or Secure on plain HTTP", raw)
	}
	resp, body := c.get("/ui/deliveries")
	if resp.StatusCode != 200 || !strings.Contains(body, "evt_00003") {
		t.Fatalf("after login: %d", resp.StatusCode)
	}
	if strings.Contains(body, "right-token") {
		t.Fatal("the page shows the token")
	}
	resp, _ = c.post("/ui/logout", url.Values{"csrf": {c.csrf()}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ := c.get("/ui/deliveries"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout: %d", resp.StatusCode)
	}
}

func TestSessionsExpire(t *testing.T) {
	now := base
	b := newBackend(t, 0)
	con := New(b, Options{Token: sdk.NewSecret("tok"), SessionTTL: time.Hour, Now: func() time.Time { return now }})
	srv := httptest.NewServer(con)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, srv: srv, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	c.login("tok")
	if resp, _ := c.get("/ui/deliveries"); resp.StatusCode != 200 {
		t.Fatalf("fresh session: %d", resp.StatusCode)
	}
	now = now.Add(time.Hour + time.Second)
	if resp, _ := c.get("/ui/deliveries"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("expired session still reads: %d", resp.StatusCode)
	}
}

func TestCrossSitePostsAreRefused(t *testing.T) {
	for _, token := range []string{"tok", ""} {
		t.Run(fmt.Sprintf("token=%q", token), func(t *testing.T) {
			b := newBackend(t, 0)
			put(t, b, 3)
			c := start(t, b, token)
			if token != "" {
				c.login(token)
			}
			csrf := c.csrf()
			form := url.Values{"id": {"p.s.3"}, "confirm": {"yes"}, "csrf": {csrf}}
			cases := []struct {
				name string
				hdr  map[string]string
				form url.Values
			}{
				{"foreign origin", map[string]string{"Origin": "http://evil.example"}, form},
				{"foreign referer", map[string]string{"Referer": "http://evil.example/page"}, form},
				{"no origin or referer", map[string]string{}, form},
				{"no csrf token", map[string]string{"Origin": c.srv.URL}, url.Values{"id": {"p.s.3"}, "confirm": {"yes"}}},
				{"wrong csrf token", map[string]string{"Origin": c.srv.URL}, url.Values{"id": {"p.s.3"}, "confirm": {"yes"}, "csrf": {csrf + "x"}}},
			}
			for _, tc := range cases {
				if resp, _ := c.do("POST", "/ui/replay", tc.form, tc.hdr); resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s: %d, want 403", tc.name, resp.StatusCode)
				}
			}
			if resp, _ := c.do("POST", "/ui/playground/run", url.Values{}, map[string]string{"Origin": c.srv.URL}); resp.StatusCode != http.StatusForbidden {
				t.Errorf("playground without the CSRF header: %d", resp.StatusCode)
			}
			if r := b.replays(); len(r) != 0 {
				t.Fatalf("a refused request replayed %v", r)
			}
			resp, _ := c.do("POST", "/ui/replay", form, map[string]string{"Referer": c.srv.URL + "/ui/deliveries/p.s.3"})
			if resp.StatusCode != 200 || len(b.replays()) != 1 {
				t.Fatalf("same-origin replay: %d, replayed %v", resp.StatusCode, b.replays())
			}
		})
	}
}

func TestLoginRedirectStaysInTheConsole(t *testing.T) {
	for in, want := range map[string]string{"/ui/deliveries?state=dead": "/ui/deliveries?state=dead", "//evil.example/ui/": "/ui/",
		"https://evil.example": "/ui/", "/ui/\\evil": "/ui/", "": "/ui/"} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDeliveriesAreFilteredAndPagedOnTheServer(t *testing.T) {
	b := newBackend(t, 0)
	put(t, b, 180)
	c := start(t, b, "")
	_, page := c.get("/ui/deliveries?state=dead")
	if !strings.Contains(page, "1–50 of 60") || strings.Count(page, `class="pill dead"`) != 50 || strings.Contains(page, `class="pill succeeded"`) {
		t.Fatalf("dead filter: %s", page)
	}
	if !strings.Contains(page, `href="/ui/deliveries?page=2&amp;state=dead"`) {
		t.Fatal("no link to the next page keeping the filter")
	}
	_, page = c.get("/ui/deliveries?state=dead&page=2")
	if !strings.Contains(page, "51–60 of 60") || !strings.Contains(page, `rel="prev"`) {
		t.Fatalf("page 2: %s", page)
	}
	_, page = c.get("/ui/deliveries?q=evt_0012")
	if !strings.Contains(page, "of 10<") {
		t.Fatalf("text filter: want 10 (evt_00120..00129): %s", page)
	}
	// Updated i minutes after base: since base+100m, until base+110m: 100..109.
	_, page = c.get("/ui/deliveries?since=2026-03-01T13:40&until=2026-03-01T13:50")
	if !strings.Contains(page, "1–10 of 10") || !strings.Contains(page, "evt_00109") || strings.Contains(page, "evt_00110") {
		t.Fatalf("time range: %s", page)
	}
	if resp, _ := c.get("/ui/deliveries?state=bogus"); resp.StatusCode != 400 {
		t.Fatalf("bad state: %d", resp.StatusCode)
	}
}

func TestReplayConfirmsHowManyFirst(t *testing.T) {
	b := newBackend(t, 0)
	put(t, b, 30)
	c := start(t, b, "")
	csrf := c.csrf()
	// All dead of p/s since base+15m: records 15, 18, ..., 30 = 6.
	form := url.Values{"csrf": {csrf}, "mode": {"dead"}, "pipeline": {"p"}, "sink": {"s"}, "since": {"2026-03-01T12:15"}}
	resp, page := c.post("/ui/replay", form)
	if resp.StatusCode != 200 || !strings.Contains(page, `<strong id="howmany">6</strong>`) {
		t.Fatalf("confirmation: %d %s", resp.StatusCode, page)
	}
	if r := b.replays(); len(r) != 0 {
		t.Fatalf("replayed before confirming: %v", r)
	}
	until := regexp.MustCompile(`name="until" value="([^"]+)"`).FindStringSubmatch(page)
	form.Set("confirm", "yes")
	form.Set("until", until[1])
	resp, page = c.post("/ui/replay", form)
	if resp.StatusCode != 200 || !strings.Contains(page, "Replayed 6") {
		t.Fatalf("replay: %d %s", resp.StatusCode, page)
	}
	got := strings.Join(b.replays(), " ")
	for _, want := range []string{"p.s.15", "p.s.18", "p.s.21", "p.s.24", "p.s.27", "p.s.30"} {
		if !strings.Contains(got, want) {
			t.Errorf("%s not replayed: %s", want, got)
		}
	}
	// A selection.
	_, page = c.post("/ui/replay", url.Values{"csrf": {csrf}, "id": {"p.s.1", "p.s.2"}})
	if !strings.Contains(page, "Replay 2 deliveries?") {
		t.Fatalf("selection confirmation: %s", page)
	}
}

func TestDetailHidesCredentialsAndTruncatesLargeBodies(t *testing.T) {
	b := newBackend(t, 0)
	big := `{"items":[` + strings.Repeat(`{"n":1234567890,"s":"abcdefghijklmnopqrstuvwxyz"},`, 20000) + `{}]}`
	ev := &sdk.Event{ID: "evt_big", Type: "push", Pipeline: "p", Source: "github", ReceivedAt: base, ContentType: sdk.ContentTypeJSON,
		Header: sdk.Header{"authorization": {"Bearer hunter2"}, "x-hub-signature-256": {"sha256=abc"}, "x-github-event": {"push"}}, Body: []byte(big)}
	if _, err := b.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	r := &queue.Record{ID: "p.s.1", Pipeline: "p", Sink: "s", EventID: "evt_big", Seq: 1, State: queue.StateRetrying, Created: base, Updated: base, NextAttempt: base.Add(time.Minute)}
	r.AddAttempt(queue.Attempt{At: base, Duration: 31.2, Status: 503, Outcome: "retry", Reason: "503 Service Unavailable: try later"})
	_ = b.History().Put(context.Background(), r)
	c := start(t, b, "")
	resp, page := c.get("/ui/deliveries/p.s.1")
	if resp.StatusCode != 200 {
		t.Fatalf("%d", resp.StatusCode)
	}
	for _, secret := range []string{"hunter2", "sha256=abc", "authorization"} {
		if strings.Contains(page, secret) {
			t.Errorf("the page shows %q", secret)
		}
	}
	for _, want := range []string{"x-github-event", "503 Service Unavailable: try later", "31.2 ms", "2026-03-01 12:01:00.000", "Download the whole body", "\n      &#34;n&#34;: 1234567890"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if len(page) > 100<<10 {
		t.Errorf("detail page is %d bytes", len(page))
	}
	resp, body := c.get("/ui/deliveries/p.s.1/body")
	if body != big || resp.Header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d bytes, %v", len(body), resp.Header)
	}
}

// TestEveryPageIsUnder100KB counts a page with its stylesheet and script.
func TestEveryPageIsUnder100KB(t *testing.T) {
	b := newBackend(t, 0)
	put(t, b, 500)
	c := start(t, b, "")
	_, css := c.get("/ui/static/app.css")
	_, js := c.get("/ui/static/app.js")
	if len(css) == 0 || len(js) == 0 {
		t.Fatal("assets not served")
	}
	ids := url.Values{"csrf": {c.csrf()}}
	for i := 1; i <= 50; i++ {
		ids.Add("id", fmt.Sprintf("p.s.%d", i))
	}
	pages := map[string]func() (*http.Response, string){
		"overview":   func() (*http.Response, string) { return c.get("/ui/") },
		"deliveries": func() (*http.Response, string) { return c.get("/ui/deliveries") },
		"detail":     func() (*http.Response, string) { return c.get("/ui/deliveries/p.s.3") },
		"tail":       func() (*http.Response, string) { return c.get("/ui/tail") },
		"playground": func() (*http.Response, string) { return c.get("/ui/playground") },
		"confirm":    func() (*http.Response, string) { return c.post("/ui/replay", ids) },
	}
	for name, get := range pages {
		resp, page := get()
		total := len(page) + len(css) + len(js)
		t.Logf("%s: %d bytes with assets", name, total)
		if resp.StatusCode != 200 && !(name == "detail" && resp.StatusCode == 200) {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
		if total > 100<<10 {
			t.Errorf("%s: %d bytes with assets, over 100 KB", name, total)
		}
	}
}

func TestNothingLoadsFromElsewhere(t *testing.T) {
	b := newBackend(t, 0)
	put(t, b, 3)
	c := start(t, b, "")
	for _, p := range []string{"/ui/", "/ui/deliveries", "/ui/tail", "/ui/playground", "/ui/static/app.css", "/ui/static/app.js"} {
		resp, body := c.get(p)
		if regexp.MustCompile(`(src|href)="(https?:)?//|url\(|@import|https?://`).MatchString(body) {
			t.Errorf("%s refers to another origin", p)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
	}
}

// BenchmarkDeliveriesPage renders the deliveries list over an index of
// 100,000 records: the newest page, a filtered page deep in the list, and
// a text search.
func BenchmarkDeliveriesPage(b *testing.B) {
	be := newBackend(b, 200000)
	put(b, be, 100000)
	c := New(be, Options{})
	// One session for every request.
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/ui/deliveries", nil))
	cookie := rec.Result().Cookies()[0]
	for _, q := range []string{"", "?state=dead&page=200", "?q=evt_0999", "?pipeline=p&sink=s&since=2026-03-10T00:00"} {
		b.Run("query="+q, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", "/ui/deliveries"+q, nil)
				req.AddCookie(cookie)
				w := httptest.NewRecorder()
				c.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("%d", w.Code)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		})
	}
	// Baseline: the store's List, a full read of the records per call (what
	// the JSON API's /v1/deliveries does), for one page of dead ones.
	b.Run("baseline=History.List", func(b *testing.B) {
		for b.Loop() {
			if _, err := be.History().List(context.Background(), queue.Filter{State: queue.StateDead, Limit: pageSize}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
	})
}

// cappedHistory is a history whose index has let older delivered
// records go (queue { list_delivered }).
type cappedHistory struct{ queue.History }

func (h cappedHistory) Search(ctx context.Context, q queue.Query) (queue.Page, error) {
	p, err := h.History.(queue.Searcher).Search(ctx, q)
	p.Capped = q.State == "" || q.State == queue.StateSucceeded
	return p, err
}

type cappedBackend struct{ *backend }

func (b cappedBackend) History() queue.History { return cappedHistory{b.backend.History()} }

// TestDeliveriesSayWhenDeliveredAreCapped: a list the index could not
// show whole says so, and how to find the rest; one it shows whole does
// not.
func TestDeliveriesSayWhenDeliveredAreCapped(t *testing.T) {
	b := newBackend(t, 0)
	put(t, b, 30)
	c := start(t, cappedBackend{b}, "")
	if _, page := c.get("/ui/deliveries"); !strings.Contains(page, `id="capped"`) || !strings.Contains(page, "list_delivered") {
		t.Fatalf("capped list without a note: %s", page)
	}
	if _, page := c.get("/ui/deliveries?state=dead"); strings.Contains(page, `id="capped"`) {
		t.Fatal("the dead list is whole but says it is capped")
	}
}
