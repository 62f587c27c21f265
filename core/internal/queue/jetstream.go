package queue

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookferry/hookferry/sdk"
)

// Names in the JetStream account.
const (
	StreamEvents     = "HOOKFERRY_EVENTS"
	StreamDead       = "HOOKFERRY_DEAD"
	BucketDeliveries = "HOOKFERRY_DELIVERIES"
	subjEvents       = "hookferry.events."
	subjReplay       = "hookferry.replay."
	subjDead         = "hookferry.dead."
)

// Message headers carrying the event's metadata (the body is the data).
const (
	hdrID          = "Hf-Id"
	hdrType        = "Hf-Type"
	hdrSource      = "Hf-Source"
	hdrPipeline    = "Hf-Pipeline"
	hdrReceived    = "Hf-Received"
	hdrContentType = "Hf-Content-Type"
	hdrHeader      = "Hf-Header"
	hdrTraceParent = "Hf-Traceparent"
	hdrSeq         = "Hf-Seq" // on replays: the original event's sequence
)

// Defaults of the JetStream queue.
const (
	DefaultDedupWindow = 24 * time.Hour
	DefaultRetention   = 7 * 24 * time.Hour
	DefaultAckWait     = 30 * time.Second
)

// JetStreamConfig configures the JetStream queue.
type JetStreamConfig struct {
	// URL of an external NATS server or cluster; empty runs one embedded,
	// in-process, with no port open.
	URL string
	// Dir holds the embedded server's files.
	Dir string
	// SyncAlways makes every write durable (fsynced, or its filesystem
	// synced) before it is acknowledged (embedded only): what was
	// acknowledged survives power loss, at a cost.
	SyncAlways bool
	// DedupWindow: a repeated event id within it is not delivered again.
	DedupWindow time.Duration
	// Retention keeps events (for replay) and delivery records this long.
	Retention time.Duration
	// DeliveredRetention keeps the records of delivered events this long
	// (at most Retention; 0 means Retention): the delivered log's age
	// limit, and the expiry of the bucket's delivered records (whose
	// keys the store holds in memory). The expiry needs NATS 2.11 or
	// later (per-message TTL); an older server keeps those for Retention.
	DeliveredRetention time.Duration
	// DeliveredListed is how many records of delivered events the index
	// behind lists (console, Search) keeps, the newest; 0 means
	// DefaultDeliveredListed. Records in every other state are all kept.
	DeliveredListed int
	// MaxBytes bounds the events stream; when full, publishing fails and
	// senders get 503 (nothing stored is dropped to make room). 0: none.
	MaxBytes int64
	// AckWait: an attempt not settled within it (the process died) is
	// delivered again.
	AckWait time.Duration
	// Compress stores event bodies compressed (S2, compress.go): the
	// store's files, syncs and nats-server's block caches shrink with them.
	Compress bool
	// GroupCommit lets concurrent writes share one trip to the disk. With
	// SyncAlways on Linux: one sync of the store's filesystem for all
	// (syncfs.go); otherwise one JetStream atomic batch (batch.go, needs
	// NATS 2.12 or later).
	GroupCommit bool
	// MaxBodySize is the largest event body the queue must store (the
	// ingress's server.max_body_size) and MaxHeaderSize bounds the request
	// headers stored beside it. The embedded server is configured to take
	// such events; an external server whose max_payload is smaller is
	// refused at open with a *SizeError. 0: NATS's own limit applies.
	MaxBodySize   int
	MaxHeaderSize int
	// MinFree is the free space the embedded store keeps on its disk:
	// below it, events are refused (503) and the queue reports not ready.
	// 0 means DefaultMinFree; negative: no reserve.
	MinFree int64
	// HealthEvery is how often the embedded store's disk and health are
	// checked; 0 means 500ms.
	HealthEvery time.Duration
	Log         *slog.Logger

	// serverDedup replaces serverDedupWindow (tests); noIDIndex leaves
	// the whole dedup window to the server, as an external one does
	// (tests and benchmarks of the server's own map).
	serverDedup time.Duration
	noIDIndex   bool
	// recentIDs replaces recentIDs (tests).
	recentIDs time.Duration

	// atomicGroupCommit groups "always" writes by JetStream atomic
	// batches even where the filesystem can be synced as a whole
	// (syncfs.go): tests and benchmarks of that path.
	atomicGroupCommit bool
	// beforeSync runs before each filesystem sync; an error it returns
	// is the sync's (tests).
	beforeSync func() error
}

// JetStream is the durable queue.
type JetStream struct {
	cfg     JetStreamConfig
	ns      *server.Server
	nc      *nats.Conn
	js      jetstream.JetStream
	events  jetstream.Stream
	kv      jetstream.KeyValue
	log     *slog.Logger
	mu      sync.Mutex
	cons    map[string]jetstream.Consumer
	ordered map[string]bool
	batch   *batcher // nil: one publish per event
	// ids keeps the dedup window beyond the server's short one (ids.go);
	// nil with an external server, where the server keeps it all.
	ids *idIndex
	// idsLoaded is closed once the ids of the events stored before the
	// open are in ids (or their read failed); stopIDs ends that read.
	idsLoaded chan struct{}
	stopIDs   context.CancelFunc
	// reindexing bounds the reindex calls under way; atomicBatches: the
	// events go through atomic batches (batch.go).
	reindexing    chan struct{}
	atomicBatches bool
	// histBatch group-commits history records (sync "always" with group
	// commit): each attempt's record is written, and fsynced, before its
	// delivery is acked, so concurrent records share one fsync. nil: one
	// KV put per record.
	histBatch *batcher
	// done writes the records of first-attempt successes to the
	// delivered log (donelog.go).
	done      *doneLog
	delivered jetstream.Stream // the delivered log's stream
	// doneWarned is when (unix ns) a refused log write was last logged.
	doneWarned atomic.Int64
	// fsync group-commits with sync "always" on Linux (syncfs.go): every
	// write is made, then waits for one sync of the store's filesystem.
	// nil: the server fsyncs each write itself (and batch groups them).
	fsync      *syncer
	fsyncClose func() error
	// syncFailed is the first failed filesystem sync: sticky (failSync).
	syncFailed atomic.Pointer[error]
	// recordTTL is the Nats-TTL of a delivered event's record; empty: it
	// is kept for the bucket's retention.
	recordTTL string

	idxMu   sync.Mutex
	idx     *jsIndex           // the history index, started on first search
	idxStop context.CancelFunc // ends the index's watch
	// startSeq is the events stream's last sequence when this process
	// opened it: deliveries of older events may have been settled by a
	// process that was killed before its acks were persisted.
	startSeq uint64
	// noSettledCheck turns that check off (benchmarks of its cost).
	noSettledCheck bool
	// recentSettled is the settled set read at open (settled.go): the
	// history records of the last SettledWindow. Read-only after open;
	// nil (the read failed) means look every old event up.
	recentSettled map[string]string

	nsOpts    *server.Options // the embedded server's, for restarts
	health    *health
	watchStop chan struct{}
	watchDone chan struct{}
}

