package pipeline

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/hookferry/hookferry/sdk"
)

// TestEventsStarPatternsMatchSlashTypes: Shopify's topics contain '/';
// `*` matches any run of characters, as docs/sources.md says, so
// "orders/create" is stored under "*", "orders*" and "orders/*" (path.Match
// answered 200 ignored for the first two and the event was lost).
func TestEventsStarPatternsMatchSlashTypes(t *testing.T) {
	for _, pats := range [][]string{{"*"}, {"orders*"}, {"orders/*"}, {"*/create"}, {"products/*", "orders/?reate"}} {
		src := &scripted{rec: sdk.Receipt{Event: &sdk.Event{ID: "e", Type: "orders/create"}}}
		p := newPipeline(t, src, 10)
		p.Events = pats
		if r := p.Serve(context.Background(), &sdk.Request{}); r.StatusCode != 202 {
			t.Errorf("events %q: orders/create got %d %s, want 202", pats, r.StatusCode, r.Body)
		}
		if n := p.Filtered.Load(); n != 0 {
			t.Errorf("events %q: %d counted as filtered", pats, n)
		}
	}
}

// TestFilteredEventsAreCountedAndDebugLogged: an event the patterns do not
// take is answered 200 ignored, counted, and logged at debug level with its
// type and the patterns, so a too-narrow list can be found.
func TestFilteredEventsAreCountedAndDebugLogged(t *testing.T) {
	var logs bytes.Buffer
	src := &scripted{}
	p := newPipeline(t, src, 10)
	p.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p.Events = []string{"orders/*"}
	for i, typ := range []string{"products/update", "orders/paid", "customers/create"} {
		src.rec = sdk.Receipt{Event: &sdk.Event{ID: string(rune('a' + i)), Type: typ}}
		p.Serve(context.Background(), &sdk.Request{})
	}
	if n := p.Filtered.Load(); n != 2 {
		t.Fatalf("filtered = %d, want 2", n)
	}
	out := logs.String()
	for _, want := range []string{"event type filtered out", "type=products/update", "type=customers/create", "patterns=[orders/*]"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "event type filtered out"); n != 2 {
		t.Errorf("%d filtered lines, want 2 (orders/paid matches):\n%s", n, out)
	}
}
