package core_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// api is a fake destination that answers with scripted responses in
// order (then the last one again) and records every request.
type api struct {
	url  string
	mu   sync.Mutex
	reqs []apiReq
	plan []apiResp
}

type apiReq struct {
	at     time.Time
	method string
	path   string
	query  string
	header http.Header
	body   string
}

type apiResp struct {
	status int
	header map[string]string
	body   string
}

func newAPI(t *testing.T, plan ...apiResp) *api {
	a := &api{plan: plan}
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.reqs = append(a.reqs, apiReq{time.Now(), r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(b)})
		resp := a.plan[min(len(a.reqs), len(a.plan))-1]
		a.mu.Unlock()
		for k, v := range resp.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.status)
		_, _ = io.WriteString(w, resp.body)
	})
	a.url = srv.URL
	return a
}

func (a *api) requests() []apiReq {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]apiReq(nil), a.reqs...)
}

// sinkCase runs one event through a pipeline whose only sink is cfg and
// returns the delivery record once it settled as want ("succeeded" or
// "dead").
func sinkCase(t *testing.T, sinkCfg, body, want string) recordJSON {
	t.Helper()
	e := startEngineWithLogger(t, `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  `+sinkCfg+`
}`, slog.New(slog.DiscardHandler))
	post(t, e, "/in", []byte(body), map[string]string{"Content-Type": "application/json"})
	var d, f int64
	if want == "succeeded" {
		d = 1
	} else {
		f = 1
	}
	waitStats(t, e, "p", "out", d, f)
	var list struct{ Deliveries []recordJSON }
	admin(t, e, "GET", "/v1/deliveries", nil, &list)
	if len(list.Deliveries) != 1 || list.Deliveries[0].State != want {
		t.Fatalf("records %+v, want one %s", list.Deliveries, want)
	}
	return list.Deliveries[0]
}

func TestSlackWebhookAnswers(t *testing.T) {
	permanent := []struct{ status int }{}
	_ = permanent
	for _, tc := range []struct {
		status int
		text   string
	}{
		{400, "invalid_payload"}, {400, "no_text"}, {403, "action_prohibited"},
		{404, "channel_not_found"}, {404, "no_service"}, {410, "channel_is_archived"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			a := newAPI(t, apiResp{status: tc.status, body: tc.text})
			rec := sinkCase(t, `sink "slack" "out" { webhook_url = "`+a.url+`/services/T000/B000/XXXX" }`, `{"text":"hi"}`, "dead")
			if n := len(a.requests()); n != 1 || rec.AttemptCount != 1 {
				t.Fatalf("%d requests, %d attempts; a permanent error gets exactly one", n, rec.AttemptCount)
			}
			if want := fmt.Sprintf("%d %s", tc.status, tc.text); rec.Attempts[0].Reason != want {
				t.Fatalf("reason %q, want %q", rec.Attempts[0].Reason, want)
			}
		})
	}
	t.Run("ok and 429 Retry-After to the second", func(t *testing.T) {
		a := newAPI(t, apiResp{status: 429, header: map[string]string{"Retry-After": "1"}, body: "rate_limited"}, apiResp{status: 200, body: "ok"})
		sinkCase(t, `sink "slack" "out" { webhook_url = "`+a.url+`/services/x" }`, `"plain text"`, "succeeded")
		r := a.requests()
		if len(r) != 2 {
			t.Fatalf("%d requests", len(r))
		}
		if gap := r[1].at.Sub(r[0].at); gap < time.Second || gap > 1900*time.Millisecond {
			t.Fatalf("retry %s after Retry-After: 1", gap)
		}
		if r[0].body != `{"text":"plain text"}` || !strings.HasPrefix(r[0].header.Get("Content-Type"), "application/json") {
			t.Fatalf("body %s, content type %s", r[0].body, r[0].header.Get("Content-Type"))
		}
	})
}

