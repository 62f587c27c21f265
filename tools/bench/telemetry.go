package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// With -telemetry every hookferry mode m also runs as these variants, in
// the same interleaved rounds. m itself is the binary's default: metrics
// on, tracing off.
//
//	m+off       metrics off (HOOKFERRY_DISABLE_METRICS=1), tracing off: the baseline
//	m+trace0    metrics off, tracing on with sample_ratio 0
//	m+trace0.1  metrics off, tracing on with sample_ratio 0.1
//	m+all       metrics on and tracing at 0.1: a production setup
//
// Tracing exports over OTLP/HTTP to a loopback sink in this process that
// walks each request's wire format to count its spans and discards them,
// so the exporter really encodes and sends (the sink does not unmarshal:
// its CPU is taken from the same two cores).
//
// Any other ratio can be asked for by name (MODE+trace1: every event
// traced), to see what one sampled event costs.
var variants = []string{"off", "trace0", "trace0.1", "all"}

// knownVariant reports whether v is one of variants or traceR for a
// ratio R in [0, 1].
func knownVariant(v string) bool {
	_, ok := traceRatio(v)
	return ok || slices.Contains(variants, v)
}

// traceRatio is R of a variant named traceR, R in [0, 1].
func traceRatio(v string) (float64, bool) {
	rest, ok := strings.CutPrefix(v, "trace")
	r, err := strconv.ParseFloat(rest, 64)
	return r, ok && err == nil && r >= 0 && r <= 1
}

// cutVariant splits "memory-js+trace0.1" into "memory-js" and "trace0.1".
func cutVariant(mode string) (base, variant string) {
	base, variant, _ = strings.Cut(mode, "+")
	return base, variant
}

// variantSettings is what a variant adds to the config and environment;
// ratio < 0 means tracing off.
func variantSettings(variant string) (metrics bool, ratio float64) {
	switch variant {
	case "off":
		return false, -1
	case "all":
		return true, 0.1
	}
	if r, ok := traceRatio(variant); ok {
		return false, r
	}
	return true, -1
}

// telemetryBlock is the config's telemetry block for a variant ("" off).
func telemetryBlock(variant, otlp string) string {
	_, ratio := variantSettings(variant)
	if ratio < 0 {
		return ""
	}
	return fmt.Sprintf("telemetry {\n  otlp_endpoint = %q\n  sample_ratio  = %g\n}\n", "http://"+otlp+"/v1/traces", ratio)
}

// otlpSink is a loopback OTLP/HTTP traces receiver that keeps nothing.
type otlpSink struct {
	srv            *http.Server
	addr           string
	exports, spans atomic.Int64
	bad            atomic.Int64
}

func startOTLPSink() (*otlpSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &otlpSink{addr: ln.Addr().String()}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *otlpSink) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	n, ok := countSpans(body)
	if err != nil || r.URL.Path != "/v1/traces" || !ok {
		s.bad.Add(1)
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	s.exports.Add(1)
	s.spans.Add(int64(n))
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// countSpans counts the spans of an encoded ExportTraceServiceRequest by
// walking its wire format (resource_spans = 1, scope_spans = 2, spans =
// 2) without decoding them: the sink shares the machine's two cores with
// the server measured, and a full unmarshal of every span would bill the
// collector's work to the server. ok is false when the bytes are not that
// message's shape.
func countSpans(b []byte) (n int, ok bool) {
	// each calls f on every length-delimited field numbered num in b.
	each := func(b []byte, num protowire.Number, f func([]byte) bool) bool {
		for len(b) > 0 {
			fn, typ, l := protowire.ConsumeTag(b)
			if l < 0 {
				return false
			}
			b = b[l:]
			if fn == num && typ == protowire.BytesType {
				v, l := protowire.ConsumeBytes(b)
				if l < 0 || !f(v) {
					return false
				}
				b = b[l:]
				continue
			}
			if l = protowire.ConsumeFieldValue(fn, typ, b); l < 0 {
				return false
			}
			b = b[l:]
		}
		return true
	}
	ok = each(b, 1, func(rs []byte) bool {
		return each(rs, 2, func(ss []byte) bool {
			return each(ss, 2, func([]byte) bool { n++; return true })
		})
	})
	return n, ok
}

func (s *otlpSink) close() { _ = s.srv.Close() }

// telemetryRatios prints, for every mode measured with its variants, each
// variant's closed-loop acked/s and CPU per event against m+off's: the
// median over the rounds of the ratio within each round. A shared
// machine's speed drifts between rounds (by a third, seen here), and a
// ratio of medians would mix a fast round's baseline with a slow round's
// variant; the two runs of one round are minutes apart at most.
func telemetryRatios(o options, modes []string, results map[string][]sample) {
	printed := false
	for _, m := range modes {
		base, v := cutVariant(m)
		if v != "off" {
			continue
		}
		offs := results[m]
		if !printed {
			fmt.Fprintln(o.out, "telemetry cost (closed loop, against metrics and tracing off; median of the per-round ratios; target acked ≥ 0.95):")
			printed = true
		}
		for _, name := range modes {
			b, v := cutVariant(name)
			if b != base || v == "off" || strings.HasPrefix(name, "base/") {
				continue
			}
			acked := roundRatios(results[name], offs, func(s sample) float64 { return s.closed.acked })
			cpu := roundRatios(results[name], offs, func(s sample) float64 { return float64(s.closed.cpuPerEvent) })
			if len(acked) == 0 {
				continue
			}
			what := "metrics on"
			switch v {
			case "all":
				what = "metrics + tracing 0.1"
			case "":
			default:
				what = "tracing " + strings.TrimPrefix(v, "trace")
			}
			c := "-"
			if len(cpu) > 0 {
				c = fmt.Sprintf("%.2f", medianOf(cpu))
			}
			fmt.Fprintf(o.out, "  %-44s acked %5.3f (rounds %s)  CPU/event %s  spans/event %.2f\n",
				fmt.Sprintf("%s (%s)", base, what), medianOf(acked), spread(acked), c, median(results[name]).spansPerEvent)
		}
	}
}

// roundRatios is f(xs[r]) / f(bases[r]) for every round r where both
// are positive: each round's variant against the same round's baseline.
func roundRatios(xs, bases []sample, f func(sample) float64) []float64 {
	var v []float64
	for r, s := range xs {
		if r < len(bases) && f(bases[r]) > 0 && f(s) > 0 {
			v = append(v, f(s)/f(bases[r]))
		}
	}
	return v
}

// medianOf is the median of v (which it sorts).
func medianOf(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// spread is v's smallest and largest value, "0.93–0.98".
func spread(v []float64) string {
	return fmt.Sprintf("%.2f–%.2f", slices.Min(v), slices.Max(v))
}
