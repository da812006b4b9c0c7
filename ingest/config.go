package ingest

import (
	"cmp"
	"errors"
	"fmt"
	"time"
)

// Defaults for the zero values of ConsumerConfig.
const (
	DefaultMaxBatch     = 500
	DefaultMaxWait      = 20 * time.Millisecond
	DefaultRetryBackoff = 200 * time.Millisecond
	DefaultDrainTimeout = 30 * time.Second

	// Group membership. kafka-go's defaults (30s session, 3s heartbeat, 5s
	// join backoff) leave a crashed instance's partitions unread for half a
	// minute and make a rebalance take seconds to start; these are Kafka's
	// classic defaults (the broker's group.min.session.timeout.ms is 6s).
	DefaultSessionTimeout    = 10 * time.Second
	DefaultHeartbeatInterval = time.Second
	DefaultRebalanceTimeout  = 10 * time.Second
	DefaultJoinGroupBackoff  = time.Second

	// maxBackoff caps the exponential retry backoff.
	maxBackoff = 5 * time.Second
)

// ConsumerConfig configures a Consumer. Zero durations and sizes take the
// defaults above.
type ConsumerConfig struct {
	Brokers []string
	GroupID string
	Topics  []string
	// MaxBatch is the most messages handed to one Process call.
	MaxBatch int
	// MaxWait is how long to wait for more messages once a batch has its
	// first one.
	MaxWait time.Duration
	// RetryBackoff is the first pause after a failed Process or commit; it
	// doubles on each further failure up to 5s.
	RetryBackoff time.Duration
	// DrainTimeout bounds how long a batch in hand may still be processed
	// and committed after Run's context is cancelled.
	DrainTimeout time.Duration
	// SessionTimeout is how long the group coordinator waits for a silent
	// member (a crashed instance) before giving its partitions to others.
	SessionTimeout time.Duration
	// HeartbeatInterval is how often a member tells the coordinator it
	// lives, and so how soon it hears of a rebalance.
	HeartbeatInterval time.Duration
	// RebalanceTimeout is how long a rebalance waits for members to rejoin.
	RebalanceTimeout time.Duration
	// JoinGroupBackoff is the pause before joining again after a failed join.
	JoinGroupBackoff time.Duration
}

// Validate reports every invalid field, each error naming its field.
func (c ConsumerConfig) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("ingest: %s: "+format, append([]any{field}, args...)...))
	}
	if len(c.Brokers) == 0 {
		bad("brokers", "at least one broker is required")
	}
	for i, b := range c.Brokers {
		if b == "" {
			bad("brokers", "broker %d is empty", i)
		}
	}
	if c.GroupID == "" {
		bad("group_id", "is required")
	}
	if len(c.Topics) == 0 {
		bad("topics", "at least one topic is required")
	}
	seen := make(map[string]bool, len(c.Topics))
	for i, t := range c.Topics {
		switch {
		case t == "":
			bad("topics", "topic %d is empty", i)
		case seen[t]:
			bad("topics", "topic %q is listed twice", t)
		}
		seen[t] = true
	}
	if c.MaxBatch < 0 {
		bad("max_batch", "must not be negative, got %d", c.MaxBatch)
	}
	if c.MaxWait < 0 {
		bad("max_wait", "must not be negative, got %s", c.MaxWait)
	}
	if c.RetryBackoff < 0 {
		bad("retry_backoff", "must not be negative, got %s", c.RetryBackoff)
	}
	if c.DrainTimeout < 0 {
		bad("drain_timeout", "must not be negative, got %s", c.DrainTimeout)
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"session_timeout", c.SessionTimeout}, {"heartbeat_interval", c.HeartbeatInterval},
		{"rebalance_timeout", c.RebalanceTimeout}, {"join_group_backoff", c.JoinGroupBackoff}} {
		if d.v < 0 {
			bad(d.field, "must not be negative, got %s", d.v)
		}
	}
	if c.SessionTimeout > 0 && c.HeartbeatInterval >= c.SessionTimeout {
		bad("heartbeat_interval", "%s must be shorter than session_timeout %s", c.HeartbeatInterval, c.SessionTimeout)
	}
	return errors.Join(errs...)
}

// WithDefaults returns c with its zero fields set to the defaults.
func (c ConsumerConfig) WithDefaults() ConsumerConfig {
	c.MaxBatch = cmp.Or(c.MaxBatch, DefaultMaxBatch)
	c.MaxWait = cmp.Or(c.MaxWait, DefaultMaxWait)
	c.RetryBackoff = cmp.Or(c.RetryBackoff, DefaultRetryBackoff)
	c.DrainTimeout = cmp.Or(c.DrainTimeout, DefaultDrainTimeout)
	c.SessionTimeout = cmp.Or(c.SessionTimeout, DefaultSessionTimeout)
	c.HeartbeatInterval = cmp.Or(c.HeartbeatInterval, DefaultHeartbeatInterval)
	c.RebalanceTimeout = cmp.Or(c.RebalanceTimeout, DefaultRebalanceTimeout)
	c.JoinGroupBackoff = cmp.Or(c.JoinGroupBackoff, DefaultJoinGroupBackoff)
	return c
}

// backoff is the pause before retry number attempt (0-based): base doubled
// per attempt, capped at maxBackoff (or base, when base is larger).
func backoff(base time.Duration, attempt int) time.Duration {
	limit := max(base, maxBackoff)
	d := base
	for range attempt {
		if d >= limit/2 {
			return limit
		}
		d *= 2
	}
	return min(d, limit)
}
