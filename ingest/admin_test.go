package ingest_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/ingest"
	"github.com/sellerguard/sellerguard/kafkatest"
)

// partitionCounts reads the partition count of each topic from the cluster.
func partitionCounts(t *testing.T, brokers []string, topics ...string) map[string]int {
	t.Helper()
	resp, err := client(t, brokers).Metadata(ctxWithTimeout(t, waitTimeout), &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	out := map[string]int{}
	for _, tm := range resp.Topics {
		if tm.Error == nil {
			out[tm.Name] = len(tm.Partitions)
		}
	}
	return out
}

func TestEnsureTopicsIsIdempotent(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Start(t, "seeded")
	ctx := ctxWithTimeout(t, waitTimeout)

	steps := []struct {
		name       string
		partitions int
		topics     []string
		want       map[string]int
	}{
		{"create two", 4, []string{"orders", "refunds"}, map[string]int{"orders": 4, "refunds": 4}},
		{"again, unchanged", 4, []string{"orders", "refunds"}, map[string]int{"orders": 4, "refunds": 4}},
		{"existing keep their count, new one created", 2, []string{"orders", "seeded", "sellerguard.dlq"},
			map[string]int{"orders": 4, "seeded": partitions, "sellerguard.dlq": 2}},
		{"nothing to do", 1, nil, map[string]int{"orders": 4}},
	}
	for _, s := range steps {
		if err := ingest.EnsureTopics(ctx, brokers, s.partitions, s.topics...); err != nil {
			t.Fatalf("%s: EnsureTopics: %v", s.name, err)
		}
		got := partitionCounts(t, brokers, "orders", "refunds", "seeded", "sellerguard.dlq")
		for topic, n := range s.want {
			if got[topic] != n {
				t.Errorf("%s: %s has %d partitions, want %d", s.name, topic, got[topic], n)
			}
		}
	}

	// A created topic is usable right away.
	w := ingest.NewWriter(brokers, "sellerguard.dlq")
	defer w.Close()
	if err := w.Publish(ctx, []event.Raw{{Key: []byte("k"), Value: []byte("v")}}); err != nil {
		t.Errorf("Publish to a topic EnsureTopics created: %v", err)
	}
}

func TestEnsureTopicsRejectsBadArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		brokers    []string
		partitions int
	}{
		{"no brokers", nil, 3},
		{"zero partitions", []string{"127.0.0.1:9092"}, 0},
		{"negative partitions", []string{"127.0.0.1:9092"}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ingest.EnsureTopics(context.Background(), tt.brokers, tt.partitions, "t"); err == nil {
				t.Error("EnsureTopics succeeded, want an error")
			}
		})
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Start(t)

	// A port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name    string
		brokers []string
		ok      bool
	}{
		{"live broker", brokers, true},
		{"dead then live broker", append([]string{dead}, brokers...), true},
		{"dead broker", []string{dead}, false},
		{"no brokers", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			start := time.Now()
			err := ingest.Ping(ctx, tt.brokers)
			if (err == nil) != tt.ok {
				t.Errorf("Ping = %v, want ok=%v", err, tt.ok)
			}
			if d := time.Since(start); d > 4*time.Second {
				t.Errorf("Ping took %s, past its 3s context", d)
			}
		})
	}
}
