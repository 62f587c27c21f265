package queue

import (
	"hash/maphash"
	"slices"
	"sync"
	"time"
)

// The dedup window of the embedded store. NATS remembers every message
// id it stored within a stream's duplicate window in a map of its own,
// about 124 B an id of 43 characters: over the default 24 h that is 1.1
// GB per 100 events/s, in the process's memory whatever is delivered, and
// marked by every garbage collection. With the embedded server hookferry
// keeps the long window itself, in idIndex, at about a fifth of that (a
// 64-bit hash of the id and its stream sequence, 24 B, no pointers),
// and gives the server a short window (serverDedupWindow),
// which still settles a repeat that arrives while the first copy is
// being stored. A hash found in the index is confirmed against the
// stored event (its id and time) before an event is called a
// duplicate: two ids that share a hash cost at most a second delivery,
// never an event lost. An external server keeps the whole window (its
// memory, and other hookferry processes publish to it too).

// serverDedupWindow is the duplicate window the embedded server keeps
// when hookferry keeps the rest: long enough for a repeat racing the
// first copy (whose id enters the index when its store is acknowledged,
// or, when its caller gave up waiting, when asking again says; see
// JetStream.reindex). Atomic batches get atomicDedupWindow: a commit
// whose answer was lost is stored again one event at a time, and those
// repeats must still be recognised.
const (
	serverDedupWindow = 10 * time.Second
	atomicDedupWindow = 3 * batchCommitAfter
)

// recentIDs: the read at open takes the ids of this last stretch first.
const recentIDs = 10 * time.Minute

// reindexMax bounds the publishes under way whose callers gave up
// (JetStream.reindex).
const reindexMax = 256

// idSlots: the window is kept in this many generations, each the ids of
// one slot of time; the oldest goes as a whole once the window has
// passed its end, so an id is held at most a slot longer than the window
// (the confirmation checks the stored event's time).
const idSlots = 16

// idIndex maps the hash of an event's dedup id to its stream sequence.
type idIndex struct {
	seed   maphash.Seed
	hashOf func(string) uint64 // nil: maphash with seed (tests set one)
	window time.Duration
	slot   time.Duration
	now    func() time.Time

	mu   sync.Mutex
	gens []idGen // oldest first
	n    int     // ids held
}

type idGen struct {
	slot int64 // time / slot
	ids  map[uint64]uint64
}

func newIDIndex(window time.Duration, now func() time.Time) *idIndex {
	if now == nil {
		now = time.Now
	}
	return &idIndex{seed: maphash.MakeSeed(), window: window, slot: max(window/idSlots, time.Millisecond), now: now}
}

func (x *idIndex) hash(id string) uint64 {
	if x.hashOf != nil {
		return x.hashOf(id)
	}
	return maphash.String(x.seed, id)
}

// add records that the event with dedup id was stored as seq at time at.
func (x *idIndex) add(id string, seq uint64, at time.Time) {
	h, k := x.hash(id), at.UnixNano()/int64(x.slot)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.pruneLocked()
	if at.Before(x.now().Add(-x.window)) {
		return // already out of the window
	}
	// Times mostly come in order (the live path, the read at open): the
	// generation is the last one or a new one after it.
	i := len(x.gens)
	for i > 0 && x.gens[i-1].slot > k {
		i--
	}
	if i == 0 || x.gens[i-1].slot != k {
		x.gens = slices.Insert(x.gens, i, idGen{slot: k, ids: map[uint64]uint64{}})
		i++
	}
	g := x.gens[i-1].ids
	old, ok := g[h]
	if !ok {
		x.n++
	}
	// The newer copy stays (the read at open may come after a live add).
	g[h] = max(old, seq)
}

// lookup returns the sequence of the newest event stored under a hash
// equal to id's, if one is held.
func (x *idIndex) lookup(id string) (uint64, bool) {
	h := x.hash(id)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.pruneLocked()
	for i := len(x.gens) - 1; i >= 0; i-- {
		if seq, ok := x.gens[i].ids[h]; ok {
			return seq, true
		}
	}
	return 0, false
}

// pruneLocked drops the generations whose slot ended before the window.
func (x *idIndex) pruneLocked() {
	from := x.now().Add(-x.window).UnixNano() / int64(x.slot)
	drop := 0
	for drop < len(x.gens) && x.gens[drop].slot < from {
		x.n -= len(x.gens[drop].ids)
		drop++
	}
	if drop > 0 {
		x.gens = slices.Delete(x.gens, 0, drop) // zeroes the tail: the maps go
	}
}

// held is the number of ids in the index.
func (x *idIndex) held() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.pruneLocked()
	return x.n
}
