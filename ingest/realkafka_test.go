package ingest_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/ingest"
	"github.com/sellerguard/sellerguard/kafkatest"
)

// These tests run kafka-go (through this package) against Apache Kafka 4.1
// itself, which kfake only imitates: Kafka 4.0 dropped old protocol versions
// that kafka-go's consumer group sent, so "it works on kfake" proves nothing
// there. They use a broker shared by the test run (SELLERGUARD_TEST_KAFKA, or
// one started for this binary), with topic and group names of their own.

// realBroker skips the test when no Apache Kafka can be had (no Java).
func realBroker(t *testing.T, topics ...string) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: needs Apache Kafka")
	}
	b := kafkatest.Shared(t, topics...)
	if !b.Real {
		t.Skip("no Apache Kafka here (no Java): kafka-go against kfake is covered by the other tests")
	}
	return b.Addrs
}

// brokerVersion asks the broker which ApiVersions it speaks, as proof of
// what the test ran against.
func brokerVersions(t *testing.T, brokers []string) map[int16][2]int16 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctxWithTimeout(t, waitTimeout), cl)
	if err != nil {
		t.Fatalf("api versions: %v", err)
	}
	out := map[int16][2]int16{}
	for _, k := range resp.ApiKeys {
		out[k.ApiKey] = [2]int16{k.MinVersion, k.MaxVersion}
	}
	return out
}

// One consumer group on Apache Kafka 4.1: every message delivered once,
// offsets committed (and only after the batch succeeded), a restarted
// consumer resumes after them, and the writer waits for acknowledgements and
// places keys where a Java client (franz-go's default partitioner) would.
func TestRealKafkaConsumerGroupCommitsAndResumes(t *testing.T) {
	t.Parallel()
	orders, refunds := kafkatest.Unique("orders"), kafkatest.Unique("refunds")
	topics := []string{orders, refunds}
	brokers := realBroker(t, topics...)
	group := kafkatest.Unique("g")
	v := brokerVersions(t, brokers)
	// Kafka 4.0 removed JoinGroup v0/v1 (kafka-go sent v1) and 4.0.1/4.1
	// restored them; this is the broker generation that matters.
	t.Logf("broker JoinGroup versions %v, OffsetCommit %v, OffsetFetch %v, Fetch %v", v[11], v[8], v[9], v[1])

	want := map[string][]string{orders: produce(t, brokers, orders, 90), refunds: produce(t, brokers, refunds, 60)}
	// Acknowledged with acks=all means on the log: the end offsets add up.
	total := int64(0)
	for _, off := range endOffsets(t, brokers, partitions, topics...) {
		total += off
	}
	if total != 150 {
		t.Fatalf("end offsets add up to %d after acknowledged writes of 150", total)
	}
	checkMurmur2Placement(t, brokers, orders)

	var commitsBeforeSuccess atomic.Int32
	rec := &recorder{}
	rec.fn = func(_ context.Context, i int, _ []event.Raw) error {
		if i == 0 {
			// The first batch fails once: nothing may be committed yet.
			for _, off := range committed(t, brokers, group, partitions, topics...) {
				if off != -1 {
					commitsBeforeSuccess.Add(1)
				}
			}
			return fmt.Errorf("first attempt fails")
		}
		return nil
	}
	reg := prometheus.NewRegistry()
	cfg := ingest.ConsumerConfig{Brokers: brokers, GroupID: group, Topics: topics, MaxBatch: 25, RetryBackoff: 20 * time.Millisecond}
	stop, _ := start(t, cfg, rec, reg)
	waitFor(t, brokers, "150 messages", func() bool { return len(rec.processed()) >= 150 })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkExactlyOnce(t, rec.processed(), want)
	if commitsBeforeSuccess.Load() != 0 {
		t.Error("offsets were committed before the first batch succeeded")
	}
	if c, e := committed(t, brokers, group, partitions, topics...), endOffsets(t, brokers, partitions, topics...); !maps.Equal(c, e) {
		t.Fatalf("committed offsets %v, want end offsets %v", c, e)
	}
	calls := rec.callsSnapshot()
	if len(calls) < 2 || !sameBatch(calls[0], calls[1]) {
		t.Errorf("the failed batch was not offered again whole")
	}

	// More messages, then a new consumer in the same group: it starts
	// exactly at the committed offsets.
	more := map[string][]string{orders: produceFrom(t, brokers, orders, 90, 30)}
	second := &recorder{}
	stop2, _ := start(t, cfg, second, nil)
	waitFor(t, brokers, "30 more messages", func() bool { return len(second.processed()) >= 30 })
	time.Sleep(200 * time.Millisecond) // anything redelivered would show now
	if err := stop2(); err != nil {
		t.Fatalf("second Run: %v", err)
	}
	checkExactlyOnce(t, second.processed(), more)
	if c, e := committed(t, brokers, group, partitions, topics...), endOffsets(t, brokers, partitions, topics...); !maps.Equal(c, e) {
		t.Errorf("after the second run committed %v, want end offsets %v", c, e)
	}
}

