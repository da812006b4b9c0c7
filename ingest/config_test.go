package ingest

import (
	"strings"
	"testing"
	"time"
)

func TestConsumerConfigValidate(t *testing.T) {
	good := ConsumerConfig{Brokers: []string{"127.0.0.1:9092"}, GroupID: "sellerguard", Topics: []string{"orders", "refunds"}}
	tests := []struct {
		name    string
		edit    func(*ConsumerConfig)
		wantErr []string // substrings the error must contain; none means valid
	}{
		{"valid", func(*ConsumerConfig) {}, nil},
		{"valid with every field", func(c *ConsumerConfig) {
			c.MaxBatch, c.MaxWait, c.RetryBackoff, c.DrainTimeout = 10, time.Second, time.Second, time.Minute
		}, nil},
		{"no brokers", func(c *ConsumerConfig) { c.Brokers = nil }, []string{"ingest: brokers: at least one broker is required"}},
		{"empty broker", func(c *ConsumerConfig) { c.Brokers = []string{""} }, []string{"ingest: brokers: broker 0 is empty"}},
		{"no group", func(c *ConsumerConfig) { c.GroupID = "" }, []string{"ingest: group_id:"}},
		{"no topics", func(c *ConsumerConfig) { c.Topics = nil }, []string{"ingest: topics: at least one topic"}},
		{"empty topic", func(c *ConsumerConfig) { c.Topics = []string{"orders", ""} }, []string{"ingest: topics: topic 1 is empty"}},
		{"duplicate topic", func(c *ConsumerConfig) { c.Topics = []string{"orders", "orders"} }, []string{`ingest: topics: topic "orders" is listed twice`}},
		{"negative max batch", func(c *ConsumerConfig) { c.MaxBatch = -1 }, []string{"ingest: max_batch:"}},
		{"negative max wait", func(c *ConsumerConfig) { c.MaxWait = -time.Second }, []string{"ingest: max_wait:"}},
		{"negative backoff", func(c *ConsumerConfig) { c.RetryBackoff = -1 }, []string{"ingest: retry_backoff:"}},
		{"negative drain", func(c *ConsumerConfig) { c.DrainTimeout = -1 }, []string{"ingest: drain_timeout:"}},
		{"group timing", func(c *ConsumerConfig) {
			c.SessionTimeout, c.HeartbeatInterval, c.RebalanceTimeout, c.JoinGroupBackoff = 6*time.Second, time.Second, time.Minute, time.Second
		}, nil},
		{"negative session timeout", func(c *ConsumerConfig) { c.SessionTimeout = -1 }, []string{"ingest: session_timeout:"}},
		{"negative join backoff", func(c *ConsumerConfig) { c.JoinGroupBackoff = -1 }, []string{"ingest: join_group_backoff:"}},
		{"heartbeat not below session", func(c *ConsumerConfig) { c.SessionTimeout, c.HeartbeatInterval = time.Second, time.Second },
			[]string{"ingest: heartbeat_interval:"}},
		{"several at once", func(c *ConsumerConfig) { c.Brokers, c.GroupID = nil, "" }, []string{"ingest: brokers:", "ingest: group_id:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			c.Brokers = append([]string(nil), good.Brokers...)
			c.Topics = append([]string(nil), good.Topics...)
			tt.edit(&c)
			err := c.Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestConsumerConfigWithDefaults(t *testing.T) {
	got := ConsumerConfig{}.WithDefaults()
	if got.MaxBatch != 500 || got.MaxWait != 20*time.Millisecond || got.RetryBackoff != 200*time.Millisecond || got.DrainTimeout != 30*time.Second {
		t.Errorf("defaults = %+v", got)
	}
	// A crashed member's partitions move after the session timeout: kafka-go's
	// 30s default is too long; a joining member is heard of within a heartbeat.
	if got.SessionTimeout != 10*time.Second || got.HeartbeatInterval != time.Second || got.RebalanceTimeout != 10*time.Second || got.JoinGroupBackoff != time.Second {
		t.Errorf("group defaults = %+v", got)
	}
	set := ConsumerConfig{MaxBatch: 7, MaxWait: time.Second, RetryBackoff: time.Millisecond, DrainTimeout: time.Second}
	if got := set.WithDefaults(); got.MaxBatch != 7 || got.MaxWait != time.Second || got.RetryBackoff != time.Millisecond || got.DrainTimeout != time.Second {
		t.Errorf("WithDefaults changed set fields: %+v", got)
	}
}

func TestBackoff(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		base    time.Duration
		attempt int
		want    time.Duration
	}{
		{200 * ms, 0, 200 * ms},
		{200 * ms, 1, 400 * ms},
		{200 * ms, 4, 3200 * ms},
		{200 * ms, 5, 5 * time.Second},
		{200 * ms, 1000, 5 * time.Second},
		{10 * ms, 3, 80 * ms},
		{10 * time.Second, 0, 10 * time.Second}, // a base above the cap is kept
		{10 * time.Second, 5, 10 * time.Second},
	}
	for _, tt := range tests {
		if got := backoff(tt.base, tt.attempt); got != tt.want {
			t.Errorf("backoff(%s, %d) = %s, want %s", tt.base, tt.attempt, got, tt.want)
		}
	}
}
