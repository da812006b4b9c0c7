// Package ingest moves messages between Kafka and the service. It is the only
// package that imports kafka-go: the rest of the service sees event.Raw.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
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
)

// Consumer reads the configured topics in one consumer group and hands
// batches to a Handler, committing a batch only after it was processed.
//
// It drives kafka-go's ConsumerGroup itself rather than through a group
// Reader: the Reader sends every commit with the group's *current*
// generation, which the coordinator accepts even for partitions that moved
// to another member while the batch was processed, moving that member's
// offsets back (segmentio/kafka-go#1308). Here each batch is committed with
// the generation it was fetched in, so the coordinator itself refuses a
// commit from a generation that is over.
type Consumer struct {
	cfg ConsumerConfig
	h   Handler
	m   *metrics
	log *slog.Logger
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
// will be redelivered. Run returns an error only when the group breaks.
func (c *Consumer) Run(ctx context.Context) error {
	group, err := kafka.NewConsumerGroup(c.groupConfig())
	if err != nil {
		return fmt.Errorf("ingest: consumer group: %w", err)
	}
	defer func() {
		// Close leaves the group, so a restarted consumer gets the
		// partitions at once instead of after the session timeout.
		if err := group.Close(); err != nil {
			c.log.Warn("leave group", "err", err)
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
	for {
		gen, err := group.Next(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, kafka.ErrGroupClosed):
			return fmt.Errorf("ingest: consumer group closed: %w", err)
		case err != nil:
			// kafka-go's group loop paces the retries (JoinGroupBackoff).
			c.m.fetchErrors.Inc()
			c.log.Warn("joining the group failed; retrying", "err", err)
			continue
		}
		c.m.rebalances.Inc()
		c.log.Debug("generation joined", "generation", gen.ID, "assignments", len(gen.Assignments))
		c.consume(ctx, work, gen)
		if ctx.Err() != nil {
			return nil
		}
	}
}

func (c *Consumer) groupConfig() kafka.ConsumerGroupConfig {
	return kafka.ConsumerGroupConfig{
		ID:                c.cfg.GroupID,
		Brokers:           c.cfg.Brokers,
		Topics:            c.cfg.Topics,
		StartOffset:       kafka.FirstOffset,
		SessionTimeout:    c.cfg.SessionTimeout,
		HeartbeatInterval: c.cfg.HeartbeatInterval,
		RebalanceTimeout:  c.cfg.RebalanceTimeout,
		JoinGroupBackoff:  c.cfg.JoinGroupBackoff,
		Logger:            c.kafkaLogger(),
		ErrorLogger:       c.kafkaErrorLogger(),
	}
}

// partitionConfig reads one partition outside any group: the generation
// that assigned it decides where it starts and where it is committed.
func (c *Consumer) partitionConfig(topic string, partition int) kafka.ReaderConfig {
	return kafka.ReaderConfig{
		Brokers:          c.cfg.Brokers,
		Topic:            topic,
		Partition:        partition,
		MinBytes:         1,
		MaxBytes:         10 << 20,
		MaxWait:          fetchMaxWait,
		ReadBatchTimeout: readBatchTimeout,
		// Disables kafka-go's own lag polling; lag comes from HighWaterMark.
		ReadLagInterval: -1,
		Logger:          c.kafkaLogger(),
		ErrorLogger:     c.kafkaErrorLogger(),
	}
}

func (c *Consumer) kafkaLogger() kafka.Logger {
	return kafka.LoggerFunc(func(format string, args ...any) {
		if c.log.Enabled(context.Background(), slog.LevelDebug) {
			c.log.Debug("kafka-go: " + fmt.Sprintf(format, args...))
		}
	})
}

func (c *Consumer) kafkaErrorLogger() kafka.Logger {
	return kafka.LoggerFunc(func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		// kafka-go reports its own shutdown as errors.
		if strings.HasSuffix(msg, context.Canceled.Error()) || strings.HasSuffix(msg, kafka.ErrGenerationEnded.Error()) {
			return
		}
		c.log.Warn("kafka-go: " + msg)
	})
}

// consume reads gen's partitions and processes them batch by batch until
// the generation ends or ctx is cancelled. Messages fetched but not yet in a
// batch when the generation ends are dropped: the next owner of their
// partition reads them again from the last commit.
func (c *Consumer) consume(ctx, work context.Context, gen *kafka.Generation) {
	ended := make(chan struct{})
	gen.Start(func(g context.Context) {
		<-g.Done()
		close(ended)
	})
	in := make(chan kafka.Message, c.cfg.MaxBatch)
	for topic, parts := range gen.Assignments {
		for _, p := range parts {
			gen.Start(func(g context.Context) { c.readPartition(g, topic, p, in) })
		}
	}
	for {
		batch, more := c.nextBatch(ctx, ended, in)
		if len(batch) > 0 {
			c.handle(ctx, work, gen, ended, batch)
		}
		if !more {
			return
		}
	}
}

// readPartition feeds one assigned partition into out until the generation
// (g) ends.
func (c *Consumer) readPartition(g context.Context, topic string, p kafka.PartitionAssignment, out chan<- kafka.Message) {
	r := kafka.NewReader(c.partitionConfig(topic, p.ID))
	defer func() {
		if err := r.Close(); err != nil {
			c.log.Warn("close partition reader", "topic", topic, "partition", p.ID, "err", err)
		}
	}()
	if err := r.SetOffset(p.Offset); err != nil {
		c.log.Error("set partition offset", "topic", topic, "partition", p.ID, "offset", p.Offset, "err", err)
		return // ends the generation: the group is joined again
	}
	for failures := 0; ; {
		m, err := r.FetchMessage(g)
		if g.Err() != nil {
			return
		}
		if err != nil {
			c.m.fetchErrors.Inc()
			d := backoff(c.cfg.RetryBackoff, failures)
			failures++
			c.log.Warn("fetch failed", "topic", topic, "partition", p.ID, "err", err, "retry_in", d)
			if !pause(d, g.Done(), nil) {
				return
			}
			continue
		}
		failures = 0
		select {
		case out <- m:
		case <-g.Done():
			return
		}
	}
}

// nextBatch blocks for a first message, then collects more until MaxBatch
// or MaxWait. more is false when the generation ended or ctx was cancelled;
// the messages collected until then are still returned.
func (c *Consumer) nextBatch(ctx context.Context, ended <-chan struct{}, in <-chan kafka.Message) (batch []kafka.Message, more bool) {
	select {
	case m := <-in:
		batch = append(make([]kafka.Message, 0, c.cfg.MaxBatch), m)
	case <-ended:
		return nil, false
	case <-ctx.Done():
		return nil, false
	}
	t := time.NewTimer(c.cfg.MaxWait)
	defer t.Stop()
	for len(batch) < c.cfg.MaxBatch {
		select {
		case m := <-in:
			batch = append(batch, m)
		case <-t.C:
			return batch, true
		case <-ended:
			return batch, false
		case <-ctx.Done():
			return batch, false
		}
	}
	return batch, true
}

// handle processes msgs until it succeeds, then commits them. It gives up
// (without committing) when ctx is cancelled or the generation ends while
// the batch fails: the batch comes again to whoever owns it next.
func (c *Consumer) handle(ctx, work context.Context, gen *kafka.Generation, ended <-chan struct{}, msgs []kafka.Message) {
	c.observeFetched(msgs)
	batch := toRaw(msgs)
	for attempt := 0; ; attempt++ {
		err := c.h.Process(work, batch)
		if err == nil {
			break
		}
		c.m.processErrors.Inc()
		d := backoff(c.cfg.RetryBackoff, attempt)
		c.log.Error("process failed; retrying the same batch",
			"err", err, "attempt", attempt+1, "messages", len(batch), "retry_in", d,
			"first_topic", batch[0].Topic, "first_partition", batch[0].Partition, "first_offset", batch[0].Offset)
		if !pause(d, ctx.Done(), ended) {
			c.log.Warn("stopping or rebalancing while the batch fails; left uncommitted for redelivery", "messages", len(batch))
			return
		}
	}
	c.commit(work, gen, ended, msgs)
}

// commit commits the offsets after msgs with the generation they were
// fetched in, retrying until it succeeds, work ends (DrainTimeout after a
// stop) or the coordinator refuses it because the generation is over. A
// commit accepted after the generation ended is still right: the
// coordinator takes it only while no newer generation exists, so no other
// member can own these partitions yet.
func (c *Consumer) commit(work context.Context, gen *kafka.Generation, ended <-chan struct{}, msgs []kafka.Message) {
	offsets := commitOffsets(msgs)
	for attempt := 0; ; attempt++ {
		start := time.Now()
		err := gen.CommitOffsets(offsets)
		if err == nil {
			c.m.commitDuration.Observe(time.Since(start).Seconds())
			c.m.lastCommit.SetToCurrentTime()
			return
		}
		if fenced(err) || isClosed(ended) {
			c.m.staleCommits.Inc()
			c.log.Warn("the group rebalanced while the batch was processed; not committing it (its partitions restart from the last commit)",
				"generation", gen.ID, "messages", len(msgs), "err", err)
			return
		}
		c.m.commitErrors.Inc()
		d := backoff(c.cfg.RetryBackoff, attempt)
		c.log.Error("commit failed; retrying", "err", err, "attempt", attempt+1, "retry_in", d)
		if !pause(d, work.Done(), nil) {
			c.log.Error("giving up commit at shutdown; processed batch will be redelivered", "messages", len(msgs))
			return
		}
	}
}

// fenced reports the coordinator's answers to a commit from a generation
// that is over or a member it no longer knows.
func fenced(err error) bool {
	return errors.Is(err, kafka.IllegalGeneration) || errors.Is(err, kafka.RebalanceInProgress) ||
		errors.Is(err, kafka.UnknownMemberId) || errors.Is(err, kafka.FencedInstanceID)
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
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

// commitOffsets maps each partition in msgs to the offset after its last
// message: committing it commits everything before it.
func commitOffsets(msgs []kafka.Message) map[string]map[int]int64 {
	out := map[string]map[int]int64{}
	for _, m := range msgs {
		if out[m.Topic] == nil {
			out[m.Topic] = map[int]int64{}
		}
		out[m.Topic][m.Partition] = max(out[m.Topic][m.Partition], m.Offset+1)
	}
	return out
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

// pause waits d or until a or b is closed (a nil channel never is); it
// reports whether the full d passed.
func pause(d time.Duration, a, b <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-a:
		return false
	case <-b:
		return false
	}
}
