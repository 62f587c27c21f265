package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

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
	q, err := OpenJetStream(ctx, JetStreamConfig{Dir: t.TempDir(), AckWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	if err := q.Declare(ctx, "p", []Consumer{{Name: "a"}, {Name: "b"}}); err != nil {
		t.Fatal(err)
	}
	h := q.History().(Searcher)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 300 {
		state := StateSucceeded
		if i%10 == 0 {
			state = StateDead
		}
		if err := q.History().Put(ctx, record(i, state, t0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
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
