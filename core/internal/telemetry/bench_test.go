package telemetry

import (
	"testing"
	"time"

	"github.com/hookferry/hookferry/internal/buildinfo"
)

// BenchmarkIngressMeter: what metrics add to one accepted webhook on the
// ingress path (the result counted, size and time observed), against the
// nil meter the engine uses with metrics off, in the same run; parallel,
// as requests are.
func BenchmarkIngressMeter(b *testing.B) {
	m := New(buildinfo.Info{}, nil)
	for _, tc := range []struct {
		name string
		in   *Ingress
	}{{"off", nil}, {"on", m.Ingress("p", "http")}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					start := time.Now()
					tc.in.Count(Accepted)
					tc.in.Request(4096, time.Since(start))
				}
			})
		})
	}
}
