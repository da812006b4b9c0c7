package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/ingest"
	"github.com/sellerguard/sellerguard/kafkatest"
)

const partitions = kafkatest.DefaultPartitions

func TestConsumerDeliversEveryMessageOnceAndCommits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		maxBatch int
	}{
		{"batches of one", 1},
		{"batches of seven", 7},
		{"default batch size", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			topics := []string{"orders", "refunds"}
			brokers := kafkatest.Start(t, topics...)
			want := map[string][]string{
				"orders":  produce(t, brokers, "orders", 90),
				"refunds": produce(t, brokers, "refunds", 60),
			}
			reg := prometheus.NewRegistry()
			rec := &recorder{}
			cfg := ingest.ConsumerConfig{Brokers: brokers, GroupID: "g", Topics: topics, MaxBatch: tt.maxBatch}
			stop, _ := start(t, cfg, rec, reg)
			waitFor(t, brokers, "150 messages", func() bool { return len(rec.processed()) >= 150 })
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}

			got := rec.processed()
			checkExactlyOnce(t, got, want)
			limit := cmpOr(tt.maxBatch, ingest.DefaultMaxBatch)
			calls := rec.callsSnapshot()
			for i, b := range calls {
				if len(b) == 0 || len(b) > limit {
					t.Errorf("batch %d has %d messages, want 1..%d", i, len(b), limit)
				}
			}
			for _, m := range got[:1] {
				if !strings.HasPrefix(string(m.Key), "k") || m.Headers["source"] != "test" || m.Headers["n"] == "" || m.Time.IsZero() {
					t.Errorf("message not mapped fully: %+v", m)
				}
			}

			if c, e := committed(t, brokers, "g", partitions, topics...), endOffsets(t, brokers, partitions, topics...); !maps.Equal(c, e) {
				t.Errorf("committed offsets %v, want end offsets %v", c, e)
			}

			for topic, values := range want {
				if got := metric(t, reg, "sellerguard_ingest_messages_total", map[string]string{"topic": topic}); got != float64(len(values)) {
					t.Errorf("messages_total{topic=%q} = %v, want %d", topic, got, len(values))
				}
				if got := metric(t, reg, "sellerguard_ingest_bytes_total", map[string]string{"topic": topic}); got <= 0 {
					t.Errorf("bytes_total{topic=%q} = %v, want > 0", topic, got)
				}
			}
			if got := metric(t, reg, "sellerguard_ingest_batch_size", nil); got != float64(len(calls)) {
				t.Errorf("batch_size observations = %v, want %d batches", got, len(calls))
			}
			if got := metric(t, reg, "sellerguard_ingest_consumer_lag", nil); got != 0 {
				t.Errorf("consumer_lag summed over partitions = %v, want 0 after consuming everything", got)
			}
			if got := metric(t, reg, "sellerguard_ingest_commit_duration_seconds", nil); got < 1 {
				t.Errorf("commit_duration_seconds observations = %v, want >= 1", got)
			}
			if got := metric(t, reg, "sellerguard_ingest_last_commit_timestamp_seconds", nil); got < float64(time.Now().Add(-time.Minute).Unix()) {
				t.Errorf("last_commit_timestamp_seconds = %v, want about now", got)
			}
			if got := metric(t, reg, "sellerguard_ingest_process_errors_total", nil); got != 0 {
				t.Errorf("process_errors_total = %v, want 0", got)
			}
			problems, err := testutil.GatherAndLint(reg)
			if err != nil {
				t.Fatalf("lint: %v", err)
			}
			for _, p := range problems {
				t.Errorf("metric lint: %s: %s", p.Metric, p.Text)
			}
		})
	}
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func TestConsumerRetriesFailedBatchWithoutCommitting(t *testing.T) {
	t.Parallel()
	for _, failures := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d failures", failures), func(t *testing.T) {
			t.Parallel()
			brokers := kafkatest.Start(t, "returns")
			want := map[string][]string{"returns": produce(t, brokers, "returns", 40)}
			reg := prometheus.NewRegistry()
			var leakedCommit atomic.Bool
			rec := &recorder{}
			rec.fn = func(ctx context.Context, i int, batch []event.Raw) error {
				if i > failures {
					return nil
				}
				// Up to and including the call that will succeed, nothing
				// may have been committed.
				for p, off := range committed(t, brokers, "g", partitions, "returns") {
					if off != -1 {
						t.Errorf("call %d: %s committed at %d before the batch succeeded", i, p, off)
						leakedCommit.Store(true)
					}
				}
				if i < failures {
					return errors.New("store unavailable")
				}
				return nil
			}
			cfg := ingest.ConsumerConfig{Brokers: brokers, GroupID: "g", Topics: []string{"returns"}, RetryBackoff: 10 * time.Millisecond}
			stop, _ := start(t, cfg, rec, reg)
			waitFor(t, brokers, "40 messages processed", func() bool { return len(rec.processed()) >= 40 })
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}

			calls := rec.callsSnapshot()
			if len(calls) < failures+1 {
				t.Fatalf("%d calls, want at least %d", len(calls), failures+1)
			}
			for i := 1; i <= failures; i++ {
				if !sameBatch(calls[0], calls[i]) {
					t.Errorf("call %d got a different batch than call 0: %s vs %s", i, describe(calls[i]), describe(calls[0]))
				}
			}
			checkExactlyOnce(t, rec.processed(), want)
			if c, e := committed(t, brokers, "g", partitions, "returns"), endOffsets(t, brokers, partitions, "returns"); !maps.Equal(c, e) {
				t.Errorf("committed offsets %v, want end offsets %v", c, e)
			}
			if got := metric(t, reg, "sellerguard_ingest_process_errors_total", nil); got != float64(failures) {
				t.Errorf("process_errors_total = %v, want %d", got, failures)
			}
			if got := metric(t, reg, "sellerguard_ingest_messages_total", nil); got != 40 {
				t.Errorf("messages_total = %v, want 40 (a retried batch is not counted twice)", got)
			}
			if leakedCommit.Load() {
				t.Error("offsets were committed while the batch was failing")
			}
		})
	}
}

