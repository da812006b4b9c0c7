// Package kafkatest starts an in-process Kafka-protocol cluster (kfake) for
// tests and the demo. It keeps everything in memory: nothing survives Close.
package kafkatest

import (
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// DefaultPartitions is the partition count Start gives each topic.
const DefaultPartitions = 3

// Start starts a one-broker cluster on 127.0.0.1 with the given topics
// (DefaultPartitions each), closes it when the test ends, and returns the
// broker addresses.
func Start(tb testing.TB, topics ...string) []string {
	tb.Helper()
	addrs, closeFn, err := NewCluster(DefaultPartitions, topics...)
	if err != nil {
		tb.Fatalf("kafkatest: %v", err)
	}
	tb.Cleanup(closeFn)
	return addrs
}

// NewCluster starts a one-broker cluster on 127.0.0.1 with the given topics of
// the given partition count. closeFn stops it; call it exactly once.
func NewCluster(partitions int, topics ...string) (addrs []string, closeFn func(), err error) {
	if partitions < 1 {
		return nil, nil, fmt.Errorf("kafkatest: partitions: must be at least 1, got %d", partitions)
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		// Topics the service creates itself (EnsureTopics) get the same count.
		kfake.DefaultNumPartitions(partitions),
	}
	if len(topics) > 0 {
		opts = append(opts, kfake.SeedTopics(int32(partitions), topics...))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("kafkatest: start cluster: %w", err)
	}
	return c.ListenAddrs(), c.Close, nil
}
