package core_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestReplayAPISaysWhatIsWrong: POST /v1/replay names what is wrong with
// a request: nothing to replay, ids and a filter at once, a pipeline or
// sink that does not exist, an event never stored.
func TestReplayAPISaysWhatIsWrong(t *testing.T) {
	e := startEngine(t, map[string]string{"config.hcl": `
pipeline "p" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "log" "out" {}
}`}, nil)
	var resp struct {
		Error  string
		Failed map[string]string
	}
	if code := admin(t, e, "POST", "/v1/replay", map[string]any{}, &resp); code != http.StatusBadRequest || !strings.HasPrefix(resp.Error, "nothing to replay") {
		t.Errorf("empty request: %d %q", code, resp.Error)
	}
	resp.Error = ""
	if code := admin(t, e, "POST", "/v1/replay", map[string]any{"ids": []string{"p.out.1"}, "filter": map[string]any{"state": "dead"}}, &resp); code != http.StatusBadRequest || !strings.Contains(resp.Error, "not both") {
		t.Errorf("ids and filter: %d %q", code, resp.Error)
	}
	ids := map[string]string{
		"nosuch.out.99": `no pipeline "nosuch" (pipelines: p)`,
		"p.nosuch.1":    `pipeline "p" has no sink "nosuch" (sinks: out)`,
		"p.out.99":      "no event 99 was ever stored",
		"p.out":         "a delivery id looks like PIPELINE.SINK.SEQ",
	}
	for id, want := range ids {
		resp.Failed = nil
		if code := admin(t, e, "POST", "/v1/replay", map[string]any{"ids": []string{id}}, &resp); code != http.StatusNotFound || !strings.Contains(resp.Failed[id], want) {
			t.Errorf("replay %s: %d %q, want %q", id, code, resp.Failed[id], want)
		}
	}
}