var _ Queue = (*JetStream)(nil)

// OpenJetStream starts (or connects to) NATS and makes ready the streams
// (events, dead letters, the delivered log) and the history bucket.
func OpenJetStream(ctx context.Context, cfg JetStreamConfig) (*JetStream, error) {
	if cfg.DedupWindow <= 0 {
		cfg.DedupWindow = DefaultDedupWindow
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = DefaultAckWait
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.DedupWindow > cfg.Retention {
		return nil, fmt.Errorf("queue: dedup_window (%s) cannot be longer than retention (%s)", cfg.DedupWindow, cfg.Retention)
	}
	switch {
	case cfg.DeliveredRetention > cfg.Retention:
		return nil, fmt.Errorf("queue: delivered_retention (%s) cannot be longer than retention (%s)", cfg.DeliveredRetention, cfg.Retention)
	case cfg.DeliveredRetention <= 0:
		cfg.DeliveredRetention = cfg.Retention
	case cfg.DeliveredRetention < cfg.Retention && cfg.DeliveredRetention < max(time.Second, 2*cfg.AckWait):
		// A delivery whose ack was lost comes back after AckWait; its
		// record is what says it was delivered.
		return nil, fmt.Errorf("queue: delivered_retention (%s) must be at least 1s and twice ack_wait (%s)", cfg.DeliveredRetention, cfg.AckWait)
	}
	payload := payloadFor(cfg.MaxBodySize, cfg.MaxHeaderSize)
	switch {
	case cfg.MinFree == 0:
		cfg.MinFree = max(DefaultMinFree, 4*int64(payload))
	case cfg.MinFree < 0:
		cfg.MinFree = 0
	}
	if cfg.HealthEvery <= 0 {
		cfg.HealthEvery = 500 * time.Millisecond
	}
	q := &JetStream{cfg: cfg, log: cfg.Log, cons: map[string]jetstream.Consumer{}, ordered: map[string]bool{}, health: newHealth(), reindexing: make(chan struct{}, reindexMax)}
	var err error
	var syncFS func() error // the store's filesystem sync (syncfs.go)
	opened := false
	defer func() {
		if !opened && q.fsyncClose != nil {
			q.fsyncClose()
		}
	}()
	if cfg.URL == "" {
		if payload > maxPayloadLimit {
			return nil, &SizeError{MaxBodySize: cfg.MaxBodySize, Needed: payload, Limit: maxPayloadLimit}
		}
		opts := &server.Options{
			ServerName: "hookferry", DontListen: true, JetStream: true, StoreDir: cfg.Dir,
			NoSigs: true, SyncAlways: cfg.SyncAlways,
			JetStreamMaxMemory: 64 << 20,
		}
		if payload > server.MAX_PAYLOAD_SIZE {
			opts.MaxPayload = int32(payload)
		}
		if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		if cfg.SyncAlways && cfg.GroupCommit && !cfg.atomicGroupCommit {
			if sync, closeFn, err := openSyncFS(cfg.Dir); err == nil {
				// The server writes in place before it acks; the syncer
				// makes it durable, one sync for all writes meanwhile.
				opts.SyncAlways = false
				// Blocks the server rewrites on its own (compacting after
				// deletes and expiries) are fsynced by its periodic sync:
				// every few seconds, not the default two minutes.
				opts.SyncInterval = storeSyncInterval
				syncFS, q.fsyncClose = sync, closeFn
				if hook := cfg.beforeSync; hook != nil {
					syncFS = func() error {
						if err := hook(); err != nil {
							return err
						}
						return sync()
					}
				}
			}
		}
		if _, total, ok := diskSpace(cfg.Dir); ok {
			// The store may use the whole disk; the free-space watch
			// refuses events before it is full. (NATS's own default is
			// the space free at start, which a restart would shrink.)
			opts.JetStreamMaxStore = int64(total)
		}
		q.nsOpts = opts
		if q.ns, err = server.NewServer(opts); err != nil {
			return nil, fmt.Errorf("queue: embedded NATS: %w", err)
		}
		q.ns.SetLoggerV2(natsLogger{cfg.Log}, false, false, false)
		q.ns.Start()
		if !q.ns.ReadyForConnections(30 * time.Second) {
			q.ns.Shutdown()
			return nil, errors.New("queue: embedded NATS did not start within 30s")
		}
		q.nc, err = nats.Connect("", nats.InProcessServer(q.ns), nats.Name("hookferry"), nats.ErrorHandler(q.natsError))
	} else {
		q.nc, err = nats.Connect(cfg.URL, nats.Name("hookferry"), nats.MaxReconnects(-1), nats.Timeout(5*time.Second), nats.ErrorHandler(q.natsError))
	}
	if err != nil {
		q.shutdownServer()
		return nil, fmt.Errorf("queue: connect: %w", err)
	}
	q.atomicBatches = cfg.GroupCommit && syncFS == nil
	// The server's window depends on atomicBatches; the index keeps what
	// lies beyond it.
	if cfg.URL == "" && !cfg.noIDIndex && cfg.DedupWindow > q.serverDedupWindow() {
		q.ids = newIDIndex(cfg.DedupWindow, nil)
	}
	if limit := q.nc.MaxPayload(); payload > 0 && int64(payload) > limit {
		q.nc.Close()
		q.shutdownServer()
		return nil, &SizeError{MaxBodySize: cfg.MaxBodySize, Needed: payload, Limit: limit, External: cfg.URL != ""}
	}
	if err := q.setup(ctx); err != nil {
		q.nc.Close()
		q.shutdownServer()
		return nil, err
	}
	switch {
	case syncFS != nil:
		sync := syncFS
		q.fsync = newSyncer(func() error {
			if err := q.syncFailed.Load(); err != nil {
				return *err
			}
			err := sync()
			if err != nil {
				q.failSync(err)
			}
			return err
		})
	case cfg.GroupCommit:
		q.batch = newBatcher(q)
		q.batch.index = true
		if cfg.SyncAlways {
			q.histBatch = newBatcher(q)
		}
	}
	q.done = newDoneLog(q)
	q.idsLoaded = make(chan struct{})
	if q.ids != nil && q.startSeq > 0 {
		lctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		q.stopIDs = stop
		go q.loadIDs(lctx)
	} else {
		close(q.idsLoaded)
	}
	if q.ns != nil {
		q.checkStore()
		q.startWatch()
	}
	// setup rewrote the streams' metadata (without fsync when the
	// filesystem sync stands in for it): one sync before any event.
	if err := q.durable(ctx); err != nil {
		opened = true // Close releases everything
		_ = q.Close(ctx)
		return nil, err
	}
	opened = true
	return q, nil
}

func (q *JetStream) setup(ctx context.Context) error {
	var err error
	if q.js, err = jetstream.New(q.nc); err != nil {
		return err
	}
	maxBytes := q.cfg.MaxBytes
	if maxBytes <= 0 {
		maxBytes = -1
	}
	q.events, err = q.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamEvents,
		Description: "hookferry: accepted events, one subject per pipeline, kept for replay",
		Subjects:    []string{subjEvents + ">", subjReplay + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      q.cfg.Retention,
		MaxBytes:    maxBytes,
		// A full store refuses new events (senders get 503) rather than
		// dropping old ones that may not be delivered yet.
		Discard:            jetstream.DiscardNew,
		Duplicates:         q.serverDedupWindow(),
		AllowAtomicPublish: q.cfg.GroupCommit,
	})
	if err != nil {
		return fmt.Errorf("queue: stream %s: %w", StreamEvents, err)
	}
	if info := q.events.CachedInfo(); info != nil {
		q.startSeq = info.State.LastSeq
	}
	if _, err = q.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamDead,
		Description: "hookferry: dead deliveries with their history",
		Subjects:    []string{subjDead + ">"},
		Storage:     jetstream.FileStorage,
		MaxAge:      q.cfg.Retention,
	}); err != nil {
		return fmt.Errorf("queue: stream %s: %w", StreamDead, err)
	}
	if q.delivered, err = q.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamDelivered,
		Description: "hookferry: records of deliveries that succeeded at their first attempt, many to a message",
		Subjects:    []string{subjDelivered + ">"},
		Storage:     jetstream.FileStorage,
		MaxAge:      q.cfg.DeliveredRetention,
	}); err != nil {
		return fmt.Errorf("queue: stream %s: %w", StreamDelivered, err)
	}
	if err := q.openBucket(ctx); err != nil {
		return err
	}
	if q.startSeq > 0 {
		if err := q.loadSettled(ctx); err != nil {
			q.log.Warn("queue: recent history not read; the backlog found at start is looked up one event at a time", "error", err)
			q.recentSettled = nil
		}
	}
	return nil
}

