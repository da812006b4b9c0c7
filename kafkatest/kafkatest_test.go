package kafkatest_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sellerguard/sellerguard/kafkatest"
)

// topicPartitions asks the cluster for the partition count of each topic,
// with franz-go so that this package's tests stay independent of ingest.
func topicPartitions(t *testing.T, addrs []string, topics ...string) map[string]int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	for _, topic := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	out := map[string]int{}
	for _, rt := range resp.Topics {
		if rt.ErrorCode == 0 && rt.Topic != nil {
			out[*rt.Topic] = len(rt.Partitions)
		}
	}
	return out
}

func TestStartSeedsTopicsOnLoopback(t *testing.T) {
	addrs := kafkatest.Start(t, "orders", "refunds")
	if len(addrs) != 1 {
		t.Fatalf("addrs = %v, want one broker", addrs)
	}
	host, _, err := net.SplitHostPort(addrs[0])
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("broker address %q, want one on 127.0.0.1", addrs[0])
	}
	got := topicPartitions(t, addrs, "orders", "refunds", "absent")
	want := map[string]int{"orders": kafkatest.DefaultPartitions, "refunds": kafkatest.DefaultPartitions}
	if len(got) != len(want) || got["orders"] != want["orders"] || got["refunds"] != want["refunds"] {
		t.Errorf("topics = %v, want %v (and no auto-created \"absent\")", got, want)
	}
}

func TestNewCluster(t *testing.T) {
	tests := []struct {
		name       string
		partitions int
		topics     []string
		wantErr    bool
	}{
		{"one partition", 1, []string{"a"}, false},
		{"several topics", 5, []string{"a", "b", "c"}, false},
		{"no topics", 2, nil, false},
		{"zero partitions", 0, []string{"a"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addrs, closeFn, err := kafkatest.NewCluster(tt.partitions, tt.topics...)
			if tt.wantErr {
				if err == nil {
					closeFn()
					t.Fatal("NewCluster succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := topicPartitions(t, addrs, tt.topics...)
			for _, topic := range tt.topics {
				if got[topic] != tt.partitions {
					t.Errorf("%s has %d partitions, want %d", topic, got[topic], tt.partitions)
				}
			}
			closeFn()
			// Closed means the port no longer accepts connections.
			deadline := time.Now().Add(2 * time.Second)
			for {
				conn, err := net.DialTimeout("tcp", addrs[0], 200*time.Millisecond)
				if err != nil {
					break
				}
				conn.Close()
				if time.Now().After(deadline) {
					t.Fatal("cluster still accepts connections after close")
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
