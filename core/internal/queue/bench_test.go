package queue

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookferry/hookferry/sdk"
)

// BenchmarkPublish measures storing events alone (no consumer running):
// 64 concurrent publishers, 4 KiB bodies, for each sync mode with one
// publish per event and with group commit, against the memory queue.
func BenchmarkPublish(b *testing.B) {
	body := []byte(strings.Repeat("x", 4096))
	cases := []struct {
		name                 string
		memory               bool
		always, gcom, atomic bool
	}{
		{"memory", true, false, false, false},
		{"interval_single", false, false, false, false},
		{"interval_group", false, false, true, false},
		{"always_single", false, true, false, false},
		// always_group syncs the filesystem once per group where it can
		// (Linux); always_atomic groups by JetStream atomic batches.
		{"always_group", false, true, true, false},
		{"always_atomic", false, true, true, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			var q Queue
			if c.memory {
				q = NewMemory(b.N + 1)
			} else {
				js, err := OpenJetStream(ctx, JetStreamConfig{Dir: b.TempDir(), SyncAlways: c.always, GroupCommit: c.gcom, atomicGroupCommit: c.atomic})
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
			if js, ok := q.(*JetStream); ok && js.fsync != nil && js.fsync.syncs.Load() > 0 {
				b.ReportMetric(float64(js.fsync.waited.Load())/float64(js.fsync.syncs.Load()), "events/sync")
			}
		})
	}
}

// BenchmarkDeliveredRecordMemory: the process's heap held per delivered
// record (a first-attempt success) once b.N records were written and the
// store had time to expire them, with every record kept for retention
// and with delivered_retention = 1s. The heap is the embedded server's
// too: per-key state is what grew while these records were bucket keys;
// in the delivered log they are not (keys: the bucket's, log_msgs: the
// log's messages holding them).
// go test -run '^$' -bench DeliveredRecordMemory -benchtime 100000x ./core/internal/queue
func BenchmarkDeliveredRecordMemory(b *testing.B) {
	for _, c := range []struct {
		name      string
		delivered time.Duration
	}{{"kept_for_retention", 0}, {"delivered_retention_1s", time.Second}} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			q, err := OpenJetStream(ctx, JetStreamConfig{Dir: b.TempDir(), DeliveredRetention: c.delivered, AckWait: 500 * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close(ctx)
			var before runtime.MemStats
			runtime.GC()
			runtime.GC()
			runtime.ReadMemStats(&before)
			at := time.Now()
			var wg sync.WaitGroup
			next := atomic.Int64{}
			for range 32 {
				wg.Go(func() {
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						id := DeliveryID{Pipeline: "p", Sink: "s", Seq: uint64(i)}
						r := &Record{ID: id.String(), Pipeline: "p", Sink: "s", Seq: id.Seq, State: StateSucceeded, Created: at, Updated: at,
							AttemptCount: 1, Attempts: []Attempt{{At: at, Status: 200, Outcome: "success"}}}
						if err := q.History().Put(ctx, r); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			// Give the store the expiry (1s) and its block caches their 10s
			// (they hold what was written, whatever expires), then measure.
			time.Sleep(12 * time.Second)
			st, err := q.js.Stream(ctx, "KV_"+BucketDeliveries)
			if err != nil {
				b.Fatal(err)
			}
			var after runtime.MemStats
			// Twice: buffers put back in a sync.Pool outlive one cycle.
			runtime.GC()
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/float64(b.N), "heapB/record")
			b.ReportMetric(float64(st.CachedInfo().State.NumSubjects), "keys")
			if ls, err := q.js.Stream(ctx, StreamDelivered); err == nil {
				b.ReportMetric(float64(ls.CachedInfo().State.Msgs), "log_msgs")
			}
		})
	}
}
