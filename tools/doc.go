// Package tools holds developer tooling: tools/loadgen, the bounded
// loopback load generator behind the queue and throughput figures in
// docs/operations.md, and tools/bench, which measures hookferry in each
// queue mode against reference servers (a bare handler, a synchronous
// forwarder) in interleaved rounds (the README's performance table).
package tools