// openBucket creates the history bucket, or binds to it and brings its
// stream's settings up to date: retention, atomic batches (history group
// commit) and per-record expiry (DeliveredRetention). It does not go
// through CreateOrUpdateKeyValue on a bucket that exists, which would ask
// to turn per-record expiry off again, and the server refuses that.
func (q *JetStream) openBucket(ctx context.Context) error {
	name := "KV_" + BucketDeliveries
	st, err := q.js.Stream(ctx, name)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		if q.kv, err = q.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      BucketDeliveries,
			Description: "hookferry: delivery state and attempts",
			History:     1,
			TTL:         q.cfg.Retention,
			Storage:     jetstream.FileStorage,
		}); err != nil && !errors.Is(err, jetstream.ErrBucketExists) {
			return fmt.Errorf("queue: bucket %s: %w", BucketDeliveries, err)
		}
		if st, err = q.js.Stream(ctx, name); err != nil {
			return fmt.Errorf("queue: bucket %s: %w", BucketDeliveries, err)
		}
	case err != nil:
		return fmt.Errorf("queue: bucket %s: %w", BucketDeliveries, err)
	}
	if q.kv == nil {
		if q.kv, err = q.js.KeyValue(ctx, BucketDeliveries); err != nil {
			return fmt.Errorf("queue: bucket %s: %w", BucketDeliveries, err)
		}
	}
	cfg := st.CachedInfo().Config
	cfg.MaxAge = q.cfg.Retention
	// The bucket's stream takes atomic batches for history group commit.
	cfg.AllowAtomicPublish = q.cfg.GroupCommit && q.cfg.SyncAlways
	expiry := q.cfg.DeliveredRetention < q.cfg.Retention
	if expiry {
		cfg.AllowMsgTTL = true // once on, the server keeps it on
	}
	info, err := q.js.UpdateStream(ctx, cfg)
	if err != nil {
		return fmt.Errorf("queue: bucket %s: %w", BucketDeliveries, err)
	}
	if expiry {
		if info.CachedInfo().Config.AllowMsgTTL {
			q.recordTTL = q.cfg.DeliveredRetention.String()
		} else {
			q.log.Warn("queue: this NATS server has no per-message expiry (2.11 or later has); records of delivered events are kept for retention, not delivered_retention", "retention", q.cfg.Retention, "delivered_retention", q.cfg.DeliveredRetention)
		}
	}
	return nil
}

func consumerName(pipeline, sink string) string { return pipeline + "__" + sink }

