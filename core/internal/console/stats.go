package console

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hookferry/hookferry/core/internal/queue"
)

// Row is one sink on the overview: what the page shows and what the
// live stream sends (the page's cells are named by the JSON fields).
type Row struct {
	Key       string `json:"key"`
	Pipeline  string `json:"-"`
	Sink      string `json:"-"`
	Type      string `json:"-"`
	Received  string `json:"received"`
	Delivered string `json:"delivered"`
	Failed    string `json:"failed"`
	RecvRate  string `json:"recv_rate"`
	DelivRate string `json:"deliv_rate"`
	FailRate  string `json:"fail_rate"`
	Backlog   string `json:"backlog"`
	Oldest    string `json:"oldest"`
	Breaker   string `json:"breaker"`
	LastError string `json:"last_error"`
}

type sample struct {
	at     time.Time
	counts map[string][3]int64 // key -> received, delivered, failed
}

// stats samples the backend at most once a second, for every viewer at
// once, and keeps a minute of samples for the rates.
type stats struct {
	c       *Console
	mu      sync.Mutex
	last    time.Time
	rows    []Row
	samples []sample
}

// rateWindow is how far back rates look.
const rateWindow = time.Minute

func (s *stats) snapshot(ctx context.Context) ([]Row, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.c.now()
	if !s.last.IsZero() && now.Sub(s.last) < time.Second {
		return s.rows, nil
	}
	sinks, err := s.c.b.Sinks(ctx)
	if err != nil {
		return nil, err
	}
	cur := sample{at: now, counts: map[string][3]int64{}}
	for _, st := range sinks {
		cur.counts[st.Pipeline+"/"+st.Sink] = [3]int64{st.Received, st.Delivered, st.Failed}
	}
	// Keep the samples of the last window, plus the newest one before it.
	for len(s.samples) > 1 && now.Sub(s.samples[1].at) >= rateWindow {
		s.samples = s.samples[1:]
	}
	var base *sample
	if len(s.samples) > 0 {
		base = &s.samples[0]
	}
	s.samples = append(s.samples, cur)
	searcher, _ := s.c.b.History().(queue.Searcher)
	rows := make([]Row, 0, len(sinks))
	for _, st := range sinks {
		k := st.Pipeline + "/" + st.Sink
		r := Row{Key: k, Pipeline: st.Pipeline, Sink: st.Sink, Type: st.Type,
			Received: count(st.Received), Delivered: count(st.Delivered), Failed: count(st.Failed),
			Backlog: count(int64(st.Pending + st.InFlight)), Breaker: st.Breaker, Oldest: "–", LastError: "–",
			RecvRate: "–", DelivRate: "–", FailRate: "–"}
		if r.Breaker == "" {
			r.Breaker = "none"
		}
		if base != nil {
			if old, ok := base.counts[k]; ok && now.Sub(base.at) > 0 {
				per := time.Minute.Seconds() / now.Sub(base.at).Seconds()
				r.RecvRate = perMin(float64(st.Received-old[0]) * per)
				r.DelivRate = perMin(float64(st.Delivered-old[1]) * per)
				r.FailRate = perMin(float64(st.Failed-old[2]) * per)
			}
		}
		if searcher != nil {
			r.Oldest, r.LastError = s.fromIndex(ctx, searcher, st, now)
		}
		rows = append(rows, r)
	}
	s.rows, s.last = rows, now
	return rows, nil
}

// fromIndex finds the age of the oldest unsettled delivery (by its first
// attempt) and the newest failure's reason.
func (s *stats) fromIndex(ctx context.Context, x queue.Searcher, st SinkStatus, now time.Time) (oldest, lastErr string) {
	oldest, lastErr = "–", "–"
	var first time.Time
	for _, state := range []string{queue.StateRetrying, queue.StateDelivering} {
		q := queue.Query{Pipeline: st.Pipeline, Sink: st.Sink, State: state, Limit: 1}
		p, err := x.Search(ctx, q)
		if err != nil || p.Total == 0 {
			continue
		}
		q.Offset = p.Total - 1 // least recently updated
		if p, err = x.Search(ctx, q); err == nil && len(p.Items) == 1 {
			if c := p.Items[0].Created; first.IsZero() || c.Before(first) {
				first = c
			}
		}
	}
	if !first.IsZero() {
		oldest = age(now.Sub(first))
	}
	var newest queue.Summary
	for _, state := range []string{queue.StateDead, queue.StateRetrying} {
		p, err := x.Search(ctx, queue.Query{Pipeline: st.Pipeline, Sink: st.Sink, State: state, Limit: 1})
		if err == nil && len(p.Items) == 1 && p.Items[0].Updated.After(newest.Updated) {
			newest = p.Items[0]
		}
	}
	if newest.ID != "" {
		lastErr = fmt.Sprintf("%s ago: %s", age(now.Sub(newest.Updated)), clip(newest.LastReason, 120))
	}
	return oldest, lastErr
}

func count(n int64) string { return fmt.Sprintf("%d", n) }

func perMin(v float64) string {
	if v < 0 {
		v = 0
	}
	return fmt.Sprintf("%.1f/min", v)
}

// age is a short duration: 42s, 7m, 3h, 2d.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
