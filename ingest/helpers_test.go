package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/ingest"
)

// tp names one partition.
type tp struct {
	topic     string
	partition int
}

func (p tp) String() string { return fmt.Sprintf("%s/%d", p.topic, p.partition) }

// waitTimeout bounds every wait. Runs take well under a second each; the
// margin is for a loaded machine (-race, parallel packages).
const waitTimeout = 20 * time.Second

// testLogger logs at debug level into a buffer that is printed only when the
// test fails, so a flaky failure carries kafka-go's own account of it.
func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	buf := &lockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			out := buf.String()
			if len(out) > 30000 {
				out = "...\n" + out[len(out)-30000:]
			}
			t.Logf("consumer log:\n%s", out)
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func ctxWithTimeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// produce publishes n messages to topic: key k<i%7>, value "<topic>-<i>",
// header n=<i>. It returns the values in order.
func produce(t *testing.T, brokers []string, topic string, n int) []string {
	t.Helper()
	return produceFrom(t, brokers, topic, 0, n)
}

// produceFrom is produce for messages numbered from first on.
func produceFrom(t *testing.T, brokers []string, topic string, first, n int) []string {
	t.Helper()
	w := ingest.NewWriter(brokers, topic)
	defer w.Close()
	msgs := make([]event.Raw, n)
	values := make([]string, n)
	for i := range n {
		values[i] = fmt.Sprintf("%s-%d", topic, first+i)
		msgs[i] = event.Raw{
			Key:     fmt.Appendf(nil, "k%d", (first+i)%7),
			Value:   []byte(values[i]),
			Headers: map[string]string{"n": fmt.Sprint(first + i), "source": "test"},
		}
	}
	if err := w.Publish(ctxWithTimeout(t, waitTimeout), msgs); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
	return values
}

func client(t *testing.T, brokers []string) *kafka.Client {
	t.Helper()
	tr := &kafka.Transport{DialTimeout: 10 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr, Timeout: 10 * time.Second}
}

// endOffsets returns the next offset to be written of each partition.
func endOffsets(t *testing.T, brokers []string, partitions int, topics ...string) map[tp]int64 {
	t.Helper()
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, topic := range topics {
		for p := range partitions {
			req.Topics[topic] = append(req.Topics[topic], kafka.LastOffsetOf(p))
		}
	}
	resp, err := client(t, brokers).ListOffsets(ctxWithTimeout(t, waitTimeout), req)
	if err != nil {
		t.Fatalf("list offsets: %v", err)
	}
	out := map[tp]int64{}
	for topic, ps := range resp.Topics {
		for _, p := range ps {
			if p.Error != nil {
				t.Fatalf("list offsets %s/%d: %v", topic, p.Partition, p.Error)
			}
			out[tp{topic, p.Partition}] = p.LastOffset
		}
	}
	return out
}

// committed returns the group's committed offset of each partition, -1 when
// none. Safe to call from any goroutine: it reports with Errorf.
func committed(t *testing.T, brokers []string, group string, partitions int, topics ...string) map[tp]int64 {
	req := &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{}}
	out := map[tp]int64{}
	for _, topic := range topics {
		for p := range partitions {
			req.Topics[topic] = append(req.Topics[topic], p)
			out[tp{topic, p}] = -1
		}
	}
	resp, err := client(t, brokers).OffsetFetch(ctxWithTimeout(t, waitTimeout), req)
	if err != nil {
		t.Errorf("offset fetch: %v", err)
		return out
	}
	if errors.Is(resp.Error, kafka.GroupIdNotFound) {
		return out
	}
	if resp.Error != nil {
		t.Errorf("offset fetch: %v", resp.Error)
		return out
	}
	for topic, ps := range resp.Topics {
		for _, p := range ps {
			if p.Error != nil {
				t.Errorf("offset fetch %s/%d: %v", topic, p.Partition, p.Error)
			}
			out[tp{topic, p.Partition}] = p.CommittedOffset
		}
	}
	return out
}

