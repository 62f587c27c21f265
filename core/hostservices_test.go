package core_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func mattermostAPIConfig(path, sum, server string, denyPrivate bool) string {
	return fmt.Sprintf(`
egress { deny_private = %t }
plugin "mattermost" {
  path   = %q
  sha256 = %q
}
pipeline "p" {
  source "http" {
    path = "/in"
    allow_unauthenticated = true
  }
  sink "mattermost" "out" {
    channel = "ops"
    api {
      server_url = %q
      token      = "bot-token"
      team       = "eng"
    }
    retry { max_attempts = 2 }
    breaker { enabled = false }
  }
}`, denyPrivate, path, sum, server)
}

// TestPluginHTTPGoesThroughTheHost: the mattermost plugin looks its
// channel up with the HTTP client hookferry gives it; the host performs
// that request, so the host's egress policy decides. Allowed, the lookup
// and the post arrive; with deny_private the loopback server gets no
// request at all and the delivery is dead with the egress reason.
func TestPluginHTTPGoesThroughTheHost(t *testing.T) {
	path, sum := examplePlugin(t)

	t.Run("allowed", func(t *testing.T) {
		mm := newAPI(t, apiResp{status: 200, body: `{"id":"ch1","name":"ops"}`}, apiResp{status: 201, body: `{"id":"post1"}`})
		e := startEngineWithLogger(t, mattermostAPIConfig(path, sum, mm.url, false), slog.New(slog.DiscardHandler))
		post(t, e, "/in", []byte(`{"text":"deploy done"}`), map[string]string{"Content-Type": "application/json"})
		waitStats(t, e, "p", "out", 1, 0)
		reqs := mm.requests()
		if len(reqs) != 2 {
			t.Fatalf("%d requests, want the lookup and the post", len(reqs))
		}
		if reqs[0].method != "GET" || reqs[0].path != "/api/v4/teams/name/eng/channels/name/ops" || reqs[0].header.Get("Authorization") != "Bearer bot-token" {
			t.Fatalf("lookup %+v", reqs[0])
		}
		var p map[string]any
		_ = json.Unmarshal([]byte(reqs[1].body), &p)
		if reqs[1].path != "/api/v4/posts" || p["channel_id"] != "ch1" || p["message"] != "deploy done" {
			t.Fatalf("post %s %s", reqs[1].path, reqs[1].body)
		}
	})

	t.Run("deny_private", func(t *testing.T) {
		mm := newAPI(t, apiResp{status: 200, body: `{"id":"ch1"}`})
		e := startEngineWithLogger(t, mattermostAPIConfig(path, sum, mm.url, true), slog.New(slog.DiscardHandler))
		post(t, e, "/in", []byte(`{"text":"deploy done"}`), map[string]string{"Content-Type": "application/json"})
		waitStats(t, e, "p", "out", 0, 1)
		if n := len(mm.requests()); n != 0 {
			t.Fatalf("the refused server got %d requests: the plugin went around the host", n)
		}
		var list struct{ Deliveries []recordJSON }
		admin(t, e, "GET", "/v1/deliveries", nil, &list)
		if len(list.Deliveries) != 1 || list.Deliveries[0].AttemptCount != 1 || !strings.Contains(list.Deliveries[0].Attempts[0].Reason, "egress refused") {
			t.Fatalf("deliveries %+v", list.Deliveries)
		}
	})
}
