package core_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/internal/corpus"
)

// delivery is one signed request built from a corpus file.
type delivery struct {
	file   string
	path   string
	header map[string]string
	body   []byte
	// want is the event type the source must find; drop means the
	// example script is expected to return null for it.
	want string
	drop bool
}

func hexMAC(key string, parts ...string) string {
	m := hmac.New(sha256.New, []byte(key))
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

func jsonFiles(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpus.Dir(t), pattern))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files for %s: %v", pattern, err)
	}
	return files
}

func githubDeliveries(t *testing.T) []delivery {
	var out []delivery
	for i, f := range jsonFiles(t, "octokit-webhooks/api.github.com/*/*.json") {
		body, _ := os.ReadFile(f)
		var v struct {
			Action      any `json:"action"`
			WorkflowRun struct {
				Conclusion string `json:"conclusion"`
			} `json:"workflow_run"`
			CheckRun struct {
				Conclusion string `json:"conclusion"`
			} `json:"check_run"`
		}
		_ = json.Unmarshal(body, &v)
		event := filepath.Base(filepath.Dir(f))
		want := event
		if a, ok := v.Action.(string); ok && a != "" {
			want += "." + a
		}
		// What scripts/github_to_slack.js says nothing about: the ping,
		// and runs that did not fail.
		failed := map[string]bool{"failure": true, "timed_out": true, "startup_failure": true}
		drop := event == "ping"
		switch want {
		case "workflow_run.requested", "workflow_run.in_progress", "check_run.created", "check_run.rerequested", "check_run.requested_action":
			drop = true
		case "workflow_run.completed":
			drop = !failed[v.WorkflowRun.Conclusion]
		case "check_run.completed":
			drop = !failed[v.CheckRun.Conclusion]
		}
		out = append(out, delivery{file: f, path: "/github", body: body, want: want, drop: drop, header: map[string]string{
			"Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": fmt.Sprintf("corpus-%d", i),
			"X-Hub-Signature-256": "sha256=" + hexMAC(githubSecret, string(body)),
		}})
	}
	return out
}

func stripeDeliveries(t *testing.T) []delivery {
	raw := corpus.Read(t, "stripe-openapi/fixtures3.json")
	var fx struct {
		Resources map[string]json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	var out []delivery
	add := func(name string, body []byte, want string) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		out = append(out, delivery{file: "fixtures3.json#" + name, path: "/stripe", body: body, want: want, header: map[string]string{
			"Content-Type": "application/json", "Stripe-Signature": "t=" + ts + ",v1=" + hexMAC(stripeSecret, ts, ".", string(body)),
		}})
	}
	// The fixture's own event, as is.
	add("event", fx.Resources["event"], "plan.created")
	// Every other resource wrapped in an event envelope, as Stripe sends them.
	for _, name := range slices.Sorted(maps.Keys(fx.Resources)) {
		body, _ := json.Marshal(map[string]any{
			"id": "evt_corpus_" + name, "object": "event", "type": name + ".updated", "livemode": false,
			"created": time.Now().Unix(), "data": map[string]any{"object": fx.Resources[name]},
		})
		add(name, body, name+".updated")
	}
	return out
}

func slackDeliveries(t *testing.T) []delivery {
	var out []delivery
	sign := func(f string, ct string, body []byte, want string) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		out = append(out, delivery{file: f, path: "/slack", body: body, want: want, header: map[string]string{
			"Content-Type": ct, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + hexMAC(slackSecret, "v0:", ts, ":", string(body)),
		}})
	}
	for _, f := range jsonFiles(t, "slack-java-sdk-samples/events/*.json") {
		body, _ := os.ReadFile(f)
		var v struct {
			Type  string `json:"type"`
			Event struct {
				Type string `json:"type"`
			} `json:"event"`
		}
		_ = json.Unmarshal(body, &v)
		want := v.Type
		if v.Event.Type != "" {
			want = v.Event.Type
		}
		sign(f, "application/json", body, want)
	}
	for _, f := range jsonFiles(t, "slack-java-sdk-samples/app-backend/*/*.json") {
		body, _ := os.ReadFile(f)
		if strings.HasSuffix(f, "SlashCommandPayload.json") {
			// Slash commands arrive as plain form fields.
			var fields map[string]any
			_ = json.Unmarshal(body, &fields)
			form := url.Values{}
			for k, v := range fields {
				form.Set(k, fmt.Sprint(v))
			}
			sign(f, "application/x-www-form-urlencoded", []byte(form.Encode()), "slash_command")
			continue
		}
		// Interactivity arrives as a form field "payload" holding JSON.
		var v struct{ Type string }
		_ = json.Unmarshal(body, &v)
		sign(f, "application/x-www-form-urlencoded", []byte("payload="+url.QueryEscape(string(body))), v.Type)
	}
	return out
}

