package config

import (
	"cmp"
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
)

// Queue backends and sync modes.
const (
	BackendJetStream = "jetstream"
	BackendMemory    = "memory"
	SyncInterval     = "interval"
	SyncAlways       = "always"
)

// Defaults of the queue block.
const (
	DefaultDedupWindow = 24 * time.Hour
	DefaultRetention   = 7 * 24 * time.Hour
	DefaultAckWait     = 30 * time.Second
	// DefaultDeliveredRetention keeps the records of delivered events a
	// day (a first-attempt success's on disk; the others' keys are in
	// the store's memory while kept).
	DefaultDeliveredRetention = 24 * time.Hour
)

// Queue is where accepted events are kept.
type Queue struct {
	Backend     string // jetstream or memory
	URL         string // external NATS; empty runs it embedded
	Sync        string // interval or always
	DedupWindow time.Duration
	Retention   time.Duration
	// DeliveredRetention keeps the records of delivered events (those
	// retrying or dead stay for Retention); at most Retention.
	DeliveredRetention time.Duration
	// ListDelivered is how many records of delivered events the
	// console's lists keep (the newest); 0 means the queue's default.
	ListDelivered int
	MaxStore      int // bytes; 0: no limit but the disk
	AckWait       time.Duration
	// GroupCommit makes writes arriving together share one trip to the
	// disk (with sync "always": one filesystem sync on Linux, one atomic
	// batch elsewhere); on by default with sync "always" only.
	GroupCommit    bool
	groupCommitSet *bool
	// Compress stores event bodies compressed (S2); on by default.
	Compress    bool
	compressSet *bool
}

type rawQueue struct {
	Backend     hcl.Expression `hcl:"backend,optional"`
	URL         hcl.Expression `hcl:"url,optional"`
	Sync        hcl.Expression `hcl:"sync,optional"`
	DedupWindow hcl.Expression `hcl:"dedup_window,optional"`
	Retention   hcl.Expression `hcl:"retention,optional"`
	Delivered   hcl.Expression `hcl:"delivered_retention,optional"`
	Listed      hcl.Expression `hcl:"list_delivered,optional"`
	MaxStore    hcl.Expression `hcl:"max_store,optional"`
	AckWait     hcl.Expression `hcl:"ack_wait,optional"`
	GroupCommit hcl.Expression `hcl:"group_commit,optional"`
	Compress    hcl.Expression `hcl:"compress,optional"`
}

// queues decodes the queue block (at most one in the whole config).
func (l *loader) queues() hcl.Diagnostics {
	var diags hcl.Diagnostics
	l.parsed.blocks(blockQueue, func(pf *parsedFile, b *hcl.Block) {
		if d := single(&l.queue, b); d != nil {
			diags = append(diags, d...)
			return
		}
		var q rawQueue
		diags = append(diags, gohcl.DecodeBody(b.Body, nil, &q)...)
		diags = append(diags, l.decodeQueue(&q, pf.ectx)...)
	})
	return diags
}

func (l *loader) decodeQueue(q *rawQueue, ectx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	qc := &l.cfg.Queue
	evalString(q.Backend, ectx, &qc.Backend, &diags)
	evalString(q.URL, ectx, &qc.URL, &diags)
	evalString(q.Sync, ectx, &qc.Sync, &diags)
	evalDuration(q.DedupWindow, ectx, &qc.DedupWindow, &diags)
	evalDuration(q.Retention, ectx, &qc.Retention, &diags)
	evalDuration(q.Delivered, ectx, &qc.DeliveredRetention, &diags)
	evalSize(q.MaxStore, ectx, &qc.MaxStore, &diags)
	evalInt(q.Listed, ectx, &qc.ListDelivered, 1, &diags)
	evalDuration(q.AckWait, ectx, &qc.AckWait, &diags)
	if least := max(time.Minute, 2*cmp.Or(qc.AckWait, DefaultAckWait)); qc.DeliveredRetention > 0 && qc.DeliveredRetention < least && qc.DeliveredRetention < cmp.Or(qc.Retention, DefaultRetention) {
		r := q.Delivered.Range()
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "delivered_retention too short", Detail: fmt.Sprintf("%s: keep the records of delivered events at least %s (a minute, and twice ack_wait): a delivery whose acknowledgement was lost comes back after ack_wait, and its record is what says it was delivered.", qc.DeliveredRetention, least), Subject: &r})
	}
	if ret := cmp.Or(qc.Retention, DefaultRetention); qc.DeliveredRetention > ret {
		r := q.Delivered.Range()
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "delivered_retention longer than retention", Detail: fmt.Sprintf("%s is longer than retention (%s): records of delivered events are kept at most as long as the others.", qc.DeliveredRetention, ret), Subject: &r})
	}
	if v, ok := eval(q.GroupCommit, ectx, cty.Bool, &diags); ok {
		b := v.True()
		qc.groupCommitSet = &b
	}
	if v, ok := eval(q.Compress, ectx, cty.Bool, &diags); ok {
		b := v.True()
		qc.compressSet = &b
	}
	switch qc.Backend {
	case "", BackendJetStream, BackendMemory:
	default:
		r := q.Backend.Range()
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown queue backend", Detail: fmt.Sprintf("%q: use \"jetstream\" (durable, the default) or \"memory\" (lost on exit).", qc.Backend), Subject: &r})
	}
	switch qc.Sync {
	case "", SyncAlways, SyncInterval:
	default:
		r := q.Sync.Range()
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown sync mode", Detail: fmt.Sprintf("%q: use \"interval\" (the default) or \"always\".", qc.Sync), Subject: &r})
	}
	if qc.URL != "" && qc.Sync == SyncAlways {
		r := q.Sync.Range()
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "sync applies to the embedded server only", Detail: "With an external NATS url, set sync_interval: always in that server's configuration instead.", Subject: &r})
	}
	return diags
}

func (l *loader) queueDefaults() {
	q := &l.cfg.Queue
	setDefault(&q.Backend, BackendJetStream)
	setDefault(&q.Sync, SyncInterval)
	setDefault(&q.DedupWindow, DefaultDedupWindow)
	setDefault(&q.Retention, DefaultRetention)
	setDefault(&q.DeliveredRetention, min(DefaultDeliveredRetention, q.Retention))
	setDefault(&q.AckWait, DefaultAckWait)
	// Group commit pays only when every write is fsynced: nats-server
	// stages each atomic batch in a store of its own, which costs more
	// than it saves when writes are not synced one by one.
	q.GroupCommit = q.Sync == SyncAlways
	if q.groupCommitSet != nil {
		q.GroupCommit = *q.groupCommitSet
	}
	q.Compress = true
	if q.compressSet != nil {
		q.Compress = *q.compressSet
	}
}
