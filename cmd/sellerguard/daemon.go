package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sellerguard/sellerguard/api"
	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/ingest"
	"github.com/sellerguard/sellerguard/offender"
	"github.com/sellerguard/sellerguard/store"
	"github.com/sellerguard/sellerguard/web"
	"github.com/sellerguard/sellerguard/webhook"
)

// options is everything a daemon is built from, whatever the flags were.
type options struct {
	brokers []string
	group   string
	redis   []string
	listen  string
	config  fileConfig
	// configPath is watched for changes (and reread on SIGHUP); "" for none.
	configPath string
	tokens     []api.Token
	// offenderKey keys the hashes of known offenders: the same on every
	// instance, kept forever.
	offenderKey string
	log         *slog.Logger
}

// daemon is one running SellerGuard: the processor, its consumer and the HTTP
// server. main and the end-to-end tests build it the same way.
type daemon struct {
	store      *store.Redis
	consumer   *ingest.Consumer
	writers    []*ingest.Writer
	processor  *detector.Processor
	httpServer *http.Server
	listener   net.Listener
	registry   *prometheus.Registry
	log        *slog.Logger
	configPath string
	config     fileConfig
	reloads    *prometheus.CounterVec
	offenders  *offender.Book
	webhooks   *webhook.Webhooks
	review     *api.Review
	tokens     *api.Tokens
}

// publishers publishes to each in turn; all must succeed.
type publishers []detector.Publisher

func (ps publishers) Publish(ctx context.Context, msgs []event.Raw) error {
	for _, p := range ps {
		if err := p.Publish(ctx, msgs); err != nil {
			return err
		}
	}
	return nil
}

func newDaemon(ctx context.Context, o options) (*daemon, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	scfg := store.DefaultConfig()
	scfg.Addrs, scfg.Retention = o.redis, o.config.Retention
	st, err := store.New(ctx, scfg, reg)
	if err != nil {
		return nil, err
	}
	d := &daemon{store: st, registry: reg, log: o.log, configPath: o.configPath, config: o.config,
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sellerguard_config_reloads_total", Help: "Configuration reloads, by result (ok, failed).",
		}, []string{"result"})}
	reg.MustRegister(d.reloads)
	d.reloads.WithLabelValues("ok")
	d.reloads.WithLabelValues("failed")
	fail := func(err error) (*daemon, error) {
		d.close()
		return nil, err
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := ingest.EnsureTopics(tctx, o.brokers, 3, o.config.Topics.all()...); err != nil {
		return fail(err)
	}
	decisions := ingest.NewWriter(o.brokers, o.config.Topics.Decisions)
	deadLetters := ingest.NewWriter(o.brokers, o.config.Topics.DeadLetter)
	d.writers = []*ingest.Writer{decisions, deadLetters}
	hasher, err := offender.NewHasher([]byte(o.offenderKey))
	if err != nil {
		return fail(fmt.Errorf("--offender-key: %w", err))
	}
	filter, err := offender.NewFilter(1_000_000, 0.001)
	if err != nil {
		return fail(err)
	}
	d.offenders = offender.NewBook(hasher, filter, st, reg)
	if err := d.offenders.Load(tctx); err != nil {
		return fail(err)
	}
	var out detector.Publisher = decisions
	if len(o.config.Webhooks) > 0 {
		if d.webhooks, err = webhook.New(webhook.Config{Hooks: o.config.Webhooks}, st, reg, o.log); err != nil {
			return fail(err)
		}
		out = publishers{decisions, d.webhooks}
	}
	inputs := o.config.Topics.inputs()
	d.processor, err = detector.New(detector.Config{Topics: inputs, Rules: o.config.set, Offenders: d.offenders, Holds: st}, st, st, out, deadLetters, reg, o.log)
	if err != nil {
		return fail(err)
	}
	names := []string{o.config.Topics.Orders, o.config.Topics.Refunds, o.config.Topics.Returns, o.config.Topics.Messages}
	d.consumer, err = ingest.NewConsumer(ingest.ConsumerConfig{Brokers: o.brokers, GroupID: o.group, Topics: names}, d.processor, reg, o.log)
	if err != nil {
		return fail(err)
	}
	tokens, err := api.NewTokens(o.tokens)
	if err != nil {
		return fail(err)
	}
	checks := []api.Check{
		{Name: "redis", Ping: st.Ping},
		{Name: "kafka", Ping: func(ctx context.Context) error { return ingest.Ping(ctx, o.brokers) }},
	}
	srv := api.New(st, tokens, checks, reg, reg, o.log)
	srv.HandleOffenders(d.offenders)
	d.review = api.NewReview(st, st, d.offenders, decisions, api.ReviewConfig{Reassess: d.processor}, reg, o.log)
	d.tokens = tokens
	srv.HandleReview(d.review)
	srv.HandleOpenAPI()
	ui, err := web.New(d.review, tokens, o.log, web.WithAllowlist(st, d.processor))
	if err != nil {
		return fail(err)
	}
	srv.HandleWeb(ui)
	srv.HandleAssess(d.processor)
	srv.HandleWebhooks(st)
	srv.HandleAllowances(st, func(ctx context.Context, shop, refundID string) error {
		return d.processor.Reassess(ctx, []detector.Ref{{Shop: shop, RefundID: refundID}})
	})
	d.httpServer = &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	if d.listener, err = net.Listen("tcp", o.listen); err != nil {
		return fail(fmt.Errorf("listen: %w", err))
	}
	return d, nil
}

