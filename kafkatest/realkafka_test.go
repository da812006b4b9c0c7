package kafkatest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sellerguard/sellerguard/kafkatest"
)

// A broker of the test's own keeps its log across a kill -9 and a restart
// on the same address: what the broker restart fault test relies on.
func TestRealBrokerRestartKeepsData(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts Apache Kafka")
	}
	if err := kafkatest.RealUnavailable(); err != nil {
		t.Skipf("no Apache Kafka here: %v", err)
	}
	b := kafkatest.StartReal(t)
	topic := kafkatest.Unique("restart")
	if err := kafkatest.CreateTopicsWithConfig([]string{b.Addr}, 1, map[string]string{"max.message.bytes": "2097152"}, topic); err != nil {
		t.Fatal(err)
	}
	produce := func(from, n int) {
		cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr), kgo.DefaultProduceTopic(topic))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for i := from; i < from+n; i++ {
			if err := cl.ProduceSync(ctx, kgo.StringRecord(fmt.Sprint(i))).FirstErr(); err != nil {
				t.Fatalf("produce %d: %v", i, err)
			}
		}
	}
	produce(0, 10)
	addr := b.Addr
	if err := b.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatalf("restart: %v\n%s", err, b.Log(3000))
	}
	if b.Addr != addr {
		t.Fatalf("restarted on %s, was %s", b.Addr, addr)
	}
	produce(10, 5)

	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []string
	for len(got) < 15 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	for i, v := range got {
		if v != fmt.Sprint(i) {
			t.Fatalf("record %d is %q: %v", i, v, got)
		}
	}
	if len(got) != 15 {
		t.Fatalf("read %d of 15 records after the restart: %v", len(got), got)
	}
}
