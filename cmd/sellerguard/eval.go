package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/ingest"
	"github.com/sellerguard/sellerguard/kafkatest"
	"github.com/sellerguard/sellerguard/offender"
	"github.com/sellerguard/sellerguard/rules"
	"github.com/sellerguard/sellerguard/sim"
)

// defaultTargets are the quality bounds of the default world.
var defaultTargets = sim.Targets{MinRecall: 0.95, MaxHonestBlocked: 0.001, MaxHonestReview: 0.03, MinMaliciousCaught: 0.95}

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("eval", "sellerguard eval [flags]\n\nRuns a simulated, labelled world through the real pipeline (in-process Kafka-protocol\nbroker, Redis) and reports how many honest refunds were wrongly held, how many\nmalicious ones were caught, and recall and precision per rule.", stderr)
	seed := fs.Uint64("seed", 1, "world seed")
	scenes := fs.Int("scenes", 3000, "stories in the world")
	redisAddr := fs.String("redis", "", "Redis address (default: a redis-server started from PATH, else an in-process one)")
	out := fs.String("out", "", "also write the report as Markdown to this file (e.g. docs/quality.md)")
	check := fs.Bool("check", false, "exit 1 when the world misses the quality targets")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *scenes < 1 {
		fmt.Fprintln(stderr, "sellerguard eval: --scenes must be at least 1")
		return exitUsage
	}
	addr, stop, err := evalRedis(*redisAddr)
	if err != nil {
		fmt.Fprintf(stderr, "sellerguard eval: %v\n", err)
		return exitFailed
	}
	defer stop()
	start := time.Now()
	rep, err := evaluateWorld(ctx, *seed, *scenes, []string{addr}, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		fmt.Fprintf(stderr, "sellerguard eval: %v\n", err)
		return exitFailed
	}
	md := fmt.Sprintf("World: seed %d, %d scenes, run with `go run ./cmd/sellerguard eval --seed %d --scenes %d` in %s.\n\n%s",
		*seed, *scenes, *seed, *scenes, time.Since(start).Round(time.Second), rep.Markdown())
	fmt.Fprint(stdout, md)
	if *out != "" {
		if err := writeQuality(*out, md); err != nil {
			fmt.Fprintf(stderr, "sellerguard eval: %v\n", err)
			return exitFailed
		}
	}
	if misses := rep.Check(defaultTargets); *check && len(misses) > 0 {
		fmt.Fprintf(stderr, "sellerguard eval: targets missed:\n  %s\n", strings.Join(misses, "\n  "))
		return exitFailed
	}
	return 0
}

// writeQuality replaces the generated part of a Markdown file, between
// <!-- eval --> and <!-- /eval -->, or writes the file when it has none.
func writeQuality(path, md string) error {
	const open, end = "<!-- eval -->", "<!-- /eval -->"
	old, err := os.ReadFile(path)
	if err == nil {
		s := string(old)
		if i, j := strings.Index(s, open), strings.Index(s, end); i >= 0 && j > i {
			return os.WriteFile(path, []byte(s[:i+len(open)]+"\n"+md+s[j:]), 0o644)
		}
	}
	return os.WriteFile(path, []byte(open+"\n"+md+end+"\n"), 0o644)
}

func evalRedis(addr string) (string, func(), error) {
	if addr != "" {
		return addr, func() {}, nil
	}
	if bin, err := exec.LookPath("redis-server"); err == nil {
		port := freeLoopbackPort()
		cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
		if err := cmd.Start(); err == nil {
			a := fmt.Sprintf("127.0.0.1:%d", port)
			if waitTCP(a, 5*time.Second) == nil {
				return a, func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }, nil
			}
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}
	m, err := miniredis.Run()
	if err != nil {
		return "", nil, err
	}
	return m.Addr(), m.Close, nil
}

