// Package ingest moves messages between Kafka and the service. It is the only
// package that imports kafka-go: the rest of the service sees event.Raw.
package ingest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/sellerguard/sellerguard/event"
)

// Handler processes one batch of messages. A nil error means the whole batch
// is done and its offsets may be committed; an error means the same batch is
// offered again after a backoff. Process must therefore be idempotent.
type Handler interface {
	Process(ctx context.Context, batch []event.Raw) error
}

// Kafka fetch settings of the reader.
const (
	// fetchMaxWait is how long an idle fetch waits at the broker. It also
	// delays Reader.Close by up to that much. kafka-go asks the broker for
	// only 3/4 of it and drops the connection when the answer is later than
	// the whole; from 1s up it subtracts a full second, so keep it small.
	fetchMaxWait     = 250 * time.Millisecond
	readBatchTimeout = 5 * time.Second
	commitTimeout    = 10 * time.Second
)

// Consumer reads the configured topics in one consumer group and hands
// batches to a Handler, committing a batch only after it was processed.
type Consumer struct {
	cfg ConsumerConfig
	h   Handler
	m   *metrics
	log *slog.Logger
	// joined counts the group generations the reader joined (from its
	// stats), ended those it left (from its log, which says so the moment a
	// generation ends, before the next one is joined).
	joined int64
	ended  atomic.Int64
}

// NewConsumer checks cfg and registers the consumer's metrics on reg (nil
// registers nowhere). It does not connect; Run does.
func NewConsumer(cfg ConsumerConfig, h Handler, reg prometheus.Registerer, log *slog.Logger) (*Consumer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("ingest: handler: is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	cfg.Brokers, cfg.Topics = slices.Clone(cfg.Brokers), slices.Clone(cfg.Topics)
	return &Consumer{
		cfg: cfg,
		h:   h,
		m:   m,
		log: log.With("component", "ingest", "group", cfg.GroupID),
	}, nil
}

// Run consumes until ctx is cancelled, then finishes the batch in hand
// (processing and committing it within DrainTimeout), leaves the group and
// returns nil. A batch still failing at that point is not committed and
// will be redelivered. Run returns an error only when the reader breaks.
func (c *Consumer) Run(ctx context.Context) error {
	r := kafka.NewReader(c.readerConfig())
	defer func() {
		// Close leaves the group, so a restarted consumer gets the
		// partitions at once instead of after the session timeout.
		if err := r.Close(); err != nil {
			c.log.Warn("close reader", "err", err)
		}
		c.log.Info("consumer stopped")
	}()

	// work carries ctx's values but not its cancellation: a batch in hand
	// is finished after a stop, bounded by DrainTimeout from the stop.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stopDrain := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(c.cfg.DrainTimeout, cancelWork)
		context.AfterFunc(work, func() { t.Stop() })
	})
	defer stopDrain()

	c.log.Info("consumer started", "topics", c.cfg.Topics, "brokers", c.cfg.Brokers)
	fetchFailures := 0
	for {
		msgs, gen, err := c.fetchBatch(ctx, r)
		if len(msgs) > 0 {
			fetchFailures = 0
			c.handle(ctx, work, r, msgs, gen)
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, io.EOF):
			return fmt.Errorf("ingest: fetch: reader closed: %w", err)
		case err != nil && len(msgs) == 0:
			c.m.fetchErrors.Inc()
			d := backoff(c.cfg.RetryBackoff, fetchFailures)
			fetchFailures++
			c.log.Warn("fetch failed", "err", err, "retry_in", d)
			if !sleep(ctx, d) {
				return nil
			}
		}
	}
}

