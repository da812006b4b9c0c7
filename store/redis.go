// Package store keeps SellerGuard's facts and assessments in Redis. It owns
// go-redis. Every key of one shop shares the hash tag {shop}, so the Lua
// scripts that change an entity, its indexes, its assessment and the review
// queue together run atomically on one node, on a single Redis or a Cluster.
package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

//go:embed lua/apply.lua
var applySrc string

//go:embed lua/load.lua
var loadSrc string

//go:embed lua/save.lua
var saveSrc string

//go:embed lua/published.lua
var publishedSrc string

//go:embed lua/clock.lua
var clockSrc string

// Config says where Redis is and how long facts live.
type Config struct {
	// Addrs is one address or redis:// URL, or several addresses of a Redis Cluster.
	Addrs     []string
	Retention time.Duration // every key expires this long after its last write
	Timeout   time.Duration // deadline of one pipeline
	// FanoutCap bounds the refunds one event re-assesses and the members read
	// from one index; past it the event is counted, not followed further.
	FanoutCap int
	// DueAfter is how long after a return waybill is filled in its refund is
	// assessed again by the shop's clock (when no logistics record came).
	DueAfter time.Duration
}

// Validate names the first bad field.
func (c Config) Validate() error {
	switch {
	case len(c.Addrs) == 0 || c.Addrs[0] == "":
		return errors.New("store: redis: an address is required")
	case c.Retention < time.Hour:
		return fmt.Errorf("store: retention: %s is shorter than an hour", c.Retention)
	case c.Timeout <= 0:
		return errors.New("store: timeout: must be positive")
	case c.FanoutCap < 10:
		return fmt.Errorf("store: fanout cap: %d is below 10", c.FanoutCap)
	case c.DueAfter <= 0:
		return errors.New("store: due after: must be positive")
	}
	return nil
}

// DefaultConfig is the configuration for one local Redis.
func DefaultConfig() Config {
	return Config{Addrs: []string{"127.0.0.1:6379"}, Retention: 180 * 24 * time.Hour, Timeout: 5 * time.Second, FanoutCap: 200, DueAfter: 72 * time.Hour}
}

// Redis is the fact and assessment store.
type Redis struct {
	c         redis.UniversalClient
	cfg       Config
	apply     *redis.Script
	load      *redis.Script
	save      *redis.Script
	published *redis.Script
	clock     *redis.Script
	m         metrics
}

// New connects and loads the scripts.
func New(ctx context.Context, cfg Config, reg prometheus.Registerer) (*Redis, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c, err := client(cfg)
	if err != nil {
		return nil, err
	}
	r := &Redis{c: c, cfg: cfg, apply: redis.NewScript(applySrc), load: redis.NewScript(loadSrc),
		save: redis.NewScript(saveSrc), published: redis.NewScript(publishedSrc), clock: redis.NewScript(clockSrc), m: newMetrics(reg)}
	return r, nil
}

func client(cfg Config) (redis.UniversalClient, error) {
	// go-redis ignores context deadlines unless told otherwise.
	if len(cfg.Addrs) > 1 {
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: cfg.Addrs, ContextTimeoutEnabled: true,
			ReadTimeout: cfg.Timeout, WriteTimeout: cfg.Timeout}), nil
	}
	a := cfg.Addrs[0]
	opt := &redis.Options{Addr: a}
	if strings.Contains(a, "://") {
		var err error
		if opt, err = redis.ParseURL(a); err != nil {
			return nil, fmt.Errorf("store: redis: %w", err)
		}
	}
	opt.ContextTimeoutEnabled = true
	opt.ReadTimeout, opt.WriteTimeout = cfg.Timeout, cfg.Timeout
	return redis.NewClient(opt), nil
}

// Close releases the connections.
func (r *Redis) Close() error { return r.c.Close() }

