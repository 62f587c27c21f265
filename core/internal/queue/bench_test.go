package queue

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hookferry/hookferry/sdk"
)

// BenchmarkPublish measures storing events alone (no consumer running):
// 64 concurrent publishers, 4 KiB bodies, for each sync mode with one
// publish per event and with group commit, against the memory queue.
func BenchmarkPublish(b *testing.B) {
	body := []byte(strings.Repeat("x", 4096))
	cases := []struct {
		name         string
		memory       bool
		always, gcom bool
	}{
		{"memory", true, false, false},
		{"interval_single", false, false, false},
		{"interval_group", false, false, true},
		{"always_single", false, true, false},
		{"always_group", false, true, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			var q Queue
			if c.memory {
				q = NewMemory(b.N + 1)
			} else {
				js, err := OpenJetStream(ctx, JetStreamConfig{Dir: b.TempDir(), SyncAlways: c.always, GroupCommit: c.gcom})
				if err != nil {
					b.Fatal(err)
				}
				q = js
			}
			defer q.Close(ctx)
			_ = q.Declare(ctx, "p", []Consumer{{Name: "a"}})
			var seq atomic.Int64
			b.SetParallelism(32) // 64 publishers on 2 CPUs
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := fmt.Sprint(seq.Add(1))
					if _, err := q.Publish(ctx, &sdk.Event{ID: id, Pipeline: "p", Body: body}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			if js, ok := q.(*JetStream); ok && js.batch != nil && js.batch.batches.Load() > 0 {
				b.ReportMetric(float64(js.batch.batched.Load())/float64(js.batch.batches.Load()), "events/batch")
			}
		})
	}
}