func sameBatch(a, b []event.Raw) bool {
	return slices.EqualFunc(a, b, func(x, y event.Raw) bool {
		return x.Topic == y.Topic && x.Partition == y.Partition && x.Offset == y.Offset && string(x.Value) == string(y.Value)
	})
}

func describe(b []event.Raw) string {
	var s []string
	for _, m := range b {
		s = append(s, fmt.Sprintf("%s/%d@%d", m.Topic, m.Partition, m.Offset))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// lastOffsets is the offset after the last message of each partition in b.
func lastOffsets(b []event.Raw) map[tp]int64 {
	out := map[tp]int64{}
	for _, m := range b {
		p := tp{m.Topic, m.Partition}
		out[p] = max(out[p], m.Offset+1)
	}
	return out
}

func TestConsumerGracefulStopFinishesBatchInHand(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Start(t, "messages")
	produce(t, brokers, "messages", 20)

	entered := make(chan []event.Raw, 1)
	release := make(chan struct{})
	ctxErrAtRelease := make(chan error, 1)
	rec := &recorder{fn: func(ctx context.Context, i int, batch []event.Raw) error {
		if i > 0 {
			t.Errorf("Process called again (call %d) after stop", i)
			return nil
		}
		entered <- batch
		<-release
		ctxErrAtRelease <- ctx.Err()
		return nil
	}}
	cfg := ingest.ConsumerConfig{Brokers: brokers, GroupID: "g", Topics: []string{"messages"}, MaxWait: 100 * time.Millisecond}
	c, err := ingest.NewConsumer(cfg, rec, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	var batch []event.Raw
	select {
	case batch = <-entered:
	case <-time.After(waitTimeout):
		t.Fatal("Process was not called")
	}
	cancel()

	select {
	case err := <-done:
		t.Fatalf("Run returned (%v) while Process was still running", err)
	case <-time.After(300 * time.Millisecond):
	}
	for p, off := range committed(t, brokers, "g", partitions, "messages") {
		if off != -1 {
			t.Errorf("%s committed at %d while Process was still running", p, off)
		}
	}

	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v, want nil", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Run did not return after Process finished")
	}
	if err := <-ctxErrAtRelease; err != nil {
		t.Errorf("Process's context was cancelled by the stop (%v); want it detached", err)
	}
	want := lastOffsets(batch)
	for p, off := range committed(t, brokers, "g", partitions, "messages") {
		if w, ok := want[p]; ok && off != w {
			t.Errorf("%s committed at %d, want %d (end of the batch in hand)", p, off, w)
		} else if !ok && off != -1 {
			t.Errorf("%s committed at %d, but the batch had nothing from it", p, off)
		}
	}
}

func TestConsumerStopWhileFailingCommitsNothing(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Start(t, "orders")
	produce(t, brokers, "orders", 10)
	var calls atomic.Int32
	rec := &recorder{fn: func(context.Context, int, []event.Raw) error {
		calls.Add(1)
		return errors.New("always failing")
	}}
	cfg := ingest.ConsumerConfig{Brokers: brokers, GroupID: "g", Topics: []string{"orders"}, RetryBackoff: 5 * time.Millisecond}
	stop, _ := start(t, cfg, rec, nil)
	waitFor(t, brokers, "three failed attempts", func() bool { return calls.Load() >= 3 })
	started := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Run: %v, want nil", err)
	}
	if d := time.Since(started); d > 5*time.Second {
		t.Errorf("stop took %s with a failing batch, want prompt", d)
	}
	for p, off := range committed(t, brokers, "g", partitions, "orders") {
		if off != -1 {
			t.Errorf("%s committed at %d although the batch never succeeded", p, off)
		}
	}
	if len(rec.processed()) != 0 {
		t.Errorf("handler reported %d messages processed, want 0", len(rec.processed()))
	}
}