// Declare creates or updates one durable consumer per sink. A new
// consumer starts with events published from now on.
func (q *JetStream) Declare(ctx context.Context, pipeline string, consumers []Consumer) error {
	for _, c := range consumers {
		// Twice the workers: while concurrency workers handle, as many
		// more are already pulled, so a worker that settles one does not
		// wait a round trip for the next. Consume renews the lease of
		// those waiting for a worker.
		maxAck := 2 * max(c.MaxInFlight, 1)
		if c.Ordered {
			maxAck = 1
		}
		cons, err := q.js.CreateOrUpdateConsumer(ctx, StreamEvents, jetstream.ConsumerConfig{
			Durable:        consumerName(pipeline, c.Name),
			Description:    fmt.Sprintf("hookferry: pipeline %s, sink %s", pipeline, c.Name),
			FilterSubjects: []string{subjEvents + pipeline, subjReplay + pipeline + "." + c.Name},
			DeliverPolicy:  jetstream.DeliverNewPolicy,
			AckPolicy:      jetstream.AckExplicitPolicy,
			AckWait:        q.cfg.AckWait,
			MaxAckPending:  maxAck,
			MaxDeliver:     -1, // the sink's retry policy decides when to give up
		})
		if err != nil {
			return fmt.Errorf("queue: consumer %s/%s: %w", pipeline, c.Name, err)
		}
		q.mu.Lock()
		q.cons[pipeline+"/"+c.Name] = cons
		q.ordered[pipeline+"/"+c.Name] = c.Ordered
		q.mu.Unlock()
	}
	// The consumers' metadata files are written without fsync when the
	// filesystem sync stands in for it: one sync makes them durable.
	return q.durable(ctx)
}

// Publish stores the event. It returns once JetStream acknowledged the
// write; a repeated id within the window is reported as a duplicate.
func (q *JetStream) Publish(ctx context.Context, ev *sdk.Event) (bool, error) {
	if err := q.unavailable(); err != nil {
		return false, err
	}
	// A store that fails while this waits for its answer never answers:
	// give up as soon as the watch sees it.
	ctx, done := q.health.bind(ctx)
	defer done()
	key := ev.Pipeline + "/" + ev.ID
	if q.ids != nil && q.storedBefore(ctx, key) {
		// A duplicate waits too: the first copy may still be unsynced.
		return true, q.durable(ctx)
	}
	msg := eventMsg(subjEvents+ev.Pipeline, ev)
	msg.Header.Set(jetstream.MsgIDHeader, key)
	if release := q.compress(msg, ev.Body); release != nil {
		defer func() {
			// A caller that gave up may leave the message queued.
			if ctx.Err() == nil {
				release()
			}
		}()
	}
	if q.batch != nil {
		// The batcher puts the id in the index (its commit finishes
		// whether or not this caller still waits).
		dup, _, err := q.batch.publish(ctx, msg)
		return dup, err
	}
	dup, seq, err := q.publishOne(ctx, msg)
	if err != nil {
		if ctx.Err() != nil {
			q.reindex(key, msg)
		}
		return false, err
	}
	q.stored(key, seq, nil)
	// A duplicate waits too: the first copy may still be unsynced.
	return dup, q.durable(ctx)
}

// serverDedupWindow is the duplicate window the events stream is given:
// all of dedup_window where the server keeps it, the short one where
// hookferry keeps the rest (ids.go).
func (q *JetStream) serverDedupWindow() time.Duration {
	if q.cfg.URL != "" || q.cfg.noIDIndex {
		return q.cfg.DedupWindow
	}
	short := serverDedupWindow
	if q.atomicBatches {
		short = atomicDedupWindow
	}
	return min(q.cfg.DedupWindow, cmp.Or(q.cfg.serverDedup, short))
}

// stored puts a stored event's dedup id in the index: a new one's, or
// the first copy's that a duplicate's answer names.
func (q *JetStream) stored(key string, seq uint64, err error) {
	if q.ids != nil && err == nil && seq > 0 {
		q.ids.add(key, seq, time.Now())
	}
}

// reindex: the caller gave up while its event was being stored, which
// may be stored all the same, its id not in the index (a sender's repeat
// after the server's short window would be stored and delivered again).
// Publishing it again under the same id, within that window, says: a
// duplicate naming the stored copy, or stored now (the caller was told
// it failed, so its sender sends again, and that repeat is then a
// duplicate: delivered once). At most reindexMax run at once; past that,
// and when the store does not answer within half the window, the id is
// left out (a repeat may then be delivered twice).
func (q *JetStream) reindex(key string, msg *nats.Msg) {
	if q.ids == nil {
		return
	}
	select {
	case q.reindexing <- struct{}{}:
	default:
		return
	}
	go func() {
		defer func() { <-q.reindexing }()
		ctx, cancel := context.WithTimeout(context.Background(), q.serverDedupWindow()/2)
		defer cancel()
		_, seq, err := q.publishOne(ctx, msg)
		q.stored(key, seq, err)
	}()
}

// storedBefore reports whether an event with dedup id key is stored and
// within the window, by the index and then the stored event itself (the
// index holds hashes). What cannot be read is not a duplicate: at worst
// a second delivery, never an event lost.
func (q *JetStream) storedBefore(ctx context.Context, key string) bool {
	seq, ok := q.ids.lookup(key)
	if !ok {
		return false
	}
	m, err := q.events.GetMsg(ctx, seq)
	if err != nil {
		return false
	}
	return m.Header.Get(jetstream.MsgIDHeader) == key && m.Time.After(time.Now().Add(-q.cfg.DedupWindow))
}

