package core_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookferry/hookferry/core"
	"github.com/hookferry/hookferry/internal/corpus"
	"github.com/hookferry/hookferry/plugins/all"
)

// BenchmarkMetricsCost: accepted webhooks per second through two running
// engines (fasthttp ingress, http source, in-memory queue, a log sink
// draining it), one with metrics off and one with them on, fed in
// alternating rounds within one run so that both see the same machine.
// b.N webhooks go to each; it reports both rates and the cost in percent
// of the rate without metrics.
func BenchmarkMetricsCost(b *testing.B) {
	body := corpus.Read(b, corpus.GitHubPush)
	start := func(off bool) *core.Engine {
		dir := b.TempDir()
		_ = os.WriteFile(filepath.Join(dir, "config.hcl"), []byte(`
queue { backend = "memory" }
pipeline "bench" {
  source "http" {
    path                  = "/in"
    allow_unauthenticated = true
  }
  sink "log" "out" { concurrency = 4 }
}`), 0o644)
		e, err := core.Load(context.Background(), core.Options{
			ConfigPath:     filepath.Join(dir, "config.hcl"),
			DataDir:        filepath.Join(dir, "data"),
			Components:     all.Definitions(all.Options{Stdout: io.Discard}),
			Listen:         "127.0.0.1:0",
			DisableMetrics: off,
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = e.Shutdown(context.Background()) })
		return e
	}
	off, on := start(true), start(false)
	const rounds = 10
	var took [2]time.Duration
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for r := range rounds {
		n := b.N / rounds
		if r == rounds-1 {
			n = b.N - n*(rounds-1)
		}
		if n == 0 {
			continue
		}
		// Alternate which goes first, so neither always follows the other.
		order := []int{0, 1}
		if r%2 == 1 {
			order = []int{1, 0}
		}
		for _, i := range order {
			e := []*core.Engine{off, on}[i]
			t0 := time.Now()
			postAll(b, "http://"+e.Addr()+"/in", body, n, 32, 202)
			took[i] += time.Since(t0)
		}
	}
	b.StopTimer()
	offRate, onRate := float64(b.N)/took[0].Seconds(), float64(b.N)/took[1].Seconds()
	b.ReportMetric(offRate, "off_accepted/s")
	b.ReportMetric(onRate, "on_accepted/s")
	b.ReportMetric(100*(offRate-onRate)/offRate, "cost_%")
}