func TestSlackWebAPIAnswers(t *testing.T) {
	cfg := func(url string) string {
		return `sink "slack" "out" {
    token   = "xoxb-test-token"
    channel = "C123"
    api_url = "` + url + `"
  }`
	}
	t.Run("ok:false is permanent, verbatim", func(t *testing.T) {
		a := newAPI(t, apiResp{status: 200, body: `{"ok":false,"error":"channel_not_found"}`})
		rec := sinkCase(t, cfg(a.url), `{"text":"hi"}`, "dead")
		if rec.AttemptCount != 1 || rec.Attempts[0].Reason != "slack: channel_not_found" {
			t.Fatalf("record %+v", rec)
		}
		r := a.requests()[0]
		if r.path != "/chat.postMessage" || r.header.Get("Authorization") != "Bearer xoxb-test-token" || r.body != `{"channel":"C123","text":"hi"}` {
			t.Fatalf("request %+v", r)
		}
	})
	t.Run("ratelimited retries after Retry-After", func(t *testing.T) {
		a := newAPI(t, apiResp{status: 200, header: map[string]string{"Retry-After": "1"}, body: `{"ok":false,"error":"ratelimited"}`}, apiResp{status: 200, body: `{"ok":true}`})
		sinkCase(t, cfg(a.url), `{"text":"hi","channel":"C999"}`, "succeeded")
		r := a.requests()
		if gap := r[1].at.Sub(r[0].at); len(r) != 2 || gap < time.Second {
			t.Fatalf("%d requests, gap %s", len(r), gap)
		}
		if !strings.Contains(r[0].body, `"channel":"C999"`) {
			t.Fatalf("the message's own channel was replaced: %s", r[0].body)
		}
	})
}

// TestSlackPacing: Slack's documented one message per second is the
// default pace.
func TestSlackPacing(t *testing.T) {
	a := newAPI(t, apiResp{status: 200, body: "ok"})
	e := startEngineWithLogger(t, `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "slack" "out" { webhook_url = "`+a.url+`/services/x" }
}`, slog.New(slog.DiscardHandler))
	for i := range 3 {
		post(t, e, "/in", []byte(fmt.Sprintf(`{"text":"%d"}`, i)), map[string]string{"Content-Type": "application/json"})
	}
	waitStats(t, e, "p", "out", 3, 0)
	r := a.requests()
	if span := r[2].at.Sub(r[0].at); span < 1900*time.Millisecond || span > 3500*time.Millisecond {
		t.Fatalf("3 messages took %s; Slack's pace is about one per second", span)
	}
}

func TestDiscordAnswers(t *testing.T) {
	t.Run("429 retry_after in the body", func(t *testing.T) {
		a := newAPI(t, apiResp{status: 429, body: `{"message":"You are being rate limited.","retry_after":1.2,"global":false}`}, apiResp{status: 204})
		sinkCase(t, `sink "discord" "out" {
    webhook_url = "`+a.url+`/api/webhooks/1/tok"
    wait        = true
  }`, `"hello"`, "succeeded")
		r := a.requests()
		if gap := r[1].at.Sub(r[0].at); len(r) != 2 || gap < 1200*time.Millisecond || gap > 2*time.Second {
			t.Fatalf("%d requests, gap %s after retry_after 1.2", len(r), gap)
		}
		if r[0].query != "wait=true" || r[0].body != `{"content":"hello"}` {
			t.Fatalf("request %+v", r[0])
		}
	})
	t.Run("429 Retry-After header", func(t *testing.T) {
		a := newAPI(t, apiResp{status: 429, header: map[string]string{"Retry-After": "1"}, body: `{}`}, apiResp{status: 204})
		sinkCase(t, `sink "discord" "out" { webhook_url = "`+a.url+`/api/webhooks/1/tok" }`, `{"content":"x"}`, "succeeded")
		if r := a.requests(); r[1].at.Sub(r[0].at) < time.Second {
			t.Fatal("Retry-After not honoured")
		}
	})
	for name, body := range map[string]string{
		"content over 2000": `{"content":"` + strings.Repeat("é", 2001) + `"}`,
		"11 embeds":         `{"embeds":[` + strings.TrimSuffix(strings.Repeat(`{"title":"t"},`, 11), ",") + `]}`,
	} {
		t.Run(name, func(t *testing.T) {
			a := newAPI(t, apiResp{status: 204})
			rec := sinkCase(t, `sink "discord" "out" { webhook_url = "`+a.url+`/api/webhooks/1/tok" }`, body, "dead")
			if len(a.requests()) != 0 || !strings.Contains(rec.Attempts[0].Reason, "Discord accepts at most") {
				t.Fatalf("%d requests, reason %q", len(a.requests()), rec.Attempts[0].Reason)
			}
		})
	}
	t.Run("400 permanent", func(t *testing.T) {
		a := newAPI(t, apiResp{status: 400, body: `{"code":50006,"message":"Cannot send an empty message"}`})
		rec := sinkCase(t, `sink "discord" "out" { webhook_url = "`+a.url+`/api/webhooks/1/tok" }`, `{"content":"x"}`, "dead")
		if rec.AttemptCount != 1 || !strings.Contains(rec.Attempts[0].Reason, "Cannot send an empty message") {
			t.Fatalf("record %+v", rec)
		}
	})
}

