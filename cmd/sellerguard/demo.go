package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/sellerguard/sellerguard/api"
	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/ingest"
	"github.com/sellerguard/sellerguard/kafkatest"
	"github.com/sellerguard/sellerguard/offender"
	"github.com/sellerguard/sellerguard/rules"
	"github.com/sellerguard/sellerguard/sim"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("demo", "sellerguard demo [flags]\n\nEverything in one process, needing nothing installed: an in-process Kafka-protocol\nbroker and Redis-protocol server, the daemon, and simulated honest and malicious traffic.", stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "HTTP address for the API, /metrics, /healthz and /readyz")
	rate := fs.Float64("rate", 20, "simulated events per second")
	seed := fs.Uint64("seed", 1, "simulation seed")
	duration := fs.Duration("duration", 0, "stop after this long (0: until interrupted)")
	logLevel := fs.String("log-level", "warn", "daemon log level: debug, info, warn or error")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *rate <= 0 || *rate > 100000 {
		fmt.Fprintf(stderr, "sellerguard demo: --rate: %v is not between 0 and 100000\n", *rate)
		return exitUsage
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "sellerguard demo: %v\n", err)
		return exitUsage
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	if err := demo(ctx, demoOptions{listen: *listen, rate: *rate, seed: *seed, out: stdout, log: log}); err != nil {
		fmt.Fprintf(stderr, "sellerguard demo: %v\n", err)
		return exitFailed
	}
	return 0
}

type demoOptions struct {
	listen string
	rate   float64
	seed   uint64
	out    io.Writer
	log    *slog.Logger
}

func demo(ctx context.Context, o demoOptions) error {
	cfg := defaultConfig()
	// The simulated shops, set up as their owners would: return warehouses
	// and accepted couriers.
	world := sim.New(sim.Config{Seed: o.seed, Start: time.Now().Add(-30 * 24 * time.Hour)})
	set, err := rules.NewSet(cfg.Rules.Version, cfg.Rules, simShops(world, cfg.Rules, "shop-1", "shop-2"), nil)
	if err != nil {
		return err
	}
	cfg.set = set
	brokers, stopKafka, err := kafkatest.NewCluster(3, cfg.Topics.all()...)
	if err != nil {
		return err
	}
	defer stopKafka()
	rds, err := miniredis.Run()
	if err != nil {
		return fmt.Errorf("start in-process redis: %w", err)
	}
	defer rds.Close()
	token := randomToken()
	d, err := newDaemon(ctx, options{offenderKey: offender.RandomKey(), brokers: brokers, group: "sellerguard-demo", redis: []string{rds.Addr()}, listen: o.listen,
		config: cfg, tokens: []api.Token{{Token: token, Shop: "*", Role: api.RoleAdmin, Name: "demo"}}, log: o.log})
	if err != nil {
		return err
	}
	base := "http://" + d.addr()
	fmt.Fprintf(o.out, `SellerGuard demo
  staff web UI     %s/ui/  (log in with the admin token; 中文 / English)
  API and metrics  %s  (GET /v1/refunds/{id}, /v1/openapi.json, /metrics, /healthz, /readyz)
  admin token      %s
  Kafka broker     %s  (topics: %s, %s, %s, %s → %s; dead letters %s)
  Redis            %s
  try              curl -H 'Authorization: Bearer %s' %s/v1/refunds/REFUND_ID
  or               go run ./cmd/sellerguard check --api %s --token %s REFUND_ID

Flagged refunds appear below as the simulated traffic is assessed (Ctrl-C stops).
`, base, base, token, brokers[0], cfg.Topics.Orders, cfg.Topics.Refunds, cfg.Topics.Returns, cfg.Topics.Messages,
		cfg.Topics.Decisions, cfg.Topics.DeadLetter, rds.Addr(), token, base, base, token)

	var wg sync.WaitGroup
	watch := make(chan sim.Label, 1024)
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(watch)
		if err := feed(ctx, brokers, cfg.Topics, world, o, watch); err != nil && ctx.Err() == nil {
			o.log.Error("simulator stopped", "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		report(ctx, base, token, o.out, watch)
	}()
	err = d.run(ctx)
	wg.Wait()
	return err
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "sg_demo_" + hex.EncodeToString(b)
}

// feed produces simulated scenes at the given rate and passes on the labels
// of the malicious refunds so report can show how they were judged.
func feed(ctx context.Context, brokers []string, t topics, s *sim.Sim, o demoOptions, watch chan<- sim.Label) error {
	writers := map[event.Kind]*ingest.Writer{}
	for topic, kind := range t.inputs() {
		w := ingest.NewWriter(brokers, topic)
		defer w.Close()
		writers[kind] = w
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / o.rate))
	defer tick.Stop()
	for {
		sc := s.Scene()
		for _, e := range sc.Events {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick.C:
			}
			if err := writers[e.Kind].Publish(ctx, []event.Raw{{Key: []byte(e.Key), Value: e.Value}}); err != nil {
				return err
			}
		}
		for _, l := range sc.Labels {
			if len(l.Rules) > 0 {
				select {
				case watch <- l:
				default: // the reporter is behind; it shows a sample
				}
			}
		}
	}
}

// report asks the API about each malicious refund until it is flagged, and
// prints it: the same answer a refund workflow would get.
func report(ctx context.Context, base, token string, out io.Writer, watch <-chan sim.Label) {
	var pending []sim.Label
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case l, ok := <-watch:
			if !ok {
				return
			}
			pending = append(pending, l)
			continue
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		keep := pending[:0]
		for _, l := range pending {
			a, err := lookup(ctx, base, token, l)
			if err != nil || a.Decision == rules.Approve {
				keep = append(keep, l)
				continue
			}
			fmt.Fprintf(out, "%s  %-6s %3d  %s/%s  %s\n", time.Now().Format("15:04:05"), a.Decision, a.Score, a.ShopID, a.RefundID, summary(a))
		}
		pending = keep
	}
}

func summary(a rules.Assessment) string {
	s := ""
	for i, r := range a.Reasons {
		if i > 0 {
			s += "; "
		}
		s += r.Rule + ": " + r.Message.ZH
	}
	return s
}

func lookup(ctx context.Context, base, token string, l sim.Label) (rules.Assessment, error) {
	var a rules.Assessment
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/refunds/"+l.RefundID+"?shop_id="+l.ShopID, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return a, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return a, errors.New(resp.Status)
	}
	return a, json.NewDecoder(resp.Body).Decode(&a)
}
