package log

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/hookferry/hookferry/sdk"
)

func TestLogSinkWritesOneJSONLinePerMessage(t *testing.T) {
	var buf bytes.Buffer
	d := Definition(&buf)
	c, err := d.Build(context.Background(), sdk.Config{Values: []byte(`{"include_headers":true}`), Pipeline: "p", Name: "out"})
	if err != nil {
		t.Fatal(err)
	}
	s := c.(*Sink)
	ev := &sdk.Event{ID: "e1", Type: "push"}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			_ = s.Deliver(context.Background(), sdk.Message{Event: ev, Body: []byte(`{"k":[1,2]}`), ContentType: sdk.ContentTypeJSON, Header: sdk.Header{"x-a": {"1"}}})
		})
	}
	wg.Wait()
	_ = s.Deliver(context.Background(), sdk.Message{Event: ev, Body: []byte("plain\ntext"), ContentType: sdk.ContentTypeText})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 51 {
		t.Fatalf("%d lines, want 51 (interleaved writes?)", len(lines))
	}
	var l struct {
		Pipeline, Sink, Text string
		EventID              string          `json:"event_id"`
		EventType            string          `json:"event_type"`
		Body                 json.RawMessage `json:"body"`
		Headers              sdk.Header      `json:"headers"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &l); err != nil {
		t.Fatal(err)
	}
	if l.Pipeline != "p" || l.Sink != "out" || l.EventID != "e1" || l.EventType != "push" || string(l.Body) != `{"k":[1,2]}` || l.Headers.Get("x-a") != "1" {
		t.Fatalf("line %s", lines[0])
	}
	l.Text = ""
	if err := json.Unmarshal([]byte(lines[50]), &l); err != nil || l.Text != "plain\ntext" {
		t.Fatalf("text line %s", lines[50])
	}
}