// addr is where the HTTP server listens.
func (d *daemon) addr() string { return d.listener.Addr().String() }

// run serves until ctx ends, then finishes the batch in hand, commits it and
// stops.
func (d *daemon) run(ctx context.Context) error {
	defer d.close()
	served := make(chan error, 1)
	go func() { served <- d.httpServer.Serve(d.listener) }()
	d.log.Info("sellerguard running", "http", d.addr(), "ruleset_version", d.config.set.Version)
	if d.configPath != "" {
		go d.watchConfig(ctx, 2*time.Second)
	}
	go d.offenders.Run(ctx, 5*time.Second, time.Hour, d.log)
	go d.review.Run(ctx, d.tokens, 30*time.Second)
	if d.webhooks != nil {
		go d.webhooks.Run(ctx, time.Second)
	}
	consumed := d.consumer.Run(ctx)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = d.httpServer.Shutdown(sctx)
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return errors.Join(consumed, err)
	}
	return consumed
}

// watchConfig rereads the config file on SIGHUP and when it changes. A good
// file replaces the rules at once, for the next batch; a bad one leaves the
// running rules in force and says why.
func (d *daemon) watchConfig(ctx context.Context, every time.Duration) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	tick := time.NewTicker(every)
	defer tick.Stop()
	last := d.config.raw
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		case <-tick.C:
			data, err := os.ReadFile(d.configPath)
			if err == nil && bytes.Equal(data, last) {
				continue
			}
			last = data
		}
		d.reload()
	}
}

func (d *daemon) reload() {
	cfg, err := loadConfig(d.configPath)
	if err != nil {
		d.reloads.WithLabelValues("failed").Inc()
		d.log.Error("config reload failed; the previous rules stay in force", "err", err,
			"ruleset_version", d.config.set.Version)
		return
	}
	if cfg.Topics != d.config.Topics || cfg.Retention != d.config.Retention {
		d.log.Warn("topics and retention change only on restart")
	}
	d.processor.SetRules(cfg.set)
	d.config = cfg
	d.reloads.WithLabelValues("ok").Inc()
	d.log.Info("config reloaded", "ruleset_version", cfg.set.Version)
}