func TestGitHubSink(t *testing.T) {
	cfg := func(url, action string) string {
		return `sink "github" "out" {
    token      = "ghp_test"
    repository = "octo/hello"
    action     = "` + action + `"
    api_url    = "` + url + `"
  }`
	}
	t.Run("repository_dispatch", func(t *testing.T) {
		a := newAPI(t, apiResp{status: 204})
		sinkCase(t, cfg(a.url, "repository_dispatch"), `{"event_type":"deploy","client_payload":{"ref":"main"},"ignored":1}`, "succeeded")
		r := a.requests()[0]
		h := r.header
		if r.method != "POST" || r.path != "/repos/octo/hello/dispatches" || r.body != `{"client_payload":{"ref":"main"},"event_type":"deploy"}` ||
			h.Get("Authorization") != "Bearer ghp_test" || h.Get("Accept") != "application/vnd.github+json" ||
			h.Get("X-GitHub-Api-Version") != "2022-11-28" || h.Get("User-Agent") != "hookferry" {
			t.Fatalf("request %+v", r)
		}
	})
	for action, tc := range map[string]struct{ body, path, sent string }{
		"issue_comment": {`{"issue_number":7,"body":"hi"}`, "/repos/octo/hello/issues/7/comments", `{"body":"hi"}`},
		"create_issue":  {`{"title":"T","labels":["bug"]}`, "/repos/octo/hello/issues", `{"labels":["bug"],"title":"T"}`},
		"commit_status": {`{"sha":"abc123","state":"success","context":"ci"}`, "/repos/octo/hello/statuses/abc123", `{"context":"ci","state":"success"}`},
	} {
		t.Run(action, func(t *testing.T) {
			a := newAPI(t, apiResp{status: 201, body: `{}`})
			sinkCase(t, cfg(a.url, action), tc.body, "succeeded")
			if r := a.requests()[0]; r.path != tc.path || r.body != tc.sent {
				t.Fatalf("request %s %s", r.path, r.body)
			}
		})
	}
	t.Run("primary rate limit waits for the reset", func(t *testing.T) {
		// The reset is set when the limited request arrives (a reset
		// computed before the engine started could already be near on a
		// loaded machine), and the only bound checked is causal: the retry
		// comes after the reset instant. The exact wait is pinned under a
		// fake clock in plugins/sinks/github (TestPrimaryLimitWaitsExactlyUntilTheReset).
		var mu sync.Mutex
		var at []time.Time
		var reset time.Time
		srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			at = append(at, time.Now())
			if len(at) == 1 {
				reset = time.Now().Add(2 * time.Second).Truncate(time.Second)
				w.Header().Set("x-ratelimit-remaining", "0")
				w.Header().Set("x-ratelimit-reset", fmt.Sprint(reset.Unix()))
				w.WriteHeader(403)
				_, _ = io.WriteString(w, `{"message":"API rate limit exceeded"}`)
				return
			}
			w.WriteHeader(204)
		})
		sinkCase(t, cfg(srv.URL, "repository_dispatch"), `{"event_type":"x"}`, "succeeded")
		mu.Lock()
		defer mu.Unlock()
		if len(at) != 2 || at[1].Before(reset) {
			t.Fatalf("%d requests; retried at %s, before the reset %s", len(at), at[len(at)-1].Format(time.StampMilli), reset.Format(time.StampMilli))
		}
	})
	t.Run("secondary rate limit without Retry-After is retried, not dead", func(t *testing.T) {
		a := newAPI(t, apiResp{status: 403, body: `{"message":"You have exceeded a secondary rate limit and have been temporarily blocked from content creation. Please retry your request again later."}`}, apiResp{status: 204})
		e := startEngineWithLogger(t, `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  `+cfg(a.url, "repository_dispatch")+`
}`, slog.New(slog.DiscardHandler))
		post(t, e, "/in", []byte(`{"event_type":"x"}`), map[string]string{"Content-Type": "application/json"})
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, retried, failed, _ := e.SinkStats("p", "out")
			if failed != 0 {
				t.Fatal("a secondary rate limit was dead-lettered")
			}
			if retried == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the secondary rate limit was not scheduled for a retry")
			}
			time.Sleep(5 * time.Millisecond)
		}
		var list struct{ Deliveries []recordJSON }
		admin(t, e, "GET", "/v1/deliveries", nil, &list)
		if len(list.Deliveries) != 1 || list.Deliveries[0].State != "retrying" || len(a.requests()) != 1 {
			t.Fatalf("records %+v, %d requests; want one retrying after one request", list.Deliveries, len(a.requests()))
		}
	})
	t.Run("secondary rate limit honours Retry-After", func(t *testing.T) {
		a := newAPI(t, apiResp{status: 403, header: map[string]string{"Retry-After": "1"}, body: `{"message":"You have exceeded a secondary rate limit"}`}, apiResp{status: 204})
		sinkCase(t, cfg(a.url, "repository_dispatch"), `{"event_type":"x"}`, "succeeded")
		if r := a.requests(); r[1].at.Sub(r[0].at) < time.Second {
			t.Fatal("Retry-After not honoured")
		}
	})
	for _, st := range []int{401, 404, 422} {
		t.Run(fmt.Sprint(st, " permanent"), func(t *testing.T) {
			a := newAPI(t, apiResp{status: st, body: `{"message":"Validation Failed"}`})
			rec := sinkCase(t, cfg(a.url, "create_issue"), `{"title":"x"}`, "dead")
			if rec.AttemptCount != 1 || !strings.Contains(rec.Attempts[0].Reason, "Validation Failed") {
				t.Fatalf("record %+v", rec)
			}
		})
	}
	t.Run("missing field", func(t *testing.T) {
		a := newAPI(t, apiResp{status: 201})
		rec := sinkCase(t, cfg(a.url, "issue_comment"), `{"body":"no issue number"}`, "dead")
		if len(a.requests()) != 0 || !strings.Contains(rec.Attempts[0].Reason, `no "issue_number"`) {
			t.Fatalf("reason %q", rec.Attempts[0].Reason)
		}
	})
}

