package ingest_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/ingest"
	"github.com/sellerguard/sellerguard/kafkatest"
)

func TestWriterPublishesKeysHeadersAndPlacesKeysByMurmur2(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Start(t, "refund-decisions")
	w := ingest.NewWriter(brokers, "refund-decisions")

	const n = 60
	msgs := make([]event.Raw, n)
	for i := range n {
		msgs[i] = event.Raw{
			Topic:   "ignored-topic", // the writer's topic wins
			Key:     fmt.Appendf(nil, "R%d", i%10),
			Value:   fmt.Appendf(nil, `{"i":%d}`, i),
			Headers: map[string]string{"seq": strconv.Itoa(i), "content-type": "application/json"},
		}
	}
	if err := w.Publish(ctxWithTimeout(t, waitTimeout), msgs[:n-3]); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	// A literal kafka.Writer lingers 1s for a batch to fill, so every
	// synchronous one-message write would take a second; ours must not.
	fastest := time.Hour
	for _, m := range msgs[n-3:] {
		start := time.Now()
		if err := w.Publish(ctxWithTimeout(t, waitTimeout), []event.Raw{m}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		fastest = min(fastest, time.Since(start))
	}
	if fastest > 900*time.Millisecond {
		t.Errorf("a one-message Publish took at least %s, want well under kafka-go's 1s default batch timeout", fastest)
	}
	if err := w.Publish(ctxWithTimeout(t, waitTimeout), nil); err != nil {
		t.Errorf("Publish of nothing: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}

	// Acknowledged means readable right away: the end offsets already add up.
	total := int64(0)
	for _, off := range endOffsets(t, brokers, partitions, "refund-decisions") {
		total += off
	}
	if total != n {
		t.Fatalf("end offsets add up to %d, want %d", total, n)
	}

	got := readAll(t, brokers, "refund-decisions", n)
	keyPartition := map[string]int{}
	lastSeq := map[string]int{}
	usedPartitions := map[int]bool{}
	seen := map[string]bool{}
	for _, m := range got {
		key := string(m.Key)
		h := map[string]string{}
		for _, kv := range m.Headers {
			h[kv.Key] = string(kv.Value)
		}
		seq, err := strconv.Atoi(h["seq"])
		if err != nil || h["content-type"] != "application/json" {
			t.Fatalf("headers not written: %v", m.Headers)
		}
		if want := fmt.Sprintf(`{"i":%d}`, seq); string(m.Value) != want {
			t.Errorf("value %q, want %q", m.Value, want)
		}
		if wantKey := fmt.Sprintf("R%d", seq%10); key != wantKey {
			t.Errorf("key %q, want %q", key, wantKey)
		}
		seen[string(m.Value)] = true
		if p, ok := keyPartition[key]; ok && p != m.Partition {
			t.Errorf("key %s in partitions %d and %d", key, p, m.Partition)
		}
		keyPartition[key] = m.Partition
		usedPartitions[m.Partition] = true
		// Java-compatible placement, checked against franz-go's own
		// murmur2 partitioner rather than kafka-go's.
		if want := javaPartitioner.Partition(&kgo.Record{Key: m.Key}, partitions); m.Partition != want {
			t.Errorf("key %s in partition %d, Java's murmur2 placement is %d", key, m.Partition, want)
		}
		if prev, ok := lastSeq[key]; ok && seq < prev {
			t.Errorf("key %s: seq %d after %d, order within a key lost", key, seq, prev)
		}
		lastSeq[key] = seq
	}
	if len(seen) != n {
		t.Errorf("read %d distinct messages, want %d", len(seen), n)
	}
	if len(usedPartitions) < 2 {
		t.Errorf("10 keys all landed in %v; want them spread", usedPartitions)
	}
}

var javaPartitioner = kgo.StickyKeyPartitioner(nil).ForTopic("refund-decisions")

// readAll reads want messages from all partitions of topic, in partition order.
func readAll(t *testing.T, brokers []string, topic string, want int) []kafka.Message {
	t.Helper()
	ctx := ctxWithTimeout(t, waitTimeout)
	var out []kafka.Message
	ends := endOffsets(t, brokers, partitions, topic)
	for p := range partitions {
		end := ends[tp{topic, p}]
		if end == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p, MaxWait: 100 * time.Millisecond})
		for {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				r.Close()
				t.Fatalf("read %s/%d: %v", topic, p, err)
			}
			out = append(out, m)
			if m.Offset+1 >= end {
				break
			}
		}
		r.Close()
	}
	if len(out) != want {
		t.Fatalf("read %d messages, want %d", len(out), want)
	}
	return out
}

func TestWriterFailsOnMissingTopic(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Start(t)
	w := ingest.NewWriter(brokers, "no-such-topic")
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err := w.Publish(ctx, []event.Raw{{Value: []byte("x")}})
	if err == nil {
		t.Fatal("Publish to a missing topic succeeded; auto-creation must be off")
	}
	if ctx.Err() != nil {
		t.Errorf("Publish only failed at the deadline (%v); want a prompt error", err)
	}
	// The topic must still not exist: nothing auto-created it.
	if err := ingest.Ping(ctxWithTimeout(t, waitTimeout), brokers); err != nil {
		t.Fatal(err)
	}
	if topicExists(t, brokers, "no-such-topic") {
		t.Error("no-such-topic exists after Publish: it was auto-created")
	}
}

// topicExists reports whether topic exists.
func topicExists(t *testing.T, brokers []string, topic string) bool {
	t.Helper()
	resp, err := client(t, brokers).Metadata(ctxWithTimeout(t, waitTimeout), &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	for _, tm := range resp.Topics {
		if tm.Name == topic && tm.Error == nil {
			return true
		}
	}
	return false
}