// evaluateWorld runs a simulated world through the daemon as main builds it
// and compares every refund's assessment with its labels.
func evaluateWorld(ctx context.Context, seed uint64, scenes int, redisAddrs []string, log *slog.Logger) (sim.Report, error) {
	cfg := defaultConfig()
	s := sim.New(sim.Config{Seed: seed})
	shops := simShops(s, cfg.Rules, "shop-1", "shop-2")
	set, err := rules.NewSet("eval", cfg.Rules, shops, nil)
	if err != nil {
		return sim.Report{}, err
	}
	cfg.set = set
	brokers, stopKafka, err := kafkatest.NewCluster(3, cfg.Topics.all()...)
	if err != nil {
		return sim.Report{}, err
	}
	defer stopKafka()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d, err := newDaemon(ctx, options{offenderKey: offender.RandomKey(), brokers: brokers, group: "eval", redis: redisAddrs, listen: "127.0.0.1:0", config: cfg, log: log})
	if err != nil {
		return sim.Report{}, err
	}
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()

	// Phase one: the world. Phase two: a reviewer confirms the buyers of
	// empty parcels as fraud, and some of them come back to buy again.
	sink := &memorySink{}
	n, err := simulate(ctx, s, sink, 0, scenes)
	if err != nil {
		return sim.Report{}, err
	}
	if err := sink.flush(ctx, brokers, cfg.Topics); err != nil {
		return sim.Report{}, err
	}
	if err := waitForEvents(ctx, d, n, 10*time.Minute); err != nil {
		return sim.Report{}, err
	}
	offenders := s.Offenders()
	offenders = offenders[:min(len(offenders), max(1, scenes/50))]
	for _, o := range offenders {
		id, _ := offender.AccountID(o.BuyerID)
		if err := d.offenders.Confirm(ctx, o.ShopID, o.RefundID, []offender.Identifier{id}, time.Now()); err != nil {
			return sim.Report{}, err
		}
		sc := s.Returning(o)
		for _, e := range sc.Events {
			_ = sink.Event(ctx, e)
			n++
		}
		for _, l := range sc.Labels {
			_ = sink.Label(l)
		}
	}
	if err := sink.flush(ctx, brokers, cfg.Topics); err != nil {
		return sim.Report{}, err
	}
	if err := waitForEvents(ctx, d, n, 10*time.Minute); err != nil {
		return sim.Report{}, err
	}
	outcomes := map[string]sim.Outcome{}
	for _, l := range sink.labels {
		body, found, err := d.store.Assessment(ctx, l.ShopID, l.RefundID)
		if err != nil {
			return sim.Report{}, err
		}
		if !found {
			continue
		}
		var a rules.Assessment
		if err := json.Unmarshal(body, &a); err != nil {
			return sim.Report{}, err
		}
		o := sim.Outcome{Decision: string(a.Decision)}
		for _, r := range a.Reasons {
			o.Rules = append(o.Rules, r.Rule)
		}
		outcomes[l.ShopID+"/"+l.RefundID] = o
	}
	cancel()
	if err := <-done; err != nil {
		return sim.Report{}, err
	}
	return sim.Evaluate(sink.labels, outcomes), nil
}

// memorySink batches a world per topic so it is produced in a few writes.
type memorySink struct {
	events map[event.Kind][]event.Raw
	labels []sim.Label
}

func (m *memorySink) Event(_ context.Context, e sim.Produced) error {
	if m.events == nil {
		m.events = map[event.Kind][]event.Raw{}
	}
	m.events[e.Kind] = append(m.events[e.Kind], event.Raw{Key: []byte(e.Key), Value: e.Value})
	return nil
}

func (m *memorySink) Label(l sim.Label) error { m.labels = append(m.labels, l); return nil }

// flush produces the events gathered so far, one write per topic.
func (m *memorySink) flush(ctx context.Context, brokers []string, t topics) error {
	for topic, kind := range t.inputs() {
		if len(m.events[kind]) == 0 {
			continue
		}
		w := ingest.NewWriter(brokers, topic)
		err := w.Publish(ctx, m.events[kind])
		_ = w.Close()
		if err != nil {
			return err
		}
		m.events[kind] = nil
	}
	return nil
}
func (m *memorySink) Close() error { return nil }

// waitForEvents waits until the daemon has handled n input events.
func waitForEvents(ctx context.Context, d *daemon, n int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		got, err := handledEvents(d)
		if err != nil {
			return err
		}
		if got >= float64(n) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("handled %v of %d events in %s", got, n, within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// handledEvents counts input events stored or dead-lettered.
func handledEvents(d *daemon) (float64, error) {
	mfs, err := d.registry.Gather()
	if err != nil {
		return 0, err
	}
	sum := 0.0
	for _, mf := range mfs {
		if n := mf.GetName(); n == "sellerguard_events_processed_total" || n == "sellerguard_events_invalid_total" {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum, nil
}
