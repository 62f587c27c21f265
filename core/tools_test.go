package core_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookferry/hookferry/core"
)

const runConfig = `
pipeline "p" {
  source "http" {
    path = "/in"
    token {
      header  = "X-Token"
      secrets = ["t"]
    }
  }
  transform "javascript" {
    code = "function transform(e) { console.log('pipeline saw', e.body.n); return { n: e.body.n + 1 }; }"
  }
  sink "slack" "chat" {
    webhook_url = env("SLACK_URL")
    transform "javascript" {
      code = "function transform(e) { return { text: 'n=' + e.body.n }; }"
    }
  }
}
`

func runTransform(t *testing.T, e *core.Engine, req any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(req)
	resp, err := http.Post("http://"+e.AdminAddr()+"/v1/transform/run", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// TestTransformRunUsesTheRealChainAndSink: POST /v1/transform/run runs the
// pipeline's and the sink's transforms on an inline event or a stored one,
// returns the messages, the console lines and the rendered request with
// the webhook URL's secret part redacted; a given script runs instead of
// the chain; nothing is delivered.
func TestTransformRunUsesTheRealChainAndSink(t *testing.T) {
	e := startEngine(t, map[string]string{"config.hcl": runConfig}, map[string]string{"SLACK_URL": "https://hooks.slack.test/services/T0001/B0001/abcdef123456secret"})

	code, out := runTransform(t, e, map[string]any{"pipeline": "p", "sink": "chat", "event": map[string]any{"body": map[string]any{"n": 41}}})
	if code != 200 || out["error"] != nil {
		t.Fatalf("%d %v", code, out)
	}
	msgs := out["messages"].([]any)
	if len(msgs) != 1 || msgs[0].(map[string]any)["body"].(map[string]any)["text"] != "n=42" {
		t.Fatalf("messages %v", msgs)
	}
	reqs := out["requests"].([]any)
	u := reqs[0].(map[string]any)["url"].(string)
	if reqs[0].(map[string]any)["method"] != "POST" || strings.Contains(u, "secret") || !strings.HasPrefix(u, "https://hooks.slack.test/services/") {
		t.Fatalf("rendered request %v", reqs[0])
	}
	if c := out["console"].([]any); len(c) != 1 || !strings.Contains(c[0].(string), "pipeline saw 41") {
		t.Fatalf("console %v", out["console"])
	}

	// A stored event, by delivery id.
	status, _ := post(t, e, "/in", []byte(`{"n":1}`), map[string]string{"X-Token": "t", "Content-Type": "application/json"})
	if status != 202 {
		t.Fatalf("post: %d", status)
	}
	var id string
	for deadline := time.Now().Add(10 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + e.AdminAddr() + "/v1/deliveries?pipeline=p")
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Deliveries []struct{ ID string } }
		_ = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if len(doc.Deliveries) > 0 {
			id = doc.Deliveries[0].ID
		}
	}
	code, out = runTransform(t, e, map[string]any{"pipeline": "p", "sink": "chat", "delivery_id": id})
	if code != 200 || out["messages"].([]any)[0].(map[string]any)["body"].(map[string]any)["text"] != "n=2" {
		t.Fatalf("stored event %s: %d %v", id, code, out)
	}
	if ev := out["event"].(map[string]any); ev["headers"].(map[string]any)["x-token"] != nil {
		t.Fatalf("the token header left the process: %v", ev["headers"])
	}

	// A playground script replaces the chain; its exception comes back
	// with its line, not as a failed request.
	code, out = runTransform(t, e, map[string]any{"pipeline": "p", "sink": "chat", "event": map[string]any{"body": map[string]any{"n": 1}},
		"script": "function transform(e) {\n  console.log('try');\n  return e.body.missing.x;\n}"})
	if code != 200 || !strings.Contains(out["error"].(string), ":3:") || len(out["console"].([]any)) != 1 {
		t.Fatalf("script error: %d %v", code, out)
	}

	for _, bad := range []map[string]any{
		{"pipeline": "nope", "sink": "chat", "event": map[string]any{"body": 1}},
		{"pipeline": "p", "sink": "nope", "event": map[string]any{"body": 1}},
		{"pipeline": "p", "sink": "chat"},
		{"pipeline": "p", "sink": "chat", "event": map[string]any{"body": 1}, "surprise": true},
	} {
		if code, out := runTransform(t, e, bad); code != 400 {
			t.Errorf("%v: %d %v, want 400", bad, code, out)
		}
	}
	if code, _ := runTransform(t, e, map[string]any{"pipeline": "p", "sink": "chat", "delivery_id": "p.chat.999999"}); code != 404 {
		t.Errorf("missing stored event: %d, want 404", code)
	}
	if d, _, _, _ := e.SinkStats("p", "chat"); d > 1 {
		t.Fatalf("transform runs delivered something: %d deliveries", d)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T0001/B0001/XyZ123abc456def":            "https://hooks.slack.com/services/T0001/B0001/<redacted>",
		"https://discord.com/api/webhooks/123456789012345678/aBc-123_xyz789LMNOP": "https://discord.com/api/webhooks/123456789012345678/<redacted>",
		"https://api.github.com/repos/o/r/dispatches":                             "https://api.github.com/repos/o/r/dispatches",
		"https://user:pw@example.test/hook?token=abc&x=1":                         "https://example.test/hook?token=<redacted>&x=<redacted>",
		"not a url": "<redacted>",
	} {
		if got := core.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