// loadIDs reads the dedup ids of the events stored within the window
// before the open into the index (their headers only), while events are
// taken: about 4 µs an event, so a day at 100 events/s takes half a
// minute, which must not keep senders waiting. The last recentIDs come
// first (a quarter of a second at 100 events/s, ~26 s at 10,000/s): a
// sender repeats an event whose answer it missed within minutes, and
// those are the events stored just before a crash. Until then a repeat
// of an event stored in the server's short window is still settled there
// (the server rebuilds it as it starts); only a repeat of an older event,
// arriving before its id is read back, is stored and delivered again
// (delivery is at least once).
func (q *JetStream) loadIDs(ctx context.Context) {
	defer close(q.idsLoaded)
	began, n := time.Now(), 0
	var first uint64 // the first sequence the recent pass read
	read := func(from time.Time, last uint64) error {
		return q.readOrdered(ctx, StreamEvents, 1024, subjEvents+">", from, last, true, func(m jetstream.Msg, meta *jetstream.MsgMetadata) bool {
			if first == 0 {
				first = meta.Sequence.Stream
			}
			if id := m.Headers().Get(jetstream.MsgIDHeader); id != "" {
				q.ids.add(id, meta.Sequence.Stream, meta.Timestamp)
				n++
			}
			return ctx.Err() == nil
		})
	}
	from := began.Add(-q.cfg.DedupWindow)
	recent := began.Add(-cmp.Or(q.cfg.recentIDs, recentIDs))
	if recent.Before(from) {
		recent = from
	}
	// A read that fails (the store busy as it starts) is tried again:
	// what it read before is read again, which changes nothing.
	var err error
	for try := range 3 {
		if try > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(try) * time.Second):
			}
		}
		first = 0
		if err = read(recent, q.startSeq); err == nil && recent.After(from) && first != 1 {
			last := q.startSeq
			if first > 1 {
				last = first - 1
			}
			err = read(from, last)
		}
		if err == nil || ctx.Err() != nil {
			break
		}
	}
	switch {
	case ctx.Err() != nil:
	case err != nil:
		q.log.Warn("queue: the dedup ids of events stored before the start were not all read; a sender's repeat of one of those may be delivered again", "read", n, "error", err)
	default:
		q.log.Info("queue: dedup ids of the events stored before the start read back", "ids", n, "took", time.Since(began).Round(time.Millisecond))
	}
}

// failSync stops the store taking events after a failed filesystem sync.
// After a writeback error the kernel may mark the lost pages clean, so a
// later sync can succeed over data that never reached the disk: a sender
// sending again would get "duplicate" and a 2xx for an event that may be
// gone. So nothing more is acknowledged until a restart (which reads the
// store back from what is on disk): senders get 503, /readyz says why.
func (q *JetStream) failSync(err error) {
	err = fmt.Errorf("queue: syncing the store to disk failed (%v): what was written since the last good sync may not be on disk; restart hookferry once the disk is sound", err)
	if q.syncFailed.CompareAndSwap(nil, &err) {
		q.log.Error("queue: not taking events; senders get 503", "reason", err.Error())
	}
	q.health.set(err)
}

// durable returns once every write this process made before the call
// survives power loss (sync "always" by filesystem sync); at once
// otherwise, where the server has synced each write or sync is
// "interval".
func (q *JetStream) durable(ctx context.Context) error {
	if q.fsync == nil {
		return nil
	}
	return q.fsync.wait(ctx)
}

func isFull(err error) bool {
	s := err.Error()
	return strings.Contains(s, "maximum bytes") || strings.Contains(s, "insufficient resources") || strings.Contains(s, "no space")
}

// compress stores msg's body compressed when the queue is set to.
func (q *JetStream) compress(msg *nats.Msg, body []byte) (release func()) {
	if !q.cfg.Compress {
		return nil
	}
	return compressInto(msg, body)
}

func eventMsg(subject string, ev *sdk.Event) *nats.Msg {
	msg := nats.NewMsg(subject)
	msg.Data = ev.Body
	msg.Header.Set(hdrID, ev.ID)
	msg.Header.Set(hdrPipeline, ev.Pipeline)
	msg.Header.Set(hdrSource, ev.Source)
	msg.Header.Set(hdrReceived, ev.ReceivedAt.UTC().Format(time.RFC3339Nano))
	if ev.Type != "" {
		msg.Header.Set(hdrType, ev.Type)
	}
	if ev.ContentType != "" {
		msg.Header.Set(hdrContentType, ev.ContentType)
	}
	if len(ev.Header) > 0 {
		b, _ := json.Marshal(ev.Header)
		msg.Header.Set(hdrHeader, string(b))
	}
	if ev.TraceParent != "" {
		msg.Header.Set(hdrTraceParent, ev.TraceParent)
	}
	return msg
}

// eventFrom reads a stored event. An error means its body cannot be read
// (the event's other fields are set).
func eventFrom(h nats.Header, data []byte) (*sdk.Event, error) {
	ev := &sdk.Event{
		ID: h.Get(hdrID), Type: h.Get(hdrType), Source: h.Get(hdrSource), Pipeline: h.Get(hdrPipeline),
		ContentType: h.Get(hdrContentType), TraceParent: h.Get(hdrTraceParent),
	}
	ev.ReceivedAt, _ = time.Parse(time.RFC3339Nano, h.Get(hdrReceived))
	if s := h.Get(hdrHeader); s != "" {
		ev.Header = decodeHeader(s)
	}
	var err error
	ev.Body, err = bodyFrom(h, data, maxPayloadLimit)
	return ev, err
}

// Replay publishes the stored event again on the sink's replay subject.
func (q *JetStream) Replay(ctx context.Context, id DeliveryID) error {
	// Event checks the sink exists before it looks for the event, so a
	// mistyped id says what is wrong with it.
	ev, err := q.Event(ctx, id)
	if err != nil {
		return err
	}
	msg := eventMsg(subjReplay+id.Pipeline+"."+id.Sink, ev)
	msg.Header.Set(hdrSeq, strconv.FormatUint(id.Seq, 10))
	if release := q.compress(msg, ev.Body); release != nil {
		defer release() // PublishMsg has written it when it returns
	}
	if _, err = q.js.PublishMsg(ctx, msg); err != nil {
		return err
	}
	return q.durable(ctx)
}

