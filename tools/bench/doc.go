// Command bench measures hookferry against reference servers built from
// the same code, in one invocation with interleaved rounds, so the ratios
// between them mean something on a shared, noisy machine.
//
// Modes (each a fresh process per round, all on 127.0.0.1):
//
//	bare         a fasthttp handler that only answers 202: the ingest ceiling
//	forward      a synchronous forwarder: runs the same goja mapping
//	             (plugins/transforms/javascript) and posts the result to the
//	             destination before answering: no queue at all
//	benthos      only with -benthos PATH: Benthos v4.60 http_server →
//	             mapping (bloblang) → http_client, the shape issue 14
//	             measured; answers 200 once the output delivered
//	interval-js  hookferry, JetStream sync "interval", the JS mapping
//	always-js    hookferry, JetStream sync "always", the JS mapping
//	memory-js    hookferry, memory queue, the JS mapping
//	interval     hookferry, JetStream sync "interval", no transform
//	memory       hookferry, memory queue, no transform
//
// The benthos mode runs a Benthos binary built from the module in
// tools/bench/benthos (its own go.mod, outside go.work, so neither the
// main module's tests nor CI build Benthos):
//
//	(cd tools/bench/benthos && go build -o /tmp/benthos-ref .)
//	go run ./tools/bench -bin /tmp/hookferry -benthos /tmp/benthos-ref -modes forward,benthos,interval-js -rounds 3 -n 20000 -open 5s
//
// Its config (benthosConfig in serve.go, written to a temporary file and
// passed with -c) maps with bloblangMapping, the JS mapping translated
// field by field, and posts with max_in_flight = -sink-concurrency (64);
// Benthos's HTTP API server is off, its metrics and everything else are
// its defaults. Without -modes, -benthos adds benthos to the default
// modes; -bin is needed only for hookferry modes. The report adds
// interval-js delivered / benthos delivered (issue 14's target: ≥ 3), the
// median of the per-round ratios with their spread.
//
// Every mode that maps (forward, benthos, the -js modes) is checked once
// per round: the first body the destination received after the closed
// loop must be the JS mapping's message for the request body (the same
// fields and values; key order and escaping may differ), or the run
// fails. tools/bench/benthos's test runs the benthos mode that way on a
// push with multi-line, non-ASCII commit messages.
//
// With -base OLD_BINARY every hookferry mode also runs from that binary
// (named base/<mode>), in the same rounds: a change's before and after.
// -env and -base-env add KEY=VALUE to each side's environment, so -base
// set to the same binary compares settings (GOMEMLIMIT, GOGC).
//
// With -telemetry every hookferry mode also runs with metrics and tracing
// off (MODE+off, through the developer variable HOOKFERRY_DISABLE_METRICS),
// tracing at sample_ratio 0 and 0.1 (MODE+trace0, MODE+trace0.1, metrics
// off) and both on (MODE+all); the plain MODE is the default, metrics on.
// Traces go over OTLP/HTTP to a loopback sink that decodes and discards
// them. The report ends with each variant's acked/s and CPU per event
// against MODE+off (issue 11's target: acked ≥ 0.95):
//
//	go run ./tools/bench -bin /tmp/hookferry -telemetry -modes memory-js,memory,interval-js,interval -open 0
//
// Each mode runs two phases. closed: -c senders post -n requests as fast
// as they are answered (saturation). open: requests at a fixed rate (-rate,
// or half of the mode's closed-loop acked/s in the same round) for -open,
// latency counted from each request's scheduled time, so a stalled server
// cannot hide its queueing. After each phase the tool waits until the
// loopback destination has received every acknowledged event (the drain).
//
// Columns: acked/s (2xx answers per second), delivered/s (events counted at
// the destination per second, from the first request to the end of the
// drain), p50/p99 ack latency, CPU per delivered event (user+system time
// of the server process over the phase, from /proc; per acked request for
// bare), peak RSS (VmHWM of the server process that ran the phase: the
// open loop runs in a fresh process with a fresh store, since a process
// that ran at saturation keeps its heap for a while after). Each
// figure is the median over the rounds. Then the ratios issue 14 names:
// delivered/acked, interval-js vs forward, interval vs bare, and every
// mode against its base/ twin. Before/after and telemetry costs are the
// median of the ratios within each round, with their spread: this
// machine's speed drifts between rounds (by a third in one run), so a
// ratio of medians could pair a fast round with a slow one.
//
// -sink-concurrency sets the hookferry sink's concurrency (default 64).
//
// With -backlog N (hookferry modes, last round) each mode then meets an
// outage: the destination answers 503 while N events are sent closed
// loop, then comes back. The report's backlog table gives the acked/s
// during the outage, the largest RSS while the backlog built and while it
// drained, the drain rate (delivered/s between 5% and 95% of the backlog,
// so neither the breaker's cooldown nor the first events' retry delay
// counts) against the mode's steady closed-loop delivered/s, and the time
// until the last event arrived. Issue 14's case, about 7 GB of disk with
// the default body:
//
//	go run ./tools/bench -bin /tmp/hookferry -modes interval-js -n 20000 -open 5s -backlog 1000000 -drain 5m
//
// Full run (a few minutes on 2 cores):
//
//	go build -o /tmp/hookferry ./cmd/hookferry
//	go run ./tools/bench -bin /tmp/hookferry -rounds 3 -n 20000 -open 10s
//
// Smoke run (what TestSmokePrintsEveryColumn does): -smoke, a few hundred
// requests per mode. Linux only (/proc). Bounded by -n, -open and -timeout.
package main
