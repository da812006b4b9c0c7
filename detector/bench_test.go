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
// store facts, fan out, load cases, assess, save, in batches of 500. Each
// iteration runs a whole simulated world of about 60 000 events into an
// emptied Redis, so the data grows as in a shop's first weeks (busy parcel
// stations included) and no event is a replay. Kafka is left out (see
// cmd/sellerguard's BenchmarkEndToEnd for the whole path). It also reports
// Redis memory per stored event, read from INFO memory after the run.
func BenchmarkPipeline(b *testing.B) {
	raws, _ := simulate(b, 99, 5000)
	pl := newPipeline(b)
	rc := redis.NewClient(&redis.Options{Addr: pl.addr})
	defer rc.Close()
	const batch = 500
	var busy time.Duration
	for range b.N {
		b.StopTimer()
		if err := rc.FlushAll(context.Background()).Err(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		for lo := 0; lo < len(raws); lo += batch {
			pl.feed(b, raws[lo:min(lo+batch, len(raws))])
		}
		busy += time.Since(start)
	}
	b.ReportMetric(float64(b.N*len(raws))/busy.Seconds(), "events/s")
	stored := len(raws)
	info, err := rc.Info(context.Background(), "memory").Result()
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