// recorder is a Handler that records every call; fn, when set, decides the
// result of call number i (0-based).
type recorder struct {
	mu    sync.Mutex
	calls [][]event.Raw
	fn    func(ctx context.Context, i int, batch []event.Raw) error
	ok    []event.Raw // messages of the calls that succeeded
}

func (r *recorder) Process(ctx context.Context, batch []event.Raw) error {
	r.mu.Lock()
	i := len(r.calls)
	r.calls = append(r.calls, slicesClone(batch))
	r.mu.Unlock()
	var err error
	if r.fn != nil {
		err = r.fn(ctx, i, batch)
	}
	if err == nil {
		r.mu.Lock()
		r.ok = append(r.ok, batch...)
		r.mu.Unlock()
	}
	return err
}

func slicesClone(b []event.Raw) []event.Raw { return append([]event.Raw(nil), b...) }

func (r *recorder) processed() []event.Raw {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slicesClone(r.ok)
}

func (r *recorder) callsSnapshot() [][]event.Raw {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]event.Raw(nil), r.calls...)
}

// start runs a Consumer in the background. stop cancels it and returns Run's
// result, failing the test if Run does not return in time.
func start(t *testing.T, cfg ingest.ConsumerConfig, h ingest.Handler, reg prometheus.Registerer) (stop func() error, done <-chan error) {
	t.Helper()
	c, err := ingest.NewConsumer(cfg, h, reg, testLogger(t))
	if err != nil {
		t.Fatalf("NewConsumer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- c.Run(ctx) }()
	var once sync.Once
	var result error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-ch:
			case <-time.After(waitTimeout):
				t.Fatal("Run did not return after cancel")
			}
		})
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return stop, ch
}

// waitFor polls cond until it holds or the deadline passes; on timeout it
// reports the state of group g so that a failure explains itself.
func waitFor(t *testing.T, brokers []string, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; group g: %s", what, describeGroup(t, brokers, "g"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// metric sums the values (counters, gauges) or sample counts (histograms)
// of the series of name whose labels include want.
func metric(t *testing.T, g prometheus.Gatherer, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			found := 0
			for _, lp := range m.GetLabel() {
				if v, ok := want[lp.GetName()]; ok && v == lp.GetValue() {
					found++
				}
			}
			if found != len(want) {
				continue
			}
			switch {
			case m.Counter != nil:
				sum += m.GetCounter().GetValue()
			case m.Gauge != nil:
				sum += m.GetGauge().GetValue()
			case m.Histogram != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum
}

// checkExactlyOnce checks that got holds each of want's values exactly once
// per topic, and that offsets rise within each partition in delivery order.
func checkExactlyOnce(t *testing.T, got []event.Raw, want map[string][]string) {
	t.Helper()
	seen := map[string]int{}
	last := map[tp]int64{}
	for _, m := range got {
		seen[m.Topic+"|"+string(m.Value)]++
		p := tp{m.Topic, m.Partition}
		if prev, ok := last[p]; ok && m.Offset <= prev {
			t.Errorf("%s: offset %d delivered after %d", p, m.Offset, prev)
		}
		last[p] = m.Offset
	}
	total := 0
	for topic, values := range want {
		for _, v := range values {
			total++
			if n := seen[topic+"|"+v]; n != 1 {
				t.Errorf("%s %q delivered %d times, want 1", topic, v, n)
			}
		}
	}
	if len(got) != total {
		t.Errorf("delivered %d messages, want %d", len(got), total)
	}
}

func describeGroup(t *testing.T, brokers []string, group string) string {
	resp, err := client(t, brokers).DescribeGroups(ctxWithTimeout(t, waitTimeout), &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, g := range resp.Groups {
		fmt.Fprintf(&b, "state=%s err=%v members=[", g.GroupState, g.Error)
		for _, m := range g.Members {
			fmt.Fprintf(&b, " %s:%v", m.MemberID, m.MemberAssignments.Topics)
		}
		b.WriteString(" ]")
	}
	return b.String()
}
