package main

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/hookferry/hookferry/sdk"
	"github.com/hookferry/hookferry/sdk/sdktest"
)

func TestConformance(t *testing.T) {
	msg := func(body, ct string) sdk.Message {
		return sdk.Message{Event: &sdk.Event{ID: "e1"}, Body: []byte(body), ContentType: ct}
	}
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

func TestRenderShape(t *testing.T) {
	s, err := newSink(sdk.Config{Values: []byte(`{"webhook_url":"https://mm.example.test/hooks/abc","channel":"dev","username":"bot","icon_url":"https://x.test/i.png"}`)})
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
	_, err = newSink(sdk.Config{Values: []byte(`{"webhook_url":"nope"}`)})
	var ds sdk.Diagnostics
	if !errors.As(err, &ds) || ds[0].Attribute != "webhook_url" {
		t.Fatalf("err = %v", err)
	}
}
