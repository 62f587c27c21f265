package queue

import (
	"cmp"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Summary is what lists show of a delivery record: enough to filter,
// sort and link, without the attempts.
type Summary struct {
	ID           string    `json:"id"`
	Pipeline     string    `json:"pipeline"`
	Sink         string    `json:"sink"`
	EventID      string    `json:"event_id"`
	EventType    string    `json:"event_type,omitempty"`
	Seq          uint64    `json:"seq"`
	State        string    `json:"state"`
	AttemptCount int       `json:"attempt_count"`
	LastStatus   int       `json:"last_status,omitempty"`
	LastReason   string    `json:"last_reason,omitempty"`
	NextAttempt  time.Time `json:"next_attempt,omitzero"`
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`
	// stored is when the store took the record (its expiry counts from
	// it); zero for an index the store does not expire.
	stored time.Time
}

// Summarise makes a record's list entry.
func Summarise(r *Record) Summary {
	s := Summary{ID: r.ID, Pipeline: r.Pipeline, Sink: r.Sink, EventID: r.EventID, EventType: r.EventType, Seq: r.Seq,
		State: r.State, AttemptCount: r.AttemptCount, NextAttempt: r.NextAttempt, Created: r.Created, Updated: r.Updated}
	if n := len(r.Attempts); n > 0 {
		s.LastStatus, s.LastReason = r.Attempts[n-1].Status, r.Attempts[n-1].Reason
	}
	return s
}

// Query selects a page of summaries, newest update first.
type Query struct {
	State, Pipeline, Sink, EventType string
	// Text matches a substring of the event id or delivery id.
	Text string
	// Since and Until bound the last update; zero means unbounded.
	Since, Until time.Time
	Offset       int
	// Limit is the page size; 0 means 50, at most 1000.
	Limit int
}

func (q Query) match(s *Summary) bool {
	return (q.State == "" || s.State == q.State) &&
		(q.Pipeline == "" || s.Pipeline == q.Pipeline) &&
		(q.Sink == "" || s.Sink == q.Sink) &&
		(q.EventType == "" || s.EventType == q.EventType) &&
		(q.Since.IsZero() || !s.Updated.Before(q.Since)) &&
		(q.Until.IsZero() || s.Updated.Before(q.Until)) &&
		(q.Text == "" || strings.Contains(s.EventID, q.Text) || strings.Contains(s.ID, q.Text))
}

// Page is one page of a query and the number of matches in all.
type Page struct {
	Items []Summary `json:"items"`
	Total int       `json:"total"`
	// Capped is set when the query could match delivered records and the
	// index has let older delivered ones go (it keeps the newest
	// DeliveredListed; every other state is kept whole): Total counts
	// what is listed, and older delivered records are found by id.
	Capped bool `json:"capped,omitempty"`
}

// DefaultDeliveredListed is how many records of delivered events an
// index keeps for lists unless told otherwise: about 35 MB. The others
// (retrying, dead, in flight) are all kept.
const DefaultDeliveredListed = 100_000

// Searcher answers list queries from an index instead of reading every
// record in the store.
type Searcher interface {
	Search(ctx context.Context, q Query) (Page, error)
}

// index holds record summaries in memory, newest update first. It is fed
// by what this process writes and, for the JetStream store, by a watch on
// the history bucket, so records written by other instances sharing the
// store are listed too. 100,000 summaries take about 35 MB (BenchmarkIndexMemory). Every record
// not (yet) delivered is kept; of the delivered ones only the newest
// maxDelivered, so that memory and the cost of a list stay bounded
// whatever the rate (at 100 events/s a day of delivered records would
// be 8.6 million, about 3 GB).
type index struct {
	mu     sync.RWMutex
	byID   map[string]*Summary
	sorted []*Summary // by Updated descending, then ID; rebuilt when dirty
	dirty  bool
	// delivered is a min-heap of the delivered summaries by Updated,
	// so the cap lets the least recently updated go whatever order they
	// arrived in (the bucket's watch and the log's read at different
	// speeds). An entry is stale once its summary left the index,
	// changed state or was updated again (a newer entry was pushed):
	// stale ones are skipped when they come up, and dropped when they
	// outnumber the live ones. nDelivered counts the delivered
	// summaries in byID; dropped says some were let go, and
	// droppedStored is the latest time the store took one of those
	// (when the store expires them, the list is whole again once that
	// one has expired).
	delivered     deliveredHeap
	nDelivered    int
	maxDelivered  int // 0: no limit
	dropped       bool
	droppedStored time.Time
	// keep and keepDelivered, when set, drop summaries the store no
	// longer keeps (its expiry sends no change to a watch): any stored
	// longer ago than keep, a delivered one longer ago than keepDelivered.
	keep, keepDelivered time.Duration
	pruned              time.Time
	now                 func() time.Time
}

func newIndex() *index { return &index{byID: map[string]*Summary{}, now: time.Now} }

// heapEntry is a delivered summary as of one update.
type heapEntry struct {
	s       *Summary
	updated time.Time
}

// live says the entry is still the summary's current delivered state.
func (e heapEntry) live(byID map[string]*Summary) bool {
	return byID[e.s.ID] == e.s && e.s.State == StateSucceeded && e.s.Updated.Equal(e.updated)
}

type deliveredHeap []heapEntry

func (h deliveredHeap) Len() int { return len(h) }
func (h deliveredHeap) Less(i, j int) bool {
	if c := h[i].updated.Compare(h[j].updated); c != 0 {
		return c < 0
	}
	return h[i].s.ID < h[j].s.ID
}
func (h deliveredHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *deliveredHeap) Push(v any)   { *h = append(*h, v.(heapEntry)) }
func (h *deliveredHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = heapEntry{}
	*h = old[:len(old)-1]
	return e
}

// setState keeps the count and heap of delivered summaries right when s
// (in byID) goes from state was (updated then) to its current state.
// Lock held.
func (x *index) setState(s *Summary, was string, wasUpdated time.Time) {
	is := s.State == StateSucceeded
	switch {
	case is && was != StateSucceeded:
		x.nDelivered++
	case !is && was == StateSucceeded:
		x.nDelivered--
	}
	if is && (was != StateSucceeded || !s.Updated.Equal(wasUpdated)) {
		heap.Push(&x.delivered, heapEntry{s: s, updated: s.Updated})
	}
}

// drop removes s from byID. Lock held.
func (x *index) drop(s *Summary) {
	delete(x.byID, s.ID)
	if s.State == StateSucceeded {
		x.nDelivered--
	}
	x.dirty = true
}

// trim lets the least recently updated delivered summaries go while
// there are more than maxDelivered, and rebuilds the heap when most of
// it is stale. Lock held.
func (x *index) trim() {
	for x.maxDelivered > 0 && x.nDelivered > x.maxDelivered && x.delivered.Len() > 0 {
		e := heap.Pop(&x.delivered).(heapEntry)
		if e.live(x.byID) {
			x.drop(e.s)
			x.dropped = true
			if e.s.stored.After(x.droppedStored) {
				x.droppedStored = e.s.stored
			}
		}
	}
	if n := x.delivered.Len(); n > 2*x.nDelivered+1024 {
		kept := x.delivered[:0]
		for _, e := range x.delivered {
			if e.live(x.byID) {
				kept = append(kept, e)
			}
		}
		clear(x.delivered[len(kept):n])
		x.delivered = kept
		heap.Init(&x.delivered)
	}
}

// prune drops expired summaries, at most once a second. Lock held.
func (x *index) prune() {
	if x.keep <= 0 && x.keepDelivered <= 0 {
		return
	}
	now := x.now()
	if now.Sub(x.pruned) < time.Second {
		return
	}
	x.pruned = now
	for _, s := range x.byID {
		if s.stored.IsZero() {
			continue
		}
		age := now.Sub(s.stored)
		if (x.keep > 0 && age > x.keep) || (x.keepDelivered > 0 && s.State == StateSucceeded && age > x.keepDelivered) {
			x.drop(s)
		}
	}
	x.trim()
}

func (x *index) put(s Summary) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if old, ok := x.byID[s.ID]; ok {
		if old.Updated.After(s.Updated) {
			return // an older write arriving late
		}
		was, wasUpdated := old.State, old.Updated
		*old = s
		x.setState(old, was, wasUpdated)
	} else {
		x.byID[s.ID] = &s
		x.setState(&s, "", time.Time{})
	}
	x.dirty = true
	x.trim()
}

func (x *index) remove(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if s, ok := x.byID[id]; ok {
		x.drop(s)
	}
}

// capped says the index let go delivered summaries whose records the
// store may still hold. Lock held.
func (x *index) capped() bool {
	if !x.dropped {
		return false
	}
	keep := x.keepDelivered
	if keep <= 0 {
		keep = x.keep
	}
	if keep <= 0 || x.droppedStored.IsZero() {
		return true // the store keeps them (or when it took them is unknown)
	}
	return x.now().Sub(x.droppedStored) <= keep
}

func (x *index) search(q Query) Page {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 1000)
	x.mu.Lock()
	x.prune()
	if x.dirty {
		x.sorted = x.sorted[:0]
		for _, s := range x.byID {
			x.sorted = append(x.sorted, s)
		}
		slices.SortFunc(x.sorted, func(a, b *Summary) int {
			if c := b.Updated.Compare(a.Updated); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		x.dirty = false
	}
	x.mu.Unlock()
	x.mu.RLock()
	defer x.mu.RUnlock()
	p := Page{Items: []Summary{}, Capped: x.capped() && (q.State == "" || q.State == StateSucceeded)}
	for _, s := range x.sorted {
		if !q.match(s) {
			continue
		}
		if p.Total >= q.Offset && len(p.Items) < q.Limit {
			p.Items = append(p.Items, *s)
		}
		p.Total++
	}
	return p
}

// jsIndex keeps an index of the history bucket and the delivered log
// current through a watch of each.
type jsIndex struct {
	once  sync.Once
	ready chan struct{}
	mu    sync.Mutex
	left  int // watches that have not read what was stored yet
	err   error
	x     *index
}

// readOne marks one watch as having read what was stored (or failed).
func (ix *jsIndex) readOne(err error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.left == 0 {
		return
	}
	if err != nil && ix.err == nil {
		ix.err = err
	}
	if ix.left--; ix.left == 0 || err != nil {
		ix.left = 0
		close(ix.ready)
	}
}

// Search answers from the index, starting the bucket watch on first use
// and waiting (bounded by ctx) for it to have read what is stored.
func (h *jsHistory) Search(ctx context.Context, q Query) (Page, error) {
	ix := h.index()
	select {
	case <-ix.ready:
	case <-ctx.Done():
		return Page{}, ctx.Err()
	}
	if ix.err != nil {
		return Page{}, ix.err
	}
	return ix.x.search(q), nil
}

func (h *jsHistory) index() *jsIndex {
	h.idxMu.Lock()
	if h.idx == nil {
		x := newIndex()
		x.keep = h.cfg.Retention
		if h.cfg.DeliveredRetention < h.cfg.Retention {
			// The delivered log expires its records by age on any
			// server; the bucket's delivered ones only with per-message
			// TTL (2.11 or later), so on an older server those leave the
			// list before the store.
			x.keepDelivered = h.cfg.DeliveredRetention
		}
		x.maxDelivered = cmp.Or(h.cfg.DeliveredListed, DefaultDeliveredListed)
		h.idx = &jsIndex{ready: make(chan struct{}), left: 2, x: x}
	}
	ix := h.idx
	h.idxMu.Unlock()
	ix.once.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		h.idxMu.Lock()
		h.idxStop = cancel
		h.idxMu.Unlock()
		go h.watch(ctx, ix)
		go h.watchLog(ctx, ix)
	})
	return ix
}

// watch follows the bucket: first every stored record, then each change.
func (h *jsHistory) watch(ctx context.Context, ix *jsIndex) {
	w, err := h.kv.WatchAll(ctx)
	if err != nil {
		ix.readOne(err)
		return
	}
	defer w.Stop()
	initial := true
	for e := range w.Updates() {
		if e == nil { // the stored records have all been read
			if initial {
				initial = false
				ix.readOne(nil)
			}
			continue
		}
		if e.Operation() != jetstream.KeyValuePut {
			ix.x.remove(e.Key())
			continue
		}
		var r Record
		if json.Unmarshal(e.Value(), &r) == nil {
			sum := Summarise(&r)
			sum.stored = e.Created()
			ix.x.put(sum)
		}
	}
	if initial {
		ix.readOne(errors.New("queue: history watch ended before it had read the store"))
	}
}

// watchLog follows the delivered log: every stored record, then each
// new one. A record the bucket also has (a replay) is the older and
// loses there (put keeps the later update).
func (h *jsHistory) watchLog(ctx context.Context, ix *jsIndex) {
	q := (*JetStream)(h)
	var once sync.Once
	caughtUp := make(chan struct{})
	read := func(err error) {
		once.Do(func() {
			close(caughtUp)
			ix.readOne(err)
		})
	}
	cons, err := q.js.OrderedConsumer(ctx, StreamDelivered, jetstream.OrderedConsumerConfig{})
	if err != nil {
		read(err)
		return
	}
	msgs, err := cons.Messages()
	if err != nil {
		read(err)
		return
	}
	defer msgs.Stop()
	var done atomic.Uint64 // the last stream sequence put in the index
	go func() {
		// Caught up when nothing is pending and what was handed out is
		// in the index, also when what was stored expired before it was
		// read (no message then says so).
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		check := func() {
			if info, err := cons.Info(ctx); err == nil && info.NumPending == 0 && done.Load() >= info.Delivered.Stream {
				read(nil)
			}
		}
		check()
		for {
			select {
			case <-ctx.Done():
				msgs.Stop()
				read(ctx.Err())
				return
			case <-caughtUp:
				t.Stop()
				<-ctx.Done()
				msgs.Stop()
				return
			case <-t.C:
			}
			check()
		}
	}()
	for {
		m, err := msgs.Next()
		if err != nil {
			read(fmt.Errorf("queue: delivered log watch ended before it had read the store: %w", err))
			return
		}
		meta, err := m.Metadata()
		if err != nil {
			continue
		}
		var recs []*Record
		if json.Unmarshal(m.Data(), &recs) == nil {
			for _, r := range recs {
				sum := Summarise(r)
				sum.stored = meta.Timestamp
				ix.x.put(sum)
			}
		}
		done.Store(meta.Sequence.Stream)
		if meta.NumPending == 0 {
			read(nil)
		}
	}
}

// Search answers from the in-memory records.
func (h *memHistory) Search(_ context.Context, q Query) (Page, error) {
	return h.idx.search(q), nil
}