// Ping checks that Redis answers.
func (r *Redis) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	if err := r.c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// loadScripts puts the scripts into every node's script cache.
func (r *Redis) loadScripts(ctx context.Context) error {
	load := func(ctx context.Context, c *redis.Client) error {
		for _, s := range []*redis.Script{r.apply, r.load, r.save, r.published, r.clock, holdScript} {
			if err := s.Load(ctx, c).Err(); err != nil {
				return err
			}
		}
		return nil
	}
	switch c := r.c.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, load)
	case *redis.Client:
		return load(ctx, c)
	}
	return fmt.Errorf("store: unexpected client %T", r.c)
}

// pipeline runs fill's commands in one round trip. Scripts go by SHA; when a
// node has lost its script cache (a restart) they are loaded and the whole
// pipeline runs again, which is safe because every script is idempotent.
func (r *Redis) pipeline(ctx context.Context, op string, fill func(redis.Pipeliner)) ([]redis.Cmder, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	start := time.Now()
	defer func() { r.m.duration.WithLabelValues(op).Observe(time.Since(start).Seconds()) }()
	for attempt := 0; ; attempt++ {
		pipe := r.c.Pipeline()
		fill(pipe)
		cmds, err := pipe.Exec(ctx)
		if err == nil || onlyNil(cmds) {
			return cmds, nil
		}
		if attempt == 0 && noScript(cmds) {
			r.m.retries.WithLabelValues(op).Inc()
			if lerr := r.loadScripts(ctx); lerr != nil {
				r.m.errors.WithLabelValues(op).Inc()
				return nil, fmt.Errorf("store: %s: load scripts: %w", op, lerr)
			}
			continue
		}
		r.m.errors.WithLabelValues(op).Inc()
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
}

// onlyNil is a pipeline whose only "errors" are missing keys.
func onlyNil(cmds []redis.Cmder) bool {
	for _, c := range cmds {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return false
		}
	}
	return len(cmds) > 0
}

func noScript(cmds []redis.Cmder) bool {
	for _, c := range cmds {
		if err := c.Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			return true
		}
	}
	return false
}

// prefix is the start of every key of one shop. The shop id is the hash tag;
// braces would break the tag, so they are percent-encoded, and so is "%"
// itself, which keeps the encoding one-to-one.
func prefix(shop string) string {
	if strings.ContainsAny(shop, "{}%") {
		shop = tagEscaper.Replace(shop)
	}
	return "sg:{" + shop + "}:"
}

var (
	tagEscaper   = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D")
	tagUnescaper = strings.NewReplacer("%25", "%", "%7B", "{", "%7D", "}")
)

// refundShopsKey indexes which shops have a refund id, for admin lookups
// that name only the refund. It lives outside any shop's slot.
func refundShopsKey(refundID string) string { return "sg:refund-shops:" + refundID }

type metrics struct {
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	retries  *prometheus.CounterVec
	// allowances recorded, from the API or the staff UI alike
	allowances *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) metrics {
	m := metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sellerguard_store_pipeline_duration_seconds", Help: "Duration of one Redis round trip, by operation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}, []string{"op"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sellerguard_store_errors_total", Help: "Failed Redis round trips, by operation.",
		}, []string{"op"}),
		allowances: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sellerguard_allowances_total", Help: "Allowances (allowlist entries and snoozes) recorded, by identifier kind.",
		}, []string{"kind"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sellerguard_store_retries_total",
			Help: "Redis round trips the store repeated, by operation (a node lost its script cache, e.g. after a restart).",
		}, []string{"op"}),
	}
	for _, op := range []string{"apply", "load", "save", "published", "lookup", "holds", "allow", "webhook"} {
		m.duration.WithLabelValues(op)
		m.errors.WithLabelValues(op)
		m.retries.WithLabelValues(op)
	}
	for _, k := range []string{"account", "phone", "address", "sender"} {
		m.allowances.WithLabelValues(k)
	}
	reg.MustRegister(m.duration, m.errors, m.retries, m.allowances)
	return m
}