// TestHTTPSinkSigning: the receiver verifies our Standard Webhooks headers
// with its own HMAC (crypto/hmac here, not our code), and webhook-id is the
// same on a retry of the same message.
func TestHTTPSinkSigning(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	a := newAPI(t, apiResp{status: 500}, apiResp{status: 200})
	sinkCase(t, `sink "http" "out" {
    url = "`+a.url+`"
    signing { secret = "`+secret+`" }
  }`, `{"order":42}`, "succeeded")
	r := a.requests()
	if len(r) != 2 {
		t.Fatalf("%d requests", len(r))
	}
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	for i, req := range r {
		id, ts := req.header.Get("webhook-id"), req.header.Get("webhook-timestamp")
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id + "." + ts + "." + req.body))
		want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
		if id == "" || req.header.Get("webhook-signature") != want {
			t.Fatalf("attempt %d: id %q signature %q, want %q", i+1, id, req.header.Get("webhook-signature"), want)
		}
	}
	if r[0].header.Get("webhook-id") != r[1].header.Get("webhook-id") {
		t.Fatalf("webhook-id changed between retries: %q then %q", r[0].header.Get("webhook-id"), r[1].header.Get("webhook-id"))
	}
}

// TestEgressDenyPrivateAndSecretURLs: with deny_private a sink whose name
// resolves to loopback (validate does not resolve names; a loopback
// address would be refused there) is refused without a request, dead at
// once; and a webhook URL's secret path
// appears neither in the logs nor in the delivery history.
func TestEgressDenyPrivateAndSecretURLs(t *testing.T) {
	a := newAPI(t, apiResp{status: 200, body: "ok"})
	var logs bytes.Buffer
	e := startEngineWithLogger(t, `
egress { deny_private = true }
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "slack" "out" { webhook_url = "`+strings.Replace(a.url, "127.0.0.1", "localhost", 1)+`/services/T0/B0/SUPERSECRETPATH" }
}`, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	post(t, e, "/in", []byte(`{"text":"x"}`), map[string]string{"Content-Type": "application/json"})
	waitStats(t, e, "p", "out", 0, 1)
	if n := len(a.requests()); n != 0 {
		t.Fatalf("refused destination got %d requests", n)
	}
	var list struct{ Deliveries []recordJSON }
	admin(t, e, "GET", "/v1/deliveries", nil, &list)
	rec := list.Deliveries[0]
	if rec.AttemptCount != 1 || !strings.Contains(rec.Attempts[0].Reason, "egress refused") {
		t.Fatalf("record %+v", rec)
	}
	var raw bytes.Buffer
	_ = admin(t, e, "GET", "/v1/deliveries/"+rec.ID, nil, nil)
	for _, where := range []string{logs.String(), fmt.Sprint(rec), raw.String()} {
		if strings.Contains(where, "SUPERSECRETPATH") {
			t.Fatalf("the webhook URL's secret leaked:\n%s", where)
		}
	}
}
