package ingest

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	messages       *prometheus.CounterVec
	bytes          *prometheus.CounterVec
	batchSize      prometheus.Histogram
	commitDuration prometheus.Histogram
	processErrors  prometheus.Counter
	commitErrors   prometheus.Counter
	fetchErrors    prometheus.Counter
	lag            *prometheus.GaugeVec
	lastCommit     prometheus.Gauge
	rebalances     prometheus.Counter
	staleCommits   prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	const ns, sub = "sellerguard", "ingest"
	m := &metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "messages_total",
			Help: "Messages fetched from Kafka, by topic.",
		}, []string{"topic"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "bytes_total",
			Help: "Key and value bytes of the messages fetched from Kafka, by topic.",
		}, []string{"topic"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "batch_size",
			Help:    "Messages per batch handed to the handler.",
			Buckets: []float64{1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500},
		}),
		commitDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "commit_duration_seconds",
			Help:    "Time taken by a successful synchronous offset commit.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 15), // 0.5ms .. ~8s
		}),
		processErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "process_errors_total",
			Help: "Handler calls that returned an error; the batch is retried.",
		}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "commit_errors_total",
			Help: "Offset commits that failed; the commit is retried.",
		}),
		fetchErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "fetch_errors_total",
			Help: "Fetches from Kafka, and joins of the consumer group, that failed for a reason other than shutdown.",
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "consumer_lag",
			Help: "Messages behind the partition's high watermark as of the last message fetched from it.",
		}, []string{"topic", "partition"}),
		lastCommit: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "last_commit_timestamp_seconds",
			Help: "Unix time of the last successful offset commit.",
		}),
		rebalances: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "rebalances_total",
			Help: "Consumer group generations this consumer joined.",
		}),
		staleCommits: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "commits_skipped_total",
			Help: "Processed batches not committed because the group rebalanced meanwhile; their partitions restart from the last commit.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	// A second Consumer on the same registry (a restart in one process)
	// shares the first one's collectors instead of failing.
	if m.messages, err = register(reg, m.messages); err != nil {
		return nil, err
	}
	if m.bytes, err = register(reg, m.bytes); err != nil {
		return nil, err
	}
	if m.batchSize, err = register(reg, m.batchSize); err != nil {
		return nil, err
	}
	if m.commitDuration, err = register(reg, m.commitDuration); err != nil {
		return nil, err
	}
	if m.processErrors, err = register(reg, m.processErrors); err != nil {
		return nil, err
	}
	if m.commitErrors, err = register(reg, m.commitErrors); err != nil {
		return nil, err
	}
	if m.fetchErrors, err = register(reg, m.fetchErrors); err != nil {
		return nil, err
	}
	if m.lag, err = register(reg, m.lag); err != nil {
		return nil, err
	}
	if m.lastCommit, err = register(reg, m.lastCommit); err != nil {
		return nil, err
	}
	if m.rebalances, err = register(reg, m.rebalances); err != nil {
		return nil, err
	}
	if m.staleCommits, err = register(reg, m.staleCommits); err != nil {
		return nil, err
	}
	return m, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("ingest: register metrics: %w", err)
}
