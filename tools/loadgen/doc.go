// Command loadgen measures hookferry on loopback, in one run, so the
// numbers are comparable: accepted webhooks per second and ack latency
// (p50/p99) for the in-memory queue and JetStream with sync "interval" and
// "always", each also with the group-commit setting flipped from its default
// (interval-group: group commit on; always-single: one publish per event),
// and end-to-end delivered events per second through a JavaScript transform
// to a local HTTP sink.
//
//	go build -o /tmp/hookferry ./cmd/hookferry
//	go run ./tools/loadgen -bin /tmp/hookferry -body testdata/corpus/octokit-webhooks/api.github.com/push/payload.json
//
// Every request goes to 127.0.0.1; the run is bounded by -n and -timeout.
package main
