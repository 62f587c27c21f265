// Package queue is the engine's one interface to event storage: publish an
// accepted event, consume it once per (pipeline, sink) consumer, and settle
// each delivery with Ack, Nak (redeliver after a delay) or Term (give up).
// The shape follows NATS JetStream (one stream per engine, subject per
// pipeline, a durable consumer per sink) so the durable implementation is a
// drop-in.
//
// JetStream also sizes NATS for the largest body the ingress accepts
// (limits.go), watches the embedded store's disk and restarts a store that
// failed to write (health.go, Readiness), and does not hand out again a
// delivery whose record says it was settled before a restart (settled.go:
// the records of the last SettledWindow are read once at open; a
// redelivery is looked up, and its attempt number is its record's count
// plus one, so deliveries handed back unattempted spend no attempt). A
// JetStream consumer hands out twice the sink's concurrency, so workers
// find their next delivery waiting (their lease renewed while they wait,
// so a held worker does not make the server hand them out twice); one
// handed back is given a stored redelivery time, so it goes out within a
// second after a restart (not after ack_wait). The records of deliveries
// that succeeded at their first attempt go to the delivered log
// (donelog.go: many to a message, one subject per sink and range of
// sequences, no key each) and every other record to the history bucket,
// one key per delivery; records of delivered events expire after
// DeliveredRetention (the log's age limit, a per-message TTL in the
// bucket), the others after Retention. Sync "always" with group commit on Linux (syncfs.go) lets the
// embedded server write without fsync and makes each caller wait for one
// sync of the store's filesystem that began after its write; elsewhere
// JetStream atomic batches group the writes (batch.go), where a saturated
// batch lingers while requests keep coming. Event bodies are stored
// S2-compressed when the config says so (compress.go); one that cannot be
// decoded is dead-lettered with the reason. A consumer's pull asks for as
// many messages as it may hold unacknowledged (asking for fewer lost pull
// requests under load), and a request lost anyway is noticed by its
// missing heartbeats within a second. Lists (Searcher) come from an
// in-memory index of record summaries (index.go) that keeps every record
// not delivered and the newest DeliveredListed delivered ones. With the
// embedded server the dedup window beyond the server's last ten seconds
// is kept here (ids.go: a hash of each id and its sequence, confirmed
// against the stored event, read back at open), not in nats-server's
// map of ids, at about a fifth of the memory.
//
// Memory is the in-process implementation: bounded, fast, and honest about
// what it is: events are lost if the process stops.
//
// It imports only sdk.
package queue
