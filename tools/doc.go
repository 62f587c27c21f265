// Package tools holds developer tooling: tools/loadgen, the bounded
// loopback load generator behind the queue and throughput figures in
// docs/operations.md.
package tools