func (c *Consumer) readerConfig() kafka.ReaderConfig {
	return kafka.ReaderConfig{
		Brokers:     c.cfg.Brokers,
		GroupID:     c.cfg.GroupID,
		GroupTopics: c.cfg.Topics,
		StartOffset: kafka.FirstOffset,
		// 0 makes CommitMessages synchronous: it returns once the broker
		// has the offsets, so "committed" means committed.
		CommitInterval:   0,
		MinBytes:         1,
		MaxBytes:         10 << 20,
		MaxWait:          fetchMaxWait,
		ReadBatchTimeout: readBatchTimeout,
		// Disables kafka-go's own lag polling; lag comes from HighWaterMark.
		ReadLagInterval:   -1,
		SessionTimeout:    c.cfg.SessionTimeout,
		HeartbeatInterval: c.cfg.HeartbeatInterval,
		RebalanceTimeout:  c.cfg.RebalanceTimeout,
		JoinGroupBackoff:  c.cfg.JoinGroupBackoff,
		Logger: kafka.LoggerFunc(func(format string, args ...any) {
			if strings.HasPrefix(format, "stopped commit for group") {
				c.ended.Add(1)
			}
			if c.log.Enabled(context.Background(), slog.LevelDebug) {
				c.log.Debug("kafka-go: " + fmt.Sprintf(format, args...))
			}
		}),
		ErrorLogger: kafka.LoggerFunc(func(format string, args ...any) {
			msg := fmt.Sprintf(format, args...)
			// kafka-go reports its own shutdown as errors.
			if strings.HasSuffix(msg, context.Canceled.Error()) {
				return
			}
			c.log.Warn("kafka-go: " + msg)
		}),
	}
}

// currentGeneration changes whenever the reader's group generation ends or
// a new one starts. kafka-go has no rebalance callback: its stats count the
// generations joined (and reset on each read, so they are summed here;
// nothing else reads them), and its log says when one ends.
func (c *Consumer) currentGeneration(r *kafka.Reader) int64 {
	if n := r.Stats().Rebalances; n > 0 {
		c.joined += n
		c.m.rebalances.Add(float64(n))
	}
	return c.joined + c.ended.Load()
}

// fetchBatch blocks for a first message, then collects more until MaxBatch
// or MaxWait. A batch interrupted by ctx is still returned. gen is the group
// generation when the first message arrived. The error is the one that ended
// the wait for the first message, if any.
func (c *Consumer) fetchBatch(ctx context.Context, r *kafka.Reader) (msgs []kafka.Message, gen int64, err error) {
	first, err := r.FetchMessage(ctx)
	if err != nil {
		return nil, 0, err
	}
	gen = c.currentGeneration(r)
	msgs = make([]kafka.Message, 1, c.cfg.MaxBatch)
	msgs[0] = first
	wait, cancel := context.WithTimeout(ctx, c.cfg.MaxWait)
	defer cancel()
	for len(msgs) < c.cfg.MaxBatch {
		// A cancelled FetchMessage leaves the next message queued in the
		// reader, so ending the wait loses nothing.
		m, err := r.FetchMessage(wait)
		if err != nil {
			if wait.Err() == nil {
				c.m.fetchErrors.Inc()
				c.log.Warn("fetch failed; processing the partial batch", "err", err)
			}
			break
		}
		msgs = append(msgs, m)
	}
	return msgs, gen, nil
}

// handle processes msgs until it succeeds, then commits them. It gives up
// (without committing) only when ctx is cancelled while the batch fails.
//
// A batch processed across a rebalance is not committed. kafka-go would send
// the commit with the new generation, which the coordinator accepts even for
// partitions that moved to another member meanwhile, moving that member's
// offsets back (segmentio/kafka-go#1308; seen here on Kafka 4.1 with a slow
// batch). Nothing is lost by skipping it: after a rebalance kafka-go restarts
// every partition it keeps from the committed offset, so this batch's
// messages come again to whoever owns them now, and processing is idempotent.
func (c *Consumer) handle(ctx, work context.Context, r *kafka.Reader, msgs []kafka.Message, gen int64) {
	c.observeFetched(msgs)
	batch := toRaw(msgs)
	for attempt := 0; ; attempt++ {
		err := c.h.Process(work, batch)
		if err == nil {
			break
		}
		c.m.processErrors.Inc()
		if ctx.Err() != nil {
			c.log.Error("process failed while stopping; batch left uncommitted for redelivery",
				"err", err, "attempt", attempt+1, "messages", len(batch))
			return
		}
		d := backoff(c.cfg.RetryBackoff, attempt)
		c.log.Error("process failed; retrying the same batch",
			"err", err, "attempt", attempt+1, "messages", len(batch), "retry_in", d,
			"first_topic", batch[0].Topic, "first_partition", batch[0].Partition, "first_offset", batch[0].Offset)
		if !sleep(ctx, d) {
			c.log.Warn("stopping during retry; batch left uncommitted for redelivery", "messages", len(batch))
			return
		}
	}
	if now := c.currentGeneration(r); now != gen {
		c.m.staleCommits.Inc()
		c.log.Warn("group rebalanced while the batch was processed; not committing it (its partitions restart from the last commit)",
			"messages", len(msgs))
		return
	}
	c.commit(work, r, msgs)
}