// Consume hands the consumer's deliveries to h. One goroutine pulls;
// concurrency goroutines handle.
func (q *JetStream) Consume(ctx context.Context, pipeline, consumer string, concurrency int, h Handler) error {
	q.mu.Lock()
	cons, ok := q.cons[pipeline+"/"+consumer]
	if q.ordered[pipeline+"/"+consumer] {
		concurrency = 1
	}
	q.mu.Unlock()
	if !ok {
		return fmt.Errorf("queue: consumer %s/%s was not declared", pipeline, consumer)
	}
	concurrency = max(concurrency, 1)
	// The pull asks for as many as the consumer may have unacknowledged
	// (Declare: twice the concurrency). Asking for fewer (the concurrency)
	// lost pull requests under load: now and then the client believed a
	// request outstanding that the server no longer held (no waiting
	// request, nothing pending acknowledgement, hundreds of messages
	// stored), and delivery stopped until the missing heartbeats told; 7
	// of 40 saturated rounds against 0 of 40 asking for all.
	//
	// A short pull expiry bounds how long a stalled pull request can hold
	// back new messages (the default is 30s), and a short heartbeat how
	// long a lost one goes unnoticed (twice it; the default, half the
	// expiry, stalled delivery for 5 s).
	it, err := cons.Messages(jetstream.PullMaxMessages(2*concurrency), jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(pullHeartbeat))
	if err != nil {
		return fmt.Errorf("queue: consume %s/%s: %w", pipeline, consumer, err)
	}
	// On stop, Drain (not Stop) so that the messages already pulled come
	// out of Next and are handed back below at once, instead of waiting
	// out the ack wait (a worker replaced by a config reload takes them
	// over immediately).
	stop := context.AfterFunc(ctx, it.Drain)
	defer stop()
	// Deliveries pulled ahead wait in work for a worker; waiting keeps
	// their lease (renew), so the server does not hand them out again
	// while the workers are held past ack_wait.
	work := make(chan jetstream.Msg, concurrency)
	w := newWaiting(q.cfg.AckWait)
	defer w.stop()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for m := range work {
				w.taken(m)
				if ctx.Err() != nil {
					_ = m.NakWithDelay(stopHandBack)
					continue
				}
				d := q.delivery(pipeline, consumer, m)
				d.stopping = ctx
				if d.unreadable != nil {
					q.deadUnreadable(ctx, d)
					continue
				}
				if q.settledBefore(ctx, d) {
					continue
				}
				h(ctx, d)
			}
		})
	}
	var lost int // pull requests lost since lostSaid
	var lostSaid time.Time
	for {
		m, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || ctx.Err() != nil {
				break
			}
			if errors.Is(err, jetstream.ErrNoHeartbeat) && !q.nc.IsReconnecting() && q.nc.IsConnected() {
				// A lost pull request, not a lost connection: the next
				// Next asks again at once. Said at most once a minute.
				lost++
				if time.Since(lostSaid) >= time.Minute {
					q.log.Warn("queue: pull request lost; asked again", "pipeline", pipeline, "sink", consumer, "times", lost)
					lost, lostSaid = 0, time.Now()
				}
				continue
			}
			q.log.Warn("queue: pull", "pipeline", pipeline, "sink", consumer, "error", err)
			// Do not spin while the connection is down.
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
			continue
		}
		if ctx.Err() != nil {
			// Pulled, never handled: give it back for redelivery now.
			_ = m.NakWithDelay(stopHandBack)
			continue
		}
		w.add(m)
		select {
		case work <- m:
		case <-ctx.Done():
			w.taken(m)
			_ = m.NakWithDelay(stopHandBack)
		}
	}
	close(work)
	// Deliveries still waiting go back now, not after the attempts the
	// workers are busy with (a worker replaced by a reload takes them
	// over at once).
	for m := range work {
		w.taken(m)
		_ = m.NakWithDelay(stopHandBack)
	}
	wg.Wait()
	return nil
}

// waiting tracks deliveries pulled and not yet taken by a worker, and
// renews the lease of every one of them every third of the ack wait, so
// none goes longer than that (plus the ticker's lateness) unrenewed.
type waiting struct {
	mu    sync.Mutex
	since map[jetstream.Msg]time.Time // when its lease was last renewed
	every time.Duration
	done  chan struct{}
}

func newWaiting(ackWait time.Duration) *waiting {
	w := &waiting{since: map[jetstream.Msg]time.Time{}, every: max(ackWait/3, 10*time.Millisecond), done: make(chan struct{})}
	go func() {
		t := time.NewTicker(w.every)
		defer t.Stop()
		for {
			select {
			case <-w.done:
				return
			case now := <-t.C:
				w.renew(now)
			}
		}
	}()
	return w
}

func (w *waiting) add(m jetstream.Msg) {
	w.mu.Lock()
	w.since[m] = time.Now()
	w.mu.Unlock()
}

// taken: a worker has m. A lease renewed more than a quarter period ago
// is renewed once more, so the worker's own renewals (the delivery
// worker's hold_every, at most a third of ack_wait) start from a fresh
// lease. (Under load deliveries wait milliseconds, far less.)
func (w *waiting) taken(m jetstream.Msg) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if t, ok := w.since[m]; ok {
		delete(w.since, m)
		if time.Since(t) > w.every/4 {
			_ = m.InProgress()
		}
	}
}

// renew tells the server that the waiting deliveries are still wanted.
// It holds the lock while it does (InProgress only queues a publish): a
// worker that takes one and hands it back with a delay must not have that
// delay overwritten by a renewal sent after it.
func (w *waiting) renew(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for m := range w.since {
		_ = m.InProgress()
		w.since[m] = now
	}
}

func (w *waiting) stop() { close(w.done) }

func (q *JetStream) delivery(pipeline, sink string, m jetstream.Msg) *jsDelivery {
	d := &jsDelivery{m: m, id: DeliveryID{Pipeline: pipeline, Sink: sink}, attempt: 1}
	d.ev, d.unreadable = eventFrom(m.Headers(), m.Data())
	if meta, err := m.Metadata(); err == nil {
		d.id.Seq, d.attempt = meta.Sequence.Stream, int(meta.NumDelivered)
	}
	if s := m.Headers().Get(hdrSeq); s != "" {
		d.id.Seq, _ = strconv.ParseUint(s, 10, 64)
		d.replayed = true
	}
	return d
}