func (d *daemon) close() {
	for _, w := range d.writers {
		_ = w.Close()
	}
	if d.store != nil {
		_ = d.store.Close()
	}
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", level)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func runDaemon(ctx context.Context, args []string, _, stderr io.Writer) int {
	fs := newFlagSet("run", "sellerguard run [flags]\n\nThe daemon: consumes the input topics, keeps facts and assessments in Redis,\npublishes decisions, and serves the API, /metrics, /healthz and /readyz.", stderr)
	brokers := fs.String("brokers", "127.0.0.1:9092", "Kafka bootstrap brokers, comma-separated")
	group := fs.String("group", "sellerguard", "consumer group id; instances with one group share the partitions")
	redisAddr := fs.String("redis", "127.0.0.1:6379", "Redis address or redis:// URL; several comma-separated addresses mean a Redis Cluster")
	listen := fs.String("listen", "127.0.0.1:8080", "HTTP address for the API, /metrics, /healthz and /readyz")
	configPath := fs.String("config", "", "YAML file with rule settings and topic names (default: built-in)")
	tokensFile := fs.String("tokens-file", "", "YAML file of API tokens")
	adminToken := fs.String("admin-token", "", "one bootstrap token with the admin role over all shops")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	offenderKey := fs.String("offender-key", "", "secret (at least 16 bytes, e.g. openssl rand -hex 32) keying the hashes of known offenders; the same on every instance, and kept: another key orphans every confirmation")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	o, err := daemonOptions(*brokers, *group, *redisAddr, *listen, *configPath, *tokensFile, *adminToken)
	if err != nil {
		fmt.Fprintf(stderr, "sellerguard run: %v\n", err)
		return exitUsage
	}
	if o.log, err = newLogger(stderr, *logLevel); err != nil {
		fmt.Fprintf(stderr, "sellerguard run: %v\n", err)
		return exitUsage
	}
	if o.offenderKey = *offenderKey; len(o.offenderKey) < offender.MinKeyLen {
		fmt.Fprintf(stderr, "sellerguard run: --offender-key: required, at least %d bytes (e.g. openssl rand -hex 32)\n", offender.MinKeyLen)
		return exitUsage
	}
	d, err := newDaemon(ctx, o)
	if err != nil {
		o.log.Error("start failed", "err", err)
		return exitFailed
	}
	if err := d.run(ctx); err != nil {
		o.log.Error("stopped with error", "err", err)
		return exitFailed
	}
	o.log.Info("stopped")
	return 0
}

// daemonOptions checks the flags that need more than parsing.
func daemonOptions(brokers, group, redisAddr, listen, configPath, tokensFile, adminToken string) (options, error) {
	o := options{brokers: splitList(brokers), group: group, redis: splitList(redisAddr), listen: listen, configPath: configPath}
	switch {
	case len(o.brokers) == 0:
		return o, errors.New("--brokers: at least one broker is required")
	case group == "":
		return o, errors.New("--group: must not be empty")
	case len(o.redis) == 0:
		return o, errors.New("--redis: an address is required")
	}
	if _, _, err := net.SplitHostPort(listen); err != nil {
		return o, fmt.Errorf("--listen: %w", err)
	}
	var err error
	if o.config, err = loadConfig(configPath); err != nil {
		return o, fmt.Errorf("--config: %w", err)
	}
	if tokensFile != "" {
		f, err := os.Open(tokensFile)
		if err != nil {
			return o, fmt.Errorf("--tokens-file: %w", err)
		}
		defer f.Close()
		if o.tokens, err = api.ParseTokens(f); err != nil {
			return o, fmt.Errorf("--tokens-file: %s: %w", tokensFile, err)
		}
	}
	if adminToken != "" {
		o.tokens = append(o.tokens, api.Token{Token: adminToken, Shop: "*", Role: api.RoleAdmin, Name: "bootstrap"})
	}
	if _, err := api.NewTokens(o.tokens); err != nil {
		return o, fmt.Errorf("tokens: %w", err)
	}
	return o, nil
}