func TestConsumerRestartResumesAfterCommittedOffset(t *testing.T) {
	t.Parallel()
	topics := []string{"orders", "refunds"}
	brokers := kafkatest.Start(t, topics...)
	want := map[string][]string{
		"orders":  produce(t, brokers, "orders", 60),
		"refunds": produce(t, brokers, "refunds", 60),
	}
	cfg := ingest.ConsumerConfig{Brokers: brokers, GroupID: "g", Topics: topics, MaxBatch: 10}

	// First run: stops itself once half has been processed.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := &recorder{}
	first.fn = func(_ context.Context, i int, batch []event.Raw) error {
		if len(first.processed())+len(batch) >= 60 {
			cancel()
		}
		return nil
	}
	reg := prometheus.NewRegistry()
	c1, err := ingest.NewConsumer(cfg, first, reg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	runWithDeadline(t, ctx, c1)
	got1 := first.processed()
	if len(got1) < 60 || len(got1) >= 120 {
		t.Fatalf("first run processed %d messages, want about half of 120", len(got1))
	}
	c := committed(t, brokers, "g", partitions, topics...)
	for p, w := range lastOffsets(got1) {
		if c[p] != w {
			t.Errorf("after first run %s committed at %d, want %d (everything it processed)", p, c[p], w)
		}
	}

	// Second run, same group, same registry: picks up where the first left.
	second := &recorder{}
	stop, _ := start(t, cfg, second, reg)
	waitFor(t, brokers, "the rest", func() bool { return len(got1)+len(second.processed()) >= 120 })
	if err := stop(); err != nil {
		t.Fatalf("second Run: %v", err)
	}
	got2 := second.processed()
	firstSeen := map[tp]int64{}
	for _, m := range got2 {
		p := tp{m.Topic, m.Partition}
		if _, ok := firstSeen[p]; !ok {
			firstSeen[p] = m.Offset
		}
	}
	for p, off := range firstSeen {
		start := max(c[p], 0)
		if off != start {
			t.Errorf("second run started %s at %d, want committed offset %d", p, off, start)
		}
	}
	checkExactlyOnce(t, append(got1, got2...), want)
	if got := metric(t, reg, "sellerguard_ingest_messages_total", nil); got != 120 {
		t.Errorf("messages_total over both runs = %v, want 120", got)
	}
	if c, e := committed(t, brokers, "g", partitions, topics...), endOffsets(t, brokers, partitions, topics...); !maps.Equal(c, e) {
		t.Errorf("committed offsets %v, want end offsets %v", c, e)
	}
}

// runWithDeadline runs c until ctx is cancelled, failing if that takes too long.
func runWithDeadline(t *testing.T, ctx context.Context, c *ingest.Consumer) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Run did not stop")
	}
}

func TestConsumerSharesMetricsOnOneRegistry(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	cfg := ingest.ConsumerConfig{Brokers: []string{"127.0.0.1:1"}, GroupID: "g", Topics: []string{"t"}}
	for i := range 2 {
		if _, err := ingest.NewConsumer(cfg, &recorder{}, reg, nil); err != nil {
			t.Fatalf("consumer %d on the same registry: %v", i, err)
		}
	}
	// A foreign collector under one of our names is a real conflict.
	clash := prometheus.NewRegistry()
	clash.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "sellerguard_ingest_process_errors_total", Help: "x"}))
	if _, err := ingest.NewConsumer(cfg, &recorder{}, clash, nil); err == nil {
		t.Error("NewConsumer succeeded on a registry with a clashing metric")
	}
}

func TestNewConsumerRejects(t *testing.T) {
	t.Parallel()
	good := ingest.ConsumerConfig{Brokers: []string{"127.0.0.1:9092"}, GroupID: "g", Topics: []string{"t"}}
	if _, err := ingest.NewConsumer(good, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "handler") {
		t.Errorf("nil handler: err = %v, want one naming the handler", err)
	}
	bad := good
	bad.GroupID = ""
	if _, err := ingest.NewConsumer(bad, &recorder{}, nil, nil); err == nil || !strings.Contains(err.Error(), "group_id") {
		t.Errorf("no group: err = %v, want one naming group_id", err)
	}
}