type jsDelivery struct {
	m        jetstream.Msg
	ev       *sdk.Event
	id       DeliveryID
	attempt  int
	replayed bool
	// unreadable: the stored body cannot be decoded (deadUnreadable).
	unreadable error
	// stopping is the consumer's context: once it is done, hand-backs
	// are delayed by stopHandBack.
	stopping context.Context
}

// deadUnreadable dead-letters a delivery whose stored body cannot be
// read (a corrupted store, or a message another program wrote on our
// subject): nothing could ever deliver it, so it is not retried. It gets
// an error log, a dead history record with the reason, and the
// dead-letter stream, like any delivery given up on.
func (q *JetStream) deadUnreadable(ctx context.Context, d *jsDelivery) {
	reason := "the stored event cannot be read: " + d.unreadable.Error()
	q.log.Error("queue: dead-lettered an unreadable event", "pipeline", d.id.Pipeline, "sink", d.id.Sink, "seq", d.id.Seq, "error", d.unreadable)
	now := time.Now().UTC()
	r := &Record{
		ID: d.id.String(), Pipeline: d.id.Pipeline, Sink: d.id.Sink, EventID: d.ev.ID, EventType: d.ev.Type,
		Seq: d.id.Seq, State: StateDead, Created: now, Updated: now,
	}
	r.AddAttempt(Attempt{At: now, Outcome: sdk.Fail.String(), Reason: reason})
	if err := q.History().Put(ctx, r); err != nil {
		// Not settled: it comes back after ack_wait and is tried again.
		q.log.Error("queue: recording an unreadable event", "pipeline", d.id.Pipeline, "sink", d.id.Sink, "seq", d.id.Seq, "error", err)
		return
	}
	_ = d.Term(reason)
}

func (d *jsDelivery) Event() *sdk.Event { return d.ev }
func (d *jsDelivery) ID() DeliveryID    { return d.id }
func (d *jsDelivery) Attempt() int      { return d.attempt }
func (d *jsDelivery) Replayed() bool    { return d.replayed }
func (d *jsDelivery) Ack() error        { return d.m.Ack() }
func (d *jsDelivery) Nak(delay time.Duration) error {
	delay = max(delay, handBack)
	if d.stopping != nil && d.stopping.Err() != nil {
		// Handed back because its consumer stops: sent back at once it
		// would go round to the pull being drained (stopHandBack).
		delay = max(delay, stopHandBack)
	}
	return d.m.NakWithDelay(delay)
}

// storeSyncInterval is the embedded server's own periodic fsync when
// sync "always" is kept by filesystem syncs (syncfs.go).
const storeSyncInterval = 5 * time.Second

// pullHeartbeat: the server sends one while a pull request waits; two
// missed say the request is gone and the pull is asked again. 500ms is
// the shortest the client takes.
const pullHeartbeat = 500 * time.Millisecond

// handBack is the delay of a delivery handed back "now". A plain NAK only
// queues the message for redelivery in the server's memory: after a
// restart it waits out the ack wait (30 s) as if its worker had died. A
// NAK with a delay writes the redelivery time into the consumer's stored
// state, so a delivery handed back at shutdown (or pulled ahead and never
// started) goes out as soon as the next process consumes.
const handBack = time.Millisecond

// stopHandBack is the delay of a delivery the queue hands back because
// its consumer is stopping. With handBack the server would hand it out
// again at once to the stopping pull, over and over until the pull ends,
// and one sent just as it ends is dropped by the client and waits out
// ack_wait (30 s) after a restart, as if its worker had died. A second
// is longer than a stop takes, and the next process still gets it within
// one.
const stopHandBack = time.Second

func (d *jsDelivery) Term(reason string) error { return d.m.TermWithReason(reason) }
func (d *jsDelivery) InProgress() error        { return d.m.InProgress() }

// Depth reads the consumer's own counters.
func (q *JetStream) Depth(ctx context.Context, pipeline, consumer string) (Depth, error) {
	q.mu.Lock()
	c, ok := q.cons[pipeline+"/"+consumer]
	q.mu.Unlock()
	if !ok {
		return Depth{}, fmt.Errorf("%w: consumer %s/%s", ErrNotFound, pipeline, consumer)
	}
	info, err := c.Info(ctx)
	if err != nil {
		return Depth{}, err
	}
	d := Depth{Pipeline: pipeline, Sink: consumer, Pending: info.NumPending, InFlight: uint64(info.NumAckPending)}
	if d.Pending+d.InFlight > 0 {
		// Everything up to the ack floor is settled, so the first message
		// of the consumer's subjects after it is the oldest not settled.
		if d.Oldest, err = q.firstAfter(ctx, info.AckFloor.Stream+1, subjEvents+pipeline, subjReplay+pipeline+"."+consumer); err != nil {
			return Depth{}, err
		}
	}
	if d.Dead, err = q.deadCount(ctx, pipeline, consumer); err != nil {
		return Depth{}, err
	}
	return d, nil
}

// firstAfter is the store time of the first message at or after seq on
// any of subjects; zero when there is none.
func (q *JetStream) firstAfter(ctx context.Context, seq uint64, subjects ...string) (time.Time, error) {
	var first time.Time
	for _, subj := range subjects {
		m, err := q.events.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subj))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return time.Time{}, err
		}
		if first.IsZero() || m.Time.Before(first) {
			first = m.Time
		}
	}
	return first, nil
}

// deadCount counts the dead letters of one consumer kept in the
// dead-letter stream.
func (q *JetStream) deadCount(ctx context.Context, pipeline, consumer string) (uint64, error) {
	subj := subjDead + pipeline + "." + consumer
	s, err := q.js.Stream(ctx, StreamDead)
	if err != nil {
		return 0, err
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(subj))
	if err != nil {
		return 0, err
	}
	return info.State.Subjects[subj], nil
}

// History returns the records kept in the JetStream bucket.
func (q *JetStream) History() History { return (*jsHistory)(q) }

type jsHistory JetStream

