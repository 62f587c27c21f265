package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// storeWithRecords opens a store (cfg with its own directory) with
// pipeline p's sinks a and b and n records, one a second from t0 in
// turn on a and b, every tenth dead and the others delivered.
func storeWithRecords(t *testing.T, cfg JetStreamConfig, n int) (q *JetStream, t0 time.Time) {
	t.Helper()
	ctx := context.Background()
	cfg.Dir, cfg.AckWait = t.TempDir(), time.Second
	q, err := OpenJetStream(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close(ctx) })
	if err := q.Declare(ctx, "p", []Consumer{{Name: "a"}, {Name: "b"}}); err != nil {
		t.Fatal(err)
	}
	t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		state := StateSucceeded
		if i%10 == 0 {
			state = StateDead
		}
		if err := q.History().Put(ctx, record(i, state, t0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	return q, t0
}

func record(i int, state string, at time.Time) *Record {
	return &Record{ID: fmt.Sprintf("p.%s.%d", []string{"a", "b"}[i%2], i+1), Pipeline: "p", Sink: []string{"a", "b"}[i%2],
		EventID: fmt.Sprintf("evt_%05d", i), EventType: []string{"push", "issues.opened"}[i%2], Seq: uint64(i + 1),
		State: state, Created: at, Updated: at, AttemptCount: 1, Attempts: []Attempt{{At: at, Status: 500, Outcome: "retry", Reason: "boom"}}}
}

// TestHistorySearchPagesAndFilters: the JetStream history answers list
// queries from its index: newest first, filtered by state, sink, type,
// time and id text, paginated with a total; a record written by another
// instance sharing the store (a direct bucket write here) is found too,
// and an update replaces the old summary.
func TestHistorySearchPagesAndFilters(t *testing.T) {
	ctx := context.Background()
	q, t0 := storeWithRecords(t, JetStreamConfig{}, 300)
	h := q.History().(Searcher)
	page, err := h.Search(ctx, Query{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 300 || len(page.Items) != 20 || page.Items[0].EventID != "evt_00299" || page.Items[19].EventID != "evt_00280" {
		t.Fatalf("first page: total %d, %d items, first %s", page.Total, len(page.Items), page.Items[0].EventID)
	}
	if page.Items[0].LastReason != "boom" || page.Items[0].LastStatus != 500 {
		t.Fatalf("summary lost the last attempt: %+v", page.Items[0])
	}
	page, _ = h.Search(ctx, Query{State: StateDead, Sink: "a", Limit: 5, Offset: 5})
	if page.Total != 30 || len(page.Items) != 5 || page.Items[0].EventID != "evt_00240" {
		t.Fatalf("dead on sink a, second page: total %d, first %v", page.Total, page.Items)
	}
	page, _ = h.Search(ctx, Query{EventType: "issues.opened", Since: t0.Add(100 * time.Second), Until: t0.Add(110 * time.Second)})
	if page.Total != 5 {
		t.Fatalf("type and time window: total %d", page.Total)
	}
	page, _ = h.Search(ctx, Query{Text: "evt_0012"})
	if page.Total != 10 {
		t.Fatalf("text: total %d", page.Total)
	}

	// Another writer, then an update.
	other := record(1000, StateRetrying, t0.Add(time.Hour))
	b, _ := json.Marshal(other)
	if _, err := q.kv.Put(ctx, other.ID, b); err != nil {
		t.Fatal(err)
	}
	upd := record(299, StateDead, t0.Add(2*time.Hour))
	if err := q.History().Put(ctx, upd); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		page, _ = h.Search(ctx, Query{Limit: 2})
		if page.Total == 301 && page.Items[0].EventID == "evt_00299" && page.Items[0].State == StateDead && page.Items[1].EventID == "evt_01000" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index did not follow the store: total %d, items %+v", page.Total, page.Items)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkHistoryPage: one console page (50 newest dead deliveries of a
// sink) from the index over 100,000 records, against reading every record
// of the store as List does (measured on 2,000 records: it grows
// linearly).
func BenchmarkHistoryPage(b *testing.B) {
	b.Run("index_100k", func(b *testing.B) {
		x := newIndex()
		t0 := time.Now()
		for i := range 100_000 {
			state := StateSucceeded
			if i%10 == 0 {
				state = StateDead
			}
			x.put(Summarise(record(i, state, t0.Add(time.Duration(i)*time.Millisecond))))
		}
		x.search(Query{})
		b.ReportAllocs()
		for b.Loop() {
			if p := x.search(Query{State: StateDead, Sink: "a", Limit: 50}); len(p.Items) != 50 {
				b.Fatal(len(p.Items))
			}
		}
	})
	b.Run("store_scan_2k", func(b *testing.B) {
		ctx := context.Background()
		q, err := OpenJetStream(ctx, JetStreamConfig{Dir: b.TempDir(), AckWait: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close(ctx)
		if err := q.Declare(ctx, "p", []Consumer{{Name: "a"}, {Name: "b"}}); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		for i := range 2000 {
			state := StateSucceeded
			if i%10 == 0 {
				state = StateDead
			}
			if err := q.History().Put(ctx, record(i, state, t0.Add(time.Duration(i)*time.Millisecond))); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			if rs, err := q.History().List(ctx, Filter{State: StateDead, Sink: "a", Limit: 50}); err != nil || len(rs) != 50 {
				b.Fatal(len(rs), err)
			}
		}
	})
}

// TestIndexKeepsTheNewestDeliveredAndEveryOther: with a cap on delivered
// summaries the index lets the least recently updated delivered ones go,
// never one in another state; lists that could show delivered records say
// they are capped; a record that leaves the delivered state (a replay)
// stops counting, one that reaches it counts; and the heap behind the
// cap stays proportional to what is kept while records come and go.
func TestIndexKeepsTheNewestDeliveredAndEveryOther(t *testing.T) {
	x := newIndex()
	x.maxDelivered = 100
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }
	for i := range 1000 {
		state := StateSucceeded
		if i%10 == 0 {
			state = StateDead
		}
		x.put(Summarise(record(i, state, at(i))))
	}
	p := x.search(Query{State: StateSucceeded, Limit: 1000})
	if p.Total != 100 || !p.Capped || p.Items[0].EventID != "evt_00999" {
		t.Fatalf("delivered: total %d capped %v first %s; want the newest 100, capped", p.Total, p.Capped, p.Items[0].EventID)
	}
	if oldest := p.Items[99].EventID; oldest != "evt_00889" { // 900 delivered: every tenth is dead
		t.Fatalf("oldest delivered kept is %s, want evt_00889", oldest)
	}
	p = x.search(Query{State: StateDead, Limit: 1000})
	if p.Total != 100 || p.Capped || p.Items[99].EventID != "evt_00000" {
		t.Fatalf("dead: total %d capped %v; every dead record must stay", p.Total, p.Capped)
	}
	if p = x.search(Query{}); p.Total != 200 || !p.Capped {
		t.Fatalf("all: total %d capped %v", p.Total, p.Capped)
	}

	// A delivered record replayed (retrying now) no longer counts, so
	// one more delivered record fits without letting another go.
	x.put(Summarise(record(999, StateRetrying, at(2000))))
	x.put(Summarise(record(1001, StateSucceeded, at(2001))))
	if p = x.search(Query{State: StateSucceeded, Limit: 1000}); p.Total != 100 || p.Items[99].EventID != "evt_00889" {
		t.Fatalf("after a replay: delivered total %d, oldest %s", p.Total, p.Items[99].EventID)
	}
	// It is delivered again: the oldest delivered one goes.
	x.put(Summarise(record(999, StateSucceeded, at(2002))))
	if p = x.search(Query{State: StateSucceeded, Limit: 1000}); p.Total != 100 || p.Items[0].EventID != "evt_00999" || p.Items[99].EventID != "evt_00891" {
		t.Fatalf("delivered again: total %d, newest %s, oldest %s", p.Total, p.Items[0].EventID, p.Items[99].EventID)
	}
	// A retrying record that becomes delivered counts (the oldest
	// delivered one goes); a removed one frees its place.
	x.put(Summarise(record(2000, StateRetrying, at(3000))))
	x.put(Summarise(record(2000, StateSucceeded, at(3001))))
	x.remove(Summarise(record(998, StateSucceeded, at(998))).ID)
	x.remove(Summarise(record(997, StateSucceeded, at(997))).ID)
	if p = x.search(Query{State: StateSucceeded, Limit: 1000}); p.Total != 98 || p.Items[0].EventID != "evt_02000" || p.Items[97].EventID != "evt_00892" {
		t.Fatalf("after removals: total %d newest %s", p.Total, p.Items[0].EventID)
	}
	if x.nDelivered != 98 {
		t.Fatalf("count %d, listed 98", x.nDelivered)
	}

	// Churn: many records delivered then removed (expired) keep the
	// queue bounded.
	for i := range 50_000 {
		s := Summarise(record(10_000+i, StateSucceeded, at(10_000+i)))
		x.put(s)
		x.remove(s.ID)
	}
	if n := len(x.delivered); n > 2*x.nDelivered+1024 || cap(x.delivered) > 8*(2*x.nDelivered+1024) {
		t.Fatalf("heap of delivered holds %d entries (cap %d) for %d kept", n, cap(x.delivered), x.nDelivered)
	}
	if p = x.search(Query{State: StateSucceeded, Limit: 1000}); p.Total != 98 {
		t.Fatalf("after churn: total %d", p.Total)
	}
}

// TestIndexCapGoesByUpdateNotArrival: the newest delivered summaries are
// kept whatever order they arrive in (after a restart the bucket's watch
// and the delivered log's read finish at different times), and one
// delivered again (a replay that succeeded) counts as new.
func TestIndexCapGoesByUpdateNotArrival(t *testing.T) {
	x := newIndex()
	x.maxDelivered = 3
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }
	x.put(Summarise(record(10, StateSucceeded, at(10))))
	for i := 1; i <= 4; i++ {
		x.put(Summarise(record(i, StateSucceeded, at(i))))
	}
	ids := func() []string {
		var out []string
		for _, s := range x.search(Query{Limit: 10}).Items {
			out = append(out, s.EventID)
		}
		return out
	}
	if got := fmt.Sprint(ids()); got != "[evt_00010 evt_00004 evt_00003]" {
		t.Fatalf("kept %s; want the three most recently updated", got)
	}
	// evt_00003 is replayed and delivered again: now the newest.
	x.put(Summarise(record(3, StateSucceeded, at(20))))
	x.put(Summarise(record(5, StateSucceeded, at(5))))
	if got := fmt.Sprint(ids()); got != "[evt_00003 evt_00010 evt_00005]" {
		t.Fatalf("kept %s after a redelivery; want evt_00003 (updated last) kept", got)
	}
}

// TestIndexWithoutCapKeepsEverything: the memory queue's index (no cap)
// lists every record and never says capped.
func TestIndexWithoutCapKeepsEverything(t *testing.T) {
	x := newIndex()
	t0 := time.Now()
	for i := range 5000 {
		x.put(Summarise(record(i, StateSucceeded, t0.Add(time.Duration(i)*time.Millisecond))))
	}
	if p := x.search(Query{}); p.Total != 5000 || p.Capped {
		t.Fatalf("total %d capped %v", p.Total, p.Capped)
	}
}

// TestJetStreamIndexHonoursDeliveredListed: the store's index (fed by
// its bucket watch) keeps only DeliveredListed delivered records and
// every dead one; the records it let go are still in the store.
func TestJetStreamIndexHonoursDeliveredListed(t *testing.T) {
	ctx := context.Background()
	q, t0 := storeWithRecords(t, JetStreamConfig{DeliveredListed: 50}, 200)
	h := q.History().(Searcher)
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := h.Search(ctx, Query{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		dead, _ := h.Search(ctx, Query{State: StateDead, Limit: 1000})
		if p.Total == 70 && p.Capped && dead.Total == 20 && !dead.Capped && p.Items[0].EventID == "evt_00199" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("index: total %d capped %v, dead %d; want 50 delivered + 20 dead", p.Total, p.Capped, dead.Total)
		}
		time.Sleep(10 * time.Millisecond)
	}
	old := Summarise(record(1, StateSucceeded, t0)).ID
	id, err := ParseDeliveryID(old)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := q.History().Get(ctx, id); err != nil || r.EventID != "evt_00001" {
		t.Fatalf("a delivered record the index let go is no longer found by id: %v %v", r, err)
	}
}

// BenchmarkIndexMemory: the live heap of an index after 1,000,000
// delivered records (a bit under three hours at 100 events/s), with the
// default cap on delivered summaries and without one, and the time of
// the first list after them (which sorts what is kept).
func BenchmarkIndexMemory(b *testing.B) {
	for _, c := range []struct {
		name string
		max  int
	}{{"capped_100k", DefaultDeliveredListed}, {"uncapped", 0}} {
		b.Run(c.name, func(b *testing.B) {
			t0 := time.Now()
			for b.Loop() {
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				x := newIndex()
				x.maxDelivered = c.max
				for i := range 1_000_000 {
					x.put(Summarise(record(i, StateSucceeded, t0.Add(time.Duration(i)*time.Millisecond))))
				}
				start := time.Now()
				p := x.search(Query{Limit: 50})
				b.ReportMetric(float64(time.Since(start).Microseconds())/1e3, "ms/first-list")
				runtime.GC()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-live")
				runtime.KeepAlive(x)
				if len(p.Items) != 50 {
					b.Fatal(len(p.Items))
				}
			}
		})
	}
}

// TestCappedClearsOnceWhatWasLetGoHasExpired: a list says it is capped
// only while the store may still hold a delivered record the index let
// go.
func TestCappedClearsOnceWhatWasLetGoHasExpired(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	x := newIndex()
	x.now = func() time.Time { return now }
	x.maxDelivered, x.keep, x.keepDelivered = 1, 7*24*time.Hour, time.Hour
	for i := range 2 {
		s := Summarise(record(i, StateSucceeded, now.Add(time.Duration(i)*time.Second)))
		s.stored = now
		x.put(s)
	}
	if p := x.search(Query{}); !p.Capped || p.Total != 1 {
		t.Fatalf("right after: total %d capped %v; want 1, capped", p.Total, p.Capped)
	}
	now = now.Add(59 * time.Minute)
	if p := x.search(Query{}); !p.Capped {
		t.Fatal("not capped while the record let go may still be stored")
	}
	now = now.Add(2 * time.Minute)
	if p := x.search(Query{}); p.Capped {
		t.Fatal("still capped after what was let go expired from the store")
	}
}
