package detector_test

import (
	"testing"
	"time"
)

// BenchmarkPipeline measures the detector with a real redis-server: decode,
// store facts, fan out, load cases, assess, save, in batches of 500
// simulated events. Kafka is left out (see cmd/sellerguard's
// BenchmarkEndToEnd for the whole path).
func BenchmarkPipeline(b *testing.B) {
	raws, _ := simulate(b, 99, 3000)
	pl := newPipeline(b)
	const batch = 500
	start := time.Now()
	events := 0
	for i := 0; b.Loop(); i++ {
		lo := (i * batch) % len(raws)
		hi := min(lo+batch, len(raws))
		pl.feed(b, raws[lo:hi])
		events += hi - lo
	}
	b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
}