// Get returns a delivery's record: from the bucket, else from the
// delivered log (a first-attempt success; only a replay writes a bucket
// record after one).
func (h *jsHistory) Get(ctx context.Context, id DeliveryID) (*Record, error) {
	r, err := h.bucketRecord(ctx, id.String())
	if err != nil || r != nil {
		return r, err
	}
	if r, err = (*JetStream)(h).getDone(ctx, id); err != nil || r != nil {
		return r, err
	}
	if h.recordTTL != "" {
		return nil, fmt.Errorf("%w: %s (no record: never attempted, or expired; records of delivered events are kept %s, others %s)", ErrNotFound, id, h.cfg.DeliveredRetention, h.cfg.Retention)
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
}

// bucketRecord reads key's record from the bucket; nil when it has none.
func (h *jsHistory) bucketRecord(ctx context.Context, key string) (*Record, error) {
	e, err := h.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Put stores a record; a dead one also goes to the dead-letter stream.
func (h *jsHistory) Put(ctx context.Context, r *Record) error {
	if err := (*JetStream)(h).unavailable(); err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if firstSuccess(r) {
		if id, perr := ParseDeliveryID(r.ID); perr == nil {
			err := h.done.put(ctx, id, b)
			if err == nil {
				// The record must survive power loss before the delivery's ack.
				return (*JetStream)(h).durable(ctx)
			}
			if errors.Is(err, ErrClosed) || ctx.Err() != nil {
				return err
			}
			// The log could not take it (its stream deleted on an
			// external server, say): the bucket can, and wins over the
			// log anyway.
			if last := h.doneWarned.Load(); last == 0 || time.Since(time.Unix(0, last)) >= time.Minute {
				h.doneWarned.Store(time.Now().UnixNano())
				h.log.Warn("queue: the delivered log refused a record; records go to the history bucket while it does", "delivery", r.ID, "error", err)
			}
		}
	}
	// The same write as kv.Put (a publish to the key's subject), with an
	// expiry for a delivered event's record.
	msg := nats.NewMsg("$KV." + BucketDeliveries + "." + r.ID)
	msg.Data = b
	if r.State == StateSucceeded && h.recordTTL != "" {
		msg.Header.Set(jetstream.MsgTTLHeader, h.recordTTL)
	}
	if h.histBatch != nil {
		// Stored with whatever other records arrived meanwhile.
		if _, _, err := h.histBatch.publish(ctx, msg); err != nil {
			return err
		}
	} else if _, err := h.js.PublishMsg(ctx, msg); err != nil {
		return err
	}
	if r.State == StateDead {
		if _, err = h.js.Publish(ctx, subjDead+r.Pipeline+"."+r.Sink, b); err != nil {
			return err
		}
	}
	// The record must survive power loss before the delivery's ack.
	return (*JetStream)(h).durable(ctx)
}

func (h *jsHistory) List(ctx context.Context, f Filter) ([]*Record, error) {
	keys, err := h.kv.ListKeysFiltered(ctx, keyFilter(f))
	if err != nil {
		return nil, err
	}
	var out []*Record
	inBucket := map[string]bool{}
	for k := range keys.Keys() {
		inBucket[k] = true
		if _, err := ParseDeliveryID(k); err != nil {
			continue
		}
		// Read from the bucket only: the log is read whole below.
		r, err := h.bucketRecord(ctx, k)
		if err != nil || r == nil {
			continue // expired between listing and reading
		}
		if f.Match(r) {
			out = append(out, r)
		}
	}
	if f.State == "" || f.State == StateSucceeded {
		// First-attempt successes, from the delivered log; the bucket's
		// record of the same delivery (a replay) is the newer.
		var since time.Time
		if !f.Since.IsZero() {
			since = f.Since.Add(-time.Minute) // a record is logged just after its update
		}
		latest := map[string]*Record{}
		var order []string
		err := (*JetStream)(h).readDone(ctx, subjDelivered+keyFilter(f), since, 0, func(r *Record, _ time.Time) bool {
			if inBucket[r.ID] || !f.Match(r) {
				return true
			}
			if _, ok := latest[r.ID]; !ok {
				order = append(order, r.ID)
			}
			latest[r.ID] = r
			return true
		})
		if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			return nil, err
		}
		for _, id := range order {
			out = append(out, latest[id])
		}
	}
	return limitSorted(out, f.Limit), nil
}

// Close drains the connection and stops the embedded server.
func (q *JetStream) Close(context.Context) error {
	if q.stopIDs != nil {
		q.stopIDs()
		<-q.idsLoaded
	}
	q.idxMu.Lock()
	if q.idxStop != nil {
		q.idxStop()
	}
	q.idxMu.Unlock()
	q.stopWatch()
	if q.batch != nil {
		q.batch.close()
	}
	if q.histBatch != nil {
		q.histBatch.close()
	}
	if q.done != nil {
		q.done.close()
	}
	if q.fsync != nil {
		q.fsync.close()
	}
	q.nc.Close()
	q.shutdownServer()
	if q.fsyncClose != nil {
		q.fsyncClose()
	}
	return nil
}

func (q *JetStream) shutdownServer() {
	if q.ns != nil {
		q.ns.Shutdown()
		q.ns.WaitForShutdown()
	}
}

// natsError logs what the NATS client reports without a caller to tell:
// a subscription that fell behind (slow consumer: the client dropped
// messages, which the server then counts as delivered until ack_wait)
// and protocol errors.
func (q *JetStream) natsError(_ *nats.Conn, sub *nats.Subscription, err error) {
	subject := ""
	if sub != nil {
		subject = sub.Subject
	}
	q.log.Error("queue: nats client", "subject", subject, "error", err)
}

// natsLogger routes the embedded server's log to slog.
type natsLogger struct{ l *slog.Logger }

func (n natsLogger) Noticef(format string, v ...any) { n.l.Debug("nats: " + fmt.Sprintf(format, v...)) }
func (n natsLogger) Warnf(format string, v ...any)   { n.l.Warn("nats: " + fmt.Sprintf(format, v...)) }
func (n natsLogger) Fatalf(format string, v ...any)  { n.l.Error("nats: " + fmt.Sprintf(format, v...)) }
func (n natsLogger) Errorf(format string, v ...any)  { n.l.Error("nats: " + fmt.Sprintf(format, v...)) }
func (n natsLogger) Debugf(format string, v ...any)  {}
func (n natsLogger) Tracef(format string, v ...any)  {}
