package discord

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hookferry/hookferry/sdk"
)

func newSink(t *testing.T) *Sink {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"webhook_url": "https://discord.com/api/webhooks/1/tok", "timeout": "10s"})
	s, err := New(context.Background(), sdk.Config{Values: b})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPollOnlyMessageIsSent: Discord accepts a message made of any one of
// content, embeds, components, files or a poll; a poll-only message was
// refused before sending. A message with none of them is still refused.
func TestPollOnlyMessageIsSent(t *testing.T) {
	s := newSink(t)
	for name, body := range map[string]string{
		"poll":        `{"poll":{"question":{"text":"Ship it?"},"answers":[{"poll_media":{"text":"yes"}},{"poll_media":{"text":"no"}}],"duration":24}}`,
		"components":  `{"components":[{"type":1,"components":[{"type":2,"style":5,"label":"Open","url":"https://example.com"}]}]}`,
		"attachments": `{"attachments":[{"id":0,"filename":"report.txt"}]}`,
		"content":     `{"content":"hi"}`,
		"embeds":      `{"embeds":[{"title":"t"}]}`,
	} {
		out, err := s.Render(context.Background(), sdk.Message{Body: []byte(body), ContentType: sdk.ContentTypeJSON})
		if err != nil {
			t.Errorf("%s-only message refused: %v", name, err)
			continue
		}
		if string(out.Body) == "" || out.Method != "POST" {
			t.Errorf("%s: %+v", name, out)
		}
	}
	for name, body := range map[string]string{
		"empty object":     `{}`,
		"only a username":  `{"username":"bot"}`,
		"empty poll":       `{"poll":{}}`,
		"empty components": `{"components":[]}`,
		"empty content":    `{"content":""}`,
	} {
		_, err := s.Render(context.Background(), sdk.Message{Body: []byte(body), ContentType: sdk.ContentTypeJSON})
		if err == nil || !sdk.IsPermanent(err) {
			t.Errorf("%s: err = %v, want a permanent refusal", name, err)
		}
	}
}
