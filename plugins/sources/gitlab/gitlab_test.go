package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/hookferry/hookferry/sdk"
)

func newSource(t *testing.T, secrets ...string) *Source {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"secrets": secrets})
	s, err := New(context.Background(), sdk.Config{Values: b})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenAndRotation(t *testing.T) {
	s := newSource(t, "old-token", "new-token")
	for tok, ok := range map[string]bool{"old-token": true, "new-token": true, "new-toke": false, "new-tokeN": false, "": false} {
		_, err := s.Receive(context.Background(), &sdk.Request{Header: sdk.Header{"x-gitlab-token": {tok}}, Body: []byte(`{"object_kind":"push"}`)})
		var rej *sdk.RejectError
		if ok && err != nil || !ok && (!errors.As(err, &rej) || rej.Status != 401) {
			t.Errorf("token %q: err = %v", tok, err)
		}
	}
}

func TestTypesAndIDs(t *testing.T) {
	tests := []struct {
		header, body, typ string
	}{
		{"Push Hook", `{"object_kind":"push"}`, "push"},
		{"Merge Request Hook", `{"object_kind":"merge_request","object_attributes":{"action":"open"}}`, "merge_request.open"},
		{"System Hook", `{"object_kind":null,"event_name":"user_add_to_team"}`, "user_add_to_team"},
		{"Tag Push Hook", `{}`, "tag_push"},
	}
	s := newSource(t, "t")
	for _, tt := range tests {
		rec, err := s.Receive(context.Background(), &sdk.Request{Header: sdk.Header{
			"x-gitlab-token": {"t"}, "x-gitlab-event": {tt.header}, "x-gitlab-event-uuid": {"uuid-1"}, "idempotency-key": {"idem-1"},
		}, Body: []byte(tt.body)})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Event.Type != tt.typ || rec.Event.ID != "idem-1" || rec.Event.Header.Get("x-gitlab-token") != "" {
			t.Errorf("%s: event %+v", tt.header, rec.Event)
		}
	}
	rec, _ := s.Receive(context.Background(), &sdk.Request{Header: sdk.Header{"x-gitlab-token": {"t"}, "x-gitlab-event-uuid": {"uuid-1"}}, Body: []byte(`{}`)})
	if rec.Event.ID != "uuid-1" {
		t.Errorf("id %q, want the event UUID without Idempotency-Key", rec.Event.ID)
	}
}
