package detector_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// BenchmarkPipeline measures the detector with a real redis-server: decode,
// store facts, fan out, load cases, assess, save, in batches of 500
// simulated events. Kafka is left out (see cmd/sellerguard's
// BenchmarkEndToEnd for the whole path). It also reports Redis memory per
// stored event, read from INFO memory after the run.
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
	stored := min(events, len(raws))
	info, err := redis.NewClient(&redis.Options{Addr: pl.addr}).Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory_dataset:"); ok {
			n, _ := strconv.ParseFloat(v, 64)
			b.ReportMetric(n/float64(stored), "redis_bytes/event")
		}
	}
}
