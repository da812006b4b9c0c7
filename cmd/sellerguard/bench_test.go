package main

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/kafkatest"
	"github.com/sellerguard/sellerguard/redistest"
	"github.com/sellerguard/sellerguard/sim"
)

// BenchmarkEndToEnd runs the daemon as main builds it against the in-process
// Kafka-protocol broker and a real redis-server, fed by the simulator. It
// reports:
//   - events/s: a backlog of 30 000 events, produced before the daemon
//     starts, consumed, stored, assessed, published and committed;
//   - p50_ms, p99_ms: decision latency while 5 000 events arrive at a
//     steady 1 000/s, from the broker's acknowledgement of an event to the
//     timestamp of each decision it caused.
func BenchmarkEndToEnd(b *testing.B) {
	cfg := defaultConfig()
	var rate, p50, p99 float64
	for b.Loop() {
		backlog := simRecords(cfg, 5, 30000)
		s := benchStack(b, cfg)
		produce(b, s.brokers, backlog...)
		start := time.Now()
		s2 := startDaemon(b, s.brokers, redistest.Start(b))
		waitProcessed(b, s2, len(backlog))
		rate = float64(len(backlog)) / time.Since(start).Seconds()

		p50, p99 = steadyLatency(b, cfg, simRecords(cfg, 6, 5000), 1000)
	}
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(p50, "p50_ms")
	b.ReportMetric(p99, "p99_ms")
}

// benchStack is a broker with the topics and no daemon yet.
func benchStack(b *testing.B, cfg fileConfig) stack {
	return stack{brokers: kafkatest.Start(b, cfg.Topics.all()...), cfg: cfg}
}

func simRecords(cfg fileConfig, seed uint64, n int) []*kgo.Record {
	s := sim.New(sim.Config{Seed: seed})
	var recs []*kgo.Record
	for len(recs) < n {
		for _, e := range s.Scene().Events {
			recs = append(recs, &kgo.Record{Topic: topicOf(cfg, e.Kind), Key: []byte(e.Key), Value: e.Value})
		}
	}
	return recs
}

func topicOf(cfg fileConfig, k event.Kind) string {
	switch k {
	case event.KindOrder:
		return cfg.Topics.Orders
	case event.KindRefund:
		return cfg.Topics.Refunds
	case event.KindReturn:
		return cfg.Topics.Returns
	}
	return cfg.Topics.Messages
}

func produce(b testing.TB, brokers []string, recs ...*kgo.Record) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ProducerLinger(2*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
}

// waitProcessed waits until the daemon has stored the facts of n events.
func waitProcessed(b testing.TB, s stack, n int) {
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		if processed(b, s) >= float64(n) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatalf("processed %v of %d events", processed(b, s), n)
}

func processed(b testing.TB, s stack) float64 {
	mfs, err := s.d.registry.Gather()
	if err != nil {
		b.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == "sellerguard_events_processed_total" || mf.GetName() == "sellerguard_events_invalid_total" {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// steadyLatency feeds recs at perSecond and measures, for every decision,
// the time since each event that caused it was acknowledged.
func steadyLatency(b *testing.B, cfg fileConfig, recs []*kgo.Record, perSecond int) (p50, p99 float64) {
	s := benchStack(b, cfg)
	s = startDaemon(b, s.brokers, redistest.Start(b))
	var mu sync.Mutex
	acked := map[string]time.Time{}
	var lat []float64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			s.client.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
				if r.Topic != cfg.Topics.Decisions {
					return
				}
				var d struct {
					EventIDs []string `json:"event_ids"`
				}
				_ = json.Unmarshal(r.Value, &d)
				mu.Lock()
				for _, id := range d.EventIDs {
					if t, ok := acked[id]; ok {
						lat = append(lat, float64(r.Timestamp.Sub(t).Microseconds())/1000)
					}
				}
				mu.Unlock()
			})
		}
	}()
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.brokers...))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	tick := time.NewTicker(time.Second / time.Duration(perSecond))
	defer tick.Stop()
	for _, r := range recs {
		<-tick.C
		var h struct {
			EventID string `json:"event_id"`
		}
		_ = json.Unmarshal(r.Value, &h)
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			b.Fatal(err)
		}
		mu.Lock()
		acked[h.EventID] = time.Now()
		mu.Unlock()
	}
	waitProcessed(b, s, len(recs))
	time.Sleep(200 * time.Millisecond) // the last decisions reach the topic
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(lat) == 0 {
		b.Fatal("no decisions seen")
	}
	slices.Sort(lat)
	return lat[len(lat)/2], lat[len(lat)*99/100]
}