// Two consumers in one group on Apache Kafka 4.1 share the partitions; when
// one leaves, the other takes its partitions over from the committed offsets
// and nothing is lost.
func TestRealKafkaGroupRebalance(t *testing.T) {
	t.Parallel()
	topic := kafkatest.Unique("returns")
	brokers := realBroker(t, topic)
	group := kafkatest.Unique("g")
	cfg := ingest.ConsumerConfig{Brokers: brokers, GroupID: group, Topics: []string{topic}, MaxBatch: 10}

	a, b := &recorder{}, &recorder{}
	stopA, _ := start(t, cfg, a, nil)
	stopB, _ := start(t, cfg, b, nil)
	waitFor(t, brokers, "two members with partitions", func() bool { return groupMembers(t, brokers, group) == 2 })
	first := produce(t, brokers, topic, 120)
	waitFor(t, brokers, "120 messages between two members", func() bool {
		return len(uniqueValues(a.processed(), b.processed())) >= 120
	})
	owners := func(r *recorder) map[int]bool {
		out := map[int]bool{}
		for _, m := range r.processed() {
			out[m.Partition] = true
		}
		return out
	}
	if len(owners(a)) == 0 || len(owners(b)) == 0 {
		t.Errorf("partitions were not shared: a had %v, b had %v", owners(a), owners(b))
	}
	if err := stopA(); err != nil {
		t.Fatalf("stop a: %v", err)
	}
	second := produceFrom(t, brokers, topic, 120, 90)
	waitFor(t, brokers, "b takes over", func() bool {
		return len(uniqueValues(a.processed(), b.processed())) >= 210
	})
	if err := stopB(); err != nil {
		t.Fatalf("stop b: %v", err)
	}
	got := uniqueValues(a.processed(), b.processed())
	for _, v := range append(first, second...) {
		if !got[v] {
			t.Errorf("%s never processed", v)
		}
	}
	dups := len(a.processed()) + len(b.processed()) - len(got)
	t.Logf("a processed %d, b %d, redelivered during rebalances %d", len(a.processed()), len(b.processed()), dups)
	if c, e := committed(t, brokers, group, partitions, topic), endOffsets(t, brokers, partitions, topic); !maps.Equal(c, e) {
		t.Errorf("committed offsets %v, want end offsets %v", c, e)
	}
}

// groupMembers counts the members of a stable group that hold partitions.
func groupMembers(t *testing.T, brokers []string, group string) int {
	resp, err := client(t, brokers).DescribeGroups(ctxWithTimeout(t, waitTimeout), &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil || len(resp.Groups) != 1 || resp.Groups[0].GroupState != "Stable" {
		return 0
	}
	n := 0
	for _, m := range resp.Groups[0].Members {
		for _, tp := range m.MemberAssignments.Topics {
			if len(tp.Partitions) > 0 {
				n++
				break
			}
		}
	}
	return n
}

func uniqueValues(lists ...[]event.Raw) map[string]bool {
	out := map[string]bool{}
	for _, l := range lists {
		for _, m := range l {
			out[string(m.Value)] = true
		}
	}
	return out
}

// checkMurmur2Placement reads topic with franz-go and checks every key sits
// in the partition the Java client's murmur2 partitioner picks.
func checkMurmur2Placement(t *testing.T, brokers []string, topic string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	part := kgo.StickyKeyPartitioner(nil).ForTopic(topic)
	ctx := ctxWithTimeout(t, waitTimeout)
	seen := 0
	keys := map[string]int32{}
	for seen < 90 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			seen++
			want := int32(part.Partition(&kgo.Record{Key: r.Key}, partitions))
			if r.Partition != want {
				t.Errorf("key %s in partition %d, a Java client puts it in %d", r.Key, r.Partition, want)
			}
			keys[string(r.Key)] = r.Partition
		})
	}
	if seen < 90 {
		t.Fatalf("read back %d of 90 messages", seen)
	}
	if ps := slices.Collect(maps.Values(keys)); len(slices.Compact(slices.Sorted(slices.Values(ps)))) < 2 {
		t.Errorf("7 keys all landed in one partition: %v", keys)
	}
}

