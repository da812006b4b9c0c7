package detector_test

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sellerguard/sellerguard/redistest"
)

var benchScenes = flag.Int("scenes", 5000, "BenchmarkPipeline: stories in the simulated world (5000: about 60 000 events)")

// BenchmarkPipeline measures the detector with a real redis-server: decode,
// store facts, fan out, load cases, assess, save, in batches of 500. Each
// iteration runs a whole simulated world into an emptied Redis, so the data
// grows as in a shop's first weeks (busy parcel stations included) and no
// event is a replay; -args -scenes N sets its size. It runs with one worker
// and with the default, and reports Redis CPU per event (INFO cpu) and
// Redis memory per stored event (INFO memory). Kafka is left out (see
// cmd/sellerguard's BenchmarkEndToEnd for the whole path).
func BenchmarkPipeline(b *testing.B) {
	raws, _ := simulate(b, 99, *benchScenes)
	for _, workers := range []int{1, 0} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			pl := newPipelineWorkers(b, []string{redistest.Start(b)}, workers)
			rc := redis.NewClient(&redis.Options{Addr: pl.addr})
			defer rc.Close()
			const batch = 500
			var busy time.Duration
			var cpu float64
			for range b.N {
				b.StopTimer()
				if err := rc.FlushAll(context.Background()).Err(); err != nil {
					b.Fatal(err)
				}
				before := info(b, rc, "cpu", "used_cpu_user", "used_cpu_sys")
				b.StartTimer()
				start := time.Now()
				for lo := 0; lo < len(raws); lo += batch {
					pl.feed(b, raws[lo:min(lo+batch, len(raws))])
				}
				busy += time.Since(start)
				cpu += info(b, rc, "cpu", "used_cpu_user", "used_cpu_sys") - before
			}
			events := float64(b.N * len(raws))
			b.ReportMetric(events/busy.Seconds(), "events/s")
			b.ReportMetric(cpu*1e6/events, "redis_cpu_µs/event")
			b.ReportMetric(info(b, rc, "memory", "used_memory_dataset")/float64(len(raws)), "redis_bytes/event")
		})
	}
}

// info sums the named fields of one INFO section.
func info(b *testing.B, rc *redis.Client, section string, fields ...string) float64 {
	b.Helper()
	text, err := rc.Info(context.Background(), section).Result()
	if err != nil {
		b.Fatal(err)
	}
	sum := 0.0
	for _, line := range strings.Split(text, "\r\n") {
		for _, f := range fields {
			if v, ok := strings.CutPrefix(line, f+":"); ok {
				n, _ := strconv.ParseFloat(v, 64)
				sum += n
			}
		}
	}
	return sum
}
