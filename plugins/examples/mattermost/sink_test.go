package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/sdktest"
)

func msg(body, ct string) sdk.Message {
	return sdk.Message{Event: &sdk.Event{ID: "e1"}, Body: []byte(body), ContentType: ct}
}

func TestConformance(t *testing.T) {
	sdktest.Conformance(t, sdktest.Case{
		Definition: Definition(),
		Config:     map[string]any{"webhook_url": "https://mm.example.test/hooks/abc", "channel": "town-square", "username": "hookferry"},
		BadConfig:  map[string]any{"webhook_url": "not a url"},
		Messages: []sdk.Message{
			msg(`{"text":"hello"}`, sdk.ContentTypeJSON),
			msg("plain text", sdk.ContentTypeText),
			msg(`{"nothing":1}`, sdk.ContentTypeJSON),
		},
		Responses: []*sdk.Response{{StatusCode: 200, Body: []byte("ok")}, {StatusCode: 400, Body: []byte(`{"message":"bad"}`)}, {StatusCode: 503}},
	})
}

// fakeMattermost answers the channel lookup of the REST API.
type fakeMattermost struct {
	*httptest.Server
	mu      sync.Mutex
	lookups int
}

func newFakeMattermost(t *testing.T) *fakeMattermost {
	f := &fakeMattermost{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer bot-token" {
			http.Error(w, `{"message":"invalid token"}`, http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		f.lookups++
		f.mu.Unlock()
		switch r.URL.Path {
		case "/api/v4/teams/name/eng/channels/name/ops":
			_, _ = w.Write([]byte(`{"id":"ch123","name":"ops"}`))
		default:
			http.Error(w, `{"message":"not found"}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func apiValues(server, channel string) map[string]any {
	return map[string]any{"channel": channel, "username": "bot", "api": map[string]any{"server_url": server, "token": "bot-token", "team": "eng"}}
}

// TestConformanceThroughHostServices: in API mode the sink looks the
// channel up with the host's HTTP client; through the wire that client
// calls back into the host, and the result must equal the in-process one.
func TestConformanceThroughHostServices(t *testing.T) {
	mm := newFakeMattermost(t)
	sdktest.Conformance(t, sdktest.Case{
		Definition: Definition(),
		Config:     apiValues(mm.URL, "ops"),
		BadConfig:  map[string]any{"api": map[string]any{"server_url": "nope", "token": "t", "team": "eng"}},
		HTTP:       mm.Client(),
		Messages:   []sdk.Message{msg(`{"text":"hello","attachments":[{"text":"a"}]}`, sdk.ContentTypeJSON), msg("plain", sdk.ContentTypeText)},
		Responses:  []*sdk.Response{{StatusCode: 201}, {StatusCode: 403, Body: []byte(`{"message":"no"}`)}},
	})
	if mm.lookups != 2 {
		t.Fatalf("%d channel lookups, want 2 (one per instance: in-process and through the wire)", mm.lookups)
	}
}

func TestRenderShape(t *testing.T) {
	s, err := newSink(context.Background(), sdk.Config{Values: []byte(`{"webhook_url":"https://mm.example.test/hooks/abc","channel":"dev","username":"bot","icon_url":"https://x.test/i.png"}`)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Render(context.Background(), sdk.Message{Body: []byte(`{"text":"hi","channel":"other"}`), ContentType: sdk.ContentTypeJSON})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	_ = json.Unmarshal(out.Body, &got)
	if got["text"] != "hi" || got["channel"] != "other" || got["username"] != "bot" || got["icon_url"] != "https://x.test/i.png" || out.URL != "https://mm.example.test/hooks/abc" {
		t.Fatalf("post %v to %s", got, out.URL)
	}
	_, err = newSink(context.Background(), sdk.Config{Values: []byte(`{"webhook_url":"nope"}`)})
	var ds sdk.Diagnostics
	if !errors.As(err, &ds) || ds[0].Attribute != "webhook_url" {
		t.Fatalf("err = %v", err)
	}
}

func TestAPIRender(t *testing.T) {
	mm := newFakeMattermost(t)
	b, _ := json.Marshal(apiValues(mm.URL, "ops"))
	s, err := newSink(context.Background(), sdk.Config{Values: b, HTTP: mm.Client()})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		out, err := s.Render(context.Background(), msg(`{"text":"hi"}`, sdk.ContentTypeJSON))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		_ = json.Unmarshal(out.Body, &got)
		if out.URL != mm.URL+"/api/v4/posts" || got["channel_id"] != "ch123" || got["message"] != "hi" || out.Header.Get("authorization") != "Bearer bot-token" {
			t.Fatalf("post %v to %s", got, out.URL)
		}
	}
	if mm.lookups != 1 {
		t.Fatalf("%d lookups for two messages, want 1 (cached)", mm.lookups)
	}

	// An unknown channel cannot be fixed by retrying.
	b, _ = json.Marshal(apiValues(mm.URL, "nope"))
	s, _ = newSink(context.Background(), sdk.Config{Values: b, HTTP: mm.Client()})
	if _, err := s.Render(context.Background(), msg(`{"text":"hi"}`, sdk.ContentTypeJSON)); !sdk.IsPermanent(err) {
		t.Fatalf("unknown channel: err = %v, want permanent", err)
	}

	// Without a host, no request leaves around the egress policy.
	b, _ = json.Marshal(apiValues(mm.URL, "ops"))
	s, _ = newSink(context.Background(), sdk.Config{Values: b})
	if _, err := s.Render(context.Background(), msg(`{"text":"hi"}`, sdk.ContentTypeJSON)); !errors.Is(err, sdk.ErrNoHost) {
		t.Fatalf("without a host: err = %v", err)
	}
}