func gitlabDeliveries(t *testing.T) []delivery {
	var out []delivery
	for i, f := range jsonFiles(t, "go-gitlab-webhooks/*.json") {
		body, _ := os.ReadFile(f)
		var v struct {
			ObjectKind string          `json:"object_kind"`
			EventName  string          `json:"event_name"`
			Action     any             `json:"action"`
			Attrs      json.RawMessage `json:"object_attributes"`
		}
		_ = json.Unmarshal(body, &v)
		var attrs struct {
			Action any    `json:"action"`
			Status string `json:"status"`
		}
		_ = json.Unmarshal(v.Attrs, &attrs)
		want := v.ObjectKind
		if want == "" {
			want = v.EventName
		}
		if a, ok := attrs.Action.(string); ok && a != "" {
			want += "." + a
		} else if a, ok := v.Action.(string); ok && a != "" {
			want += "." + a
		}
		// What scripts/gitlab_to_discord.js says nothing about: merge
		// request updates and approvals, and pipelines that did not fail.
		drop := false
		switch v.ObjectKind {
		case "merge_request":
			a, _ := attrs.Action.(string)
			drop = !map[string]bool{"open": true, "reopen": true, "close": true, "merge": true, "approved": true}[a]
		case "pipeline":
			drop = attrs.Status != "failed"
		}
		out = append(out, delivery{file: f, path: "/gitlab", body: body, want: want, drop: drop, header: map[string]string{
			"Content-Type": "application/json", "X-Gitlab-Token": gitlabSecret, "X-Gitlab-Event-UUID": fmt.Sprintf("uuid-%d", i),
		}})
	}
	return out
}

const (
	githubSecret = "corpus-github-secret"
	stripeSecret = "whsec_corpus_stripe_secret"
	slackSecret  = "corpus-slack-signing-secret"
	gitlabSecret = "corpus-gitlab-token"
)

// TestCorpusThroughSources signs every GitHub, Stripe, Slack and GitLab
// payload of the shared corpus as its provider would, sends it over HTTP
// through the provider's source and the example script in scripts/, and
// checks that none fails and that the sink sees exactly the expected event
// types (computed here from the payloads, not by the sources).
func TestCorpusThroughSources(t *testing.T) {
	scripts, err := filepath.Abs("../scripts")
	if err != nil {
		t.Fatal(err)
	}
	type got struct{ pipeline, typ string }
	var mu sync.Mutex
	var received []got
	dest := newDestinationFunc(t, func(r *http.Request) {
		mu.Lock()
		received = append(received, got{r.Header.Get("X-Pipeline"), r.Header.Get("X-Type")})
		mu.Unlock()
	})
	tag := `transform "javascript" {
      code = "function transform(e) { return message(e.body, {headers: {'X-Type': e.type, 'X-Pipeline': e.pipeline}}); }"
    }`
	cfg := ""
	for _, p := range []struct{ name, source, script string }{
		{"github", `source "github" {
    path = "/github"
    secrets = ["` + githubSecret + `"]
  }`, "github_to_slack.js"},
		{"stripe", `source "stripe" {
    path = "/stripe"
    secrets = ["` + stripeSecret + `"]
  }`, "stripe_to_slack.js"},
		{"slack", `source "slack" {
    path = "/slack"
    secrets = ["` + slackSecret + `"]
  }`, "slack_events.js"},
		{"gitlab", `source "gitlab" {
    path = "/gitlab"
    secrets = ["` + gitlabSecret + `"]
  }`, "gitlab_to_discord.js"},
	} {
		cfg += fmt.Sprintf(`
pipeline %q {
  %s
  transform "javascript" { file = %q }
  sink "http" "out" {
    url = %q
    %s
  }
}
`, p.name, p.source, filepath.Join(scripts, p.script), dest.URL, tag)
	}
	var logs bytes.Buffer
	e := startEngineWithLogger(t, cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))

	sets := map[string][]delivery{
		"github": githubDeliveries(t),
		"stripe": stripeDeliveries(t),
		"slack":  slackDeliveries(t),
		"gitlab": gitlabDeliveries(t),
	}
	want := map[got]int{}
	total := 0
	for name, ds := range sets {
		for _, d := range ds {
			status, body := post(t, e, d.path, d.body, d.header)
			if status != http.StatusAccepted {
				t.Errorf("%s: status %d %s", d.file, status, body)
				continue
			}
			if !d.drop {
				want[got{name, d.want}]++
				total++
			}
		}
	}
	for name, ds := range sets {
		waitStats(t, e, name, "out", int64(len(ds)), 0)
	}
	if t.Failed() {
		t.Fatalf("engine log:\n%s", logs.String())
	}
	dest.wait(t, total)
	gotCount := map[got]int{}
	mu.Lock()
	for _, g := range received {
		gotCount[g]++
	}
	mu.Unlock()
	for k, n := range want {
		if gotCount[k] != n {
			t.Errorf("pipeline %s type %q: received %d, want %d", k.pipeline, k.typ, gotCount[k], n)
		}
	}
	for k, n := range gotCount {
		if want[k] == 0 {
			t.Errorf("pipeline %s: unexpected type %q (%d)", k.pipeline, k.typ, n)
		}
	}
	t.Logf("sent %d corpus deliveries (github %d, stripe %d, slack %d, gitlab %d); %d reached the sink",
		len(sets["github"])+len(sets["stripe"])+len(sets["slack"])+len(sets["gitlab"]),
		len(sets["github"]), len(sets["stripe"]), len(sets["slack"]), len(sets["gitlab"]), total)
}

// newDestinationFunc is a destination that also calls f on each request.
func newDestinationFunc(t *testing.T, f func(*http.Request)) *destination {
	d := &destination{notify: make(chan struct{}, 10000)}
	d.Server = newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		f(r)
		_, _ = io.Copy(io.Discard, r.Body)
		d.mu.Lock()
		d.got = append(d.got, received{Method: r.Method})
		d.mu.Unlock()
		d.notify <- struct{}{}
	})
	return d
}

func startEngineWithLogger(t *testing.T, cfg string, log *slog.Logger) *core.Engine {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return loadAndStart(t, dir, nil, log)
}
