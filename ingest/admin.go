package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// adminTimeout bounds admin calls whose context has no deadline.
const adminTimeout = 30 * time.Second

// EnsureTopics creates those of topics that do not exist, each with the given
// partition count and the brokers' default replication factor. Existing
// topics are left as they are, whatever their partition count. It returns
// once the new topics show in the cluster metadata.
func EnsureTopics(ctx context.Context, brokers []string, partitions int, topics ...string) error {
	if len(brokers) == 0 {
		return errors.New("ingest: ensure topics: brokers: at least one broker is required")
	}
	if partitions < 1 {
		return fmt.Errorf("ingest: ensure topics: partitions: must be at least 1, got %d", partitions)
	}
	if len(topics) == 0 {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, adminTimeout)
		defer cancel()
	}
	// A private transport: the shared default caches metadata, and its
	// connections would outlive this one-off call.
	tr := &kafka.Transport{DialTimeout: 5 * time.Second}
	defer tr.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr}

	req := &kafka.CreateTopicsRequest{}
	for _, t := range topics {
		req.Topics = append(req.Topics, kafka.TopicConfig{
			Topic:         t,
			NumPartitions: partitions,
			// -1 takes the brokers' default.replication.factor (needs
			// CreateTopics v4+, Kafka 2.4+), so production gets its RF
			// and a one-broker test cluster gets 1.
			ReplicationFactor: -1,
		})
	}
	// The client sends this to the controller and, on success, waits until
	// the new topics appear in its metadata.
	resp, err := client.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("ingest: ensure topics: %w", err)
	}
	var errs []error
	for _, t := range topics {
		if err := resp.Errors[t]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("ingest: ensure topics: create %s: %w", t, err))
		}
	}
	return errors.Join(errs...)
}

// Ping connects to the first reachable broker and reads the cluster
// metadata: the readiness check for Kafka.
func Ping(ctx context.Context, brokers []string) error {
	if len(brokers) == 0 {
		return errors.New("ingest: ping: brokers: at least one broker is required")
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Second)
	}
	d := &kafka.Dialer{Timeout: time.Until(deadline)}
	var errs []error
	for _, b := range brokers {
		if err := pingOne(ctx, d, b, deadline); err != nil {
			errs = append(errs, err)
			continue
		}
		return nil
	}
	return fmt.Errorf("ingest: ping: %w", errors.Join(errs...))
}

func pingOne(ctx context.Context, d *kafka.Dialer, broker string, deadline time.Time) error {
	conn, err := d.DialContext(ctx, "tcp", broker)
	if err != nil {
		return fmt.Errorf("%s: %w", broker, err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return fmt.Errorf("%s: %w", broker, err)
	}
	// No topic names: a metadata request for everything, version
	// negotiated (Conn.Brokers would send Metadata v1 whatever the broker).
	if _, err := conn.ReadPartitions(); err != nil {
		return fmt.Errorf("%s: read metadata: %w", broker, err)
	}
	return nil
}