// commit commits the offsets after msgs, retrying until it succeeds or work
// ends (DrainTimeout after a stop).
func (c *Consumer) commit(work context.Context, r *kafka.Reader, msgs []kafka.Message) {
	last := lastPerPartition(msgs)
	for attempt := 0; ; attempt++ {
		start := time.Now()
		cctx, cancel := context.WithTimeout(work, commitTimeout)
		err := r.CommitMessages(cctx, last...)
		cancel()
		if err == nil {
			c.m.commitDuration.Observe(time.Since(start).Seconds())
			c.m.lastCommit.SetToCurrentTime()
			return
		}
		c.m.commitErrors.Inc()
		d := backoff(c.cfg.RetryBackoff, attempt)
		c.log.Error("commit failed; retrying", "err", err, "attempt", attempt+1, "retry_in", d)
		if !sleep(work, d) {
			c.log.Error("giving up commit at shutdown; processed batch will be redelivered", "messages", len(msgs))
			return
		}
	}
}

func (c *Consumer) observeFetched(msgs []kafka.Message) {
	c.m.batchSize.Observe(float64(len(msgs)))
	type tp struct {
		topic     string
		partition int
	}
	count := map[string]int{}
	size := map[string]int{}
	lag := map[tp]int64{}
	for _, m := range msgs {
		count[m.Topic]++
		size[m.Topic] += len(m.Key) + len(m.Value)
		lag[tp{m.Topic, m.Partition}] = m.HighWaterMark - m.Offset - 1
	}
	for t, n := range count {
		c.m.messages.WithLabelValues(t).Add(float64(n))
		c.m.bytes.WithLabelValues(t).Add(float64(size[t]))
	}
	for k, v := range lag {
		c.m.lag.WithLabelValues(k.topic, strconv.Itoa(k.partition)).Set(float64(max(v, 0)))
	}
}

// lastPerPartition keeps the highest-offset message of each partition:
// committing it commits everything before it.
func lastPerPartition(msgs []kafka.Message) []kafka.Message {
	var last []kafka.Message
	for _, m := range msgs {
		i := slices.IndexFunc(last, func(l kafka.Message) bool {
			return l.Topic == m.Topic && l.Partition == m.Partition
		})
		switch {
		case i < 0:
			last = append(last, m)
		case m.Offset > last[i].Offset:
			last[i] = m
		}
	}
	slices.SortFunc(last, func(a, b kafka.Message) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return last
}

func toRaw(msgs []kafka.Message) []event.Raw {
	out := make([]event.Raw, len(msgs))
	for i, m := range msgs {
		var h map[string]string
		if len(m.Headers) > 0 {
			h = make(map[string]string, len(m.Headers))
			for _, kv := range m.Headers {
				h[kv.Key] = string(kv.Value)
			}
		}
		out[i] = event.Raw{
			Topic:     m.Topic,
			Partition: m.Partition,
			Offset:    m.Offset,
			Key:       m.Key,
			Value:     m.Value,
			Headers:   h,
			Time:      m.Time,
		}
	}
	return out
}

// sleep waits d or until ctx ends; it reports whether the full d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
