package core_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hookferry/hookferry/core/internal/pluginhost"
	"github.com/hookferry/hookferry/internal/corpus"
	"github.com/hookferry/hookferry/plugins/sinks/http"
	"github.com/hookferry/hookferry/sdk"
)

// BenchmarkSinkRender: the per-event cost of rendering through a sink
// built in (in-process) and the very same sink served by a plugin process
// (gRPC over a local socket, AutoMTLS), on the GitHub push payload.
// plugin_process renders a message without an event body;
// plugin_process_delivery the message the delivery worker builds when
// there is no transform (sdk.MessageFromEvent: the body is the event's);
// plugin_process_parallel the latter with 64 renders in flight.
func BenchmarkSinkRender(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "httpsinkplugin")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/httpsinkplugin").CombinedOutput(); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	values, _ := json.Marshal(map[string]any{"url": "https://example.test/hook", "method": "POST", "timeout": "10s"})
	cfg := sdk.Config{Values: values, Pipeline: "bench", Name: "out"}
	body := corpus.Read(b, corpus.GitHubPush)
	msg := sdk.Message{Event: &sdk.Event{ID: "e", Type: "push"}, Body: body, ContentType: sdk.ContentTypeJSON, DeliveryID: "bench.out.1"}

	delivery := sdk.MessageFromEvent(&sdk.Event{ID: "e", Type: "push", Body: body, ContentType: sdk.ContentTypeJSON})
	delivery.DeliveryID = "bench.out.1"

	run := func(b *testing.B, def sdk.Definition, msg sdk.Message) {
		c, err := def.Build(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close(context.Background())
		sink := c.(sdk.Sink)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sink.Render(context.Background(), msg); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("builtin", func(b *testing.B) { run(b, http.Definition(), msg) })
	// 64 renders in flight at once, as from a sink's workers.
	b.Run("plugin_process_parallel", func(b *testing.B) {
		p, err := pluginhost.Start(context.Background(), pluginhost.Spec{Name: "httpsink", Path: bin}, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		c, err := p.Definitions()[0].Build(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close(context.Background())
		sink := c.(sdk.Sink)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := sink.Render(context.Background(), delivery); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	for _, c := range []struct {
		name string
		msg  sdk.Message
	}{{"plugin_process", msg}, {"plugin_process_delivery", delivery}} {
		b.Run(c.name, func(b *testing.B) {
			p, err := pluginhost.Start(context.Background(), pluginhost.Spec{Name: "httpsink", Path: bin}, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			run(b, p.Definitions()[0], c.msg)
		})
	}
}