// A member still processing a batch when the group rebalances does not
// commit it: the commit goes out with the generation the batch was fetched
// in, which the coordinator refuses once a newer one exists, so it cannot
// move back the offsets of partitions that moved to the other member
// meanwhile (as kafka-go's group Reader does, segmentio/kafka-go#1308). Its
// messages come again from the last commit to whoever owns their
// partitions, so nothing is lost.
func TestBatchAcrossRebalanceIsNotCommitted(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short")
	}
	topic := kafkatest.Unique("orders")
	b := kafkatest.Shared(t, topic)
	brokers := b.Addrs
	group := kafkatest.Unique("g")
	cfg := ingest.ConsumerConfig{Brokers: brokers, GroupID: group, Topics: []string{topic}, MaxBatch: 1000, MaxWait: 300 * time.Millisecond}
	want := produce(t, brokers, topic, 60)

	release := make(chan struct{})
	var slowFirst atomic.Bool
	slow := &recorder{fn: func(_ context.Context, i int, _ []event.Raw) error {
		if i == 0 {
			slowFirst.Store(true)
			<-release
		}
		return nil
	}}
	reg := prometheus.NewRegistry()
	stopSlow, _ := start(t, cfg, slow, reg)
	waitFor(t, brokers, "the slow member's first batch", slowFirst.Load)
	fast := &recorder{}
	stopFast, _ := start(t, cfg, fast, nil)
	// The fast member joins; the slow one, still in its batch, hears of the
	// rebalance through its heartbeat and rejoins without waiting for it.
	waitFor(t, brokers, "two members with partitions", func() bool { return groupMembers(t, brokers, group) == 2 })
	// More messages: the fast member commits its partitions past where the
	// slow batch ends.
	want = append(want, produceFrom(t, brokers, topic, 60, 60)...)
	waitFor(t, brokers, "the fast member's share", func() bool { return len(fast.processed()) > 0 })
	time.Sleep(500 * time.Millisecond)
	before := committed(t, brokers, group, partitions, topic)
	close(release)
	waitFor(t, brokers, "the slow batch to end", func() bool { return len(slow.callsSnapshot()) > 0 && len(slow.processed()) > 0 })
	time.Sleep(time.Second) // its commit, if any, is made by now
	after := committed(t, brokers, group, partitions, topic)
	for p, off := range before {
		if after[p] < off {
			t.Errorf("%s committed offset moved back from %d to %d", p, off, after[p])
		}
	}
	if n := metric(t, reg, "sellerguard_ingest_commits_skipped_total", nil); n < 1 {
		t.Errorf("commits_skipped_total = %v, want the slow batch counted", n)
	}
	waitFor(t, brokers, "everything processed", func() bool { return len(uniqueValues(slow.processed(), fast.processed())) >= 120 })
	if err := stopSlow(); err != nil {
		t.Fatal(err)
	}
	if err := stopFast(); err != nil {
		t.Fatal(err)
	}
	got := uniqueValues(slow.processed(), fast.processed())
	for _, v := range want {
		if !got[v] {
			t.Errorf("%s never processed", v)
		}
	}
	if c, e := committed(t, brokers, group, partitions, topic), endOffsets(t, brokers, partitions, topic); !maps.Equal(c, e) {
		t.Errorf("committed offsets %v, want end offsets %v", c, e)
	}
	if n := metric(t, reg, "sellerguard_ingest_rebalances_total", nil); n < 2 {
		t.Errorf("rebalances_total = %v, want at least 2 generations", n)
	}
}
