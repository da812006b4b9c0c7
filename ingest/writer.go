package ingest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sellerguard/sellerguard/event"
)

// Writer publishes to one topic and waits for every in-sync replica.
type Writer struct {
	w  *kafka.Writer
	tr *kafka.Transport
}

// NewWriter returns a Writer for topic. It connects lazily, on first Publish.
func NewWriter(brokers []string, topic string) *Writer {
	// Own transport: kafka-go's shared default caches metadata across
	// writers, and Close can then release this writer's connections.
	tr := &kafka.Transport{DialTimeout: 5 * time.Second, MetadataTTL: 10 * time.Second}
	return &Writer{
		tr: tr,
		w: &kafka.Writer{
			Addr:      kafka.TCP(brokers...),
			Topic:     topic,
			Transport: tr,
			// kafka-go's zero value waits for no acknowledgement at all.
			RequiredAcks: kafka.RequireAll,
			// The default 1s makes every synchronous write take a second.
			BatchTimeout: 5 * time.Millisecond,
			// The default round-robins keys; Murmur2 places them like
			// Java clients, keeping one key in one partition.
			Balancer:               &kafka.Murmur2Balancer{},
			AllowAutoTopicCreation: false,
			WriteTimeout:           10 * time.Second,
			ReadTimeout:            10 * time.Second,
		},
	}
}

// Publish writes msgs (Key, Value, Headers; Raw.Topic is ignored) and
// returns once all are acknowledged. On error some may have been written:
// there is no idempotent producer, so a retry can duplicate.
func (w *Writer) Publish(ctx context.Context, msgs []event.Raw) error {
	if len(msgs) == 0 {
		return nil
	}
	out := make([]kafka.Message, len(msgs))
	for i, m := range msgs {
		out[i] = kafka.Message{Key: m.Key, Value: m.Value, Headers: toHeaders(m.Headers)}
	}
	if err := w.w.WriteMessages(ctx, out...); err != nil {
		return fmt.Errorf("ingest: publish to %s: %w", w.w.Topic, err)
	}
	return nil
}

// Close flushes nothing (Publish is synchronous) and releases connections.
func (w *Writer) Close() error {
	err := w.w.Close()
	w.tr.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("ingest: close writer for %s: %w", w.w.Topic, err)
	}
	return nil
}

// toHeaders sorts by key so the written order does not depend on map order.
func toHeaders(h map[string]string) []kafka.Header {
	if len(h) == 0 {
		return nil
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]kafka.Header, len(keys))
	for i, k := range keys {
		out[i] = kafka.Header{Key: k, Value: []byte(h[k])}
	}
	return out
}
