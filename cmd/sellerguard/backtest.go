package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/offender"
	"github.com/sellerguard/sellerguard/store"
)

func runBacktest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("backtest", "sellerguard backtest --config candidate.yaml [flags]\n\nAssesses the stored facts with a candidate configuration and reports which decisions\nand actions would change, without touching live state.", stderr)
	redisAddr := fs.String("redis", "127.0.0.1:6379", "Redis address or URL; several comma-separated addresses mean a Redis Cluster")
	configPath := fs.String("config", "", "the candidate configuration (required)")
	from := fs.String("from", "", "only refunds requested at or after this RFC 3339 time")
	to := fs.String("to", "", "only refunds requested before this RFC 3339 time")
	shop := fs.String("shop", "", "only this shop")
	offenderKey := fs.String("offender-key", "", "the daemon's offender key, so known_offender is judged as live")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "sellerguard backtest: "+format+"\n", a...)
		return exitUsage
	}
	if *configPath == "" {
		return usage("--config: the candidate configuration is required")
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return usage("--config: %v", err)
	}
	var t0, t1 time.Time
	if *from != "" {
		if t0, err = time.Parse(time.RFC3339, *from); err != nil {
			return usage("--from: %v", err)
		}
	}
	if *to != "" {
		if t1, err = time.Parse(time.RFC3339, *to); err != nil {
			return usage("--to: %v", err)
		}
	}
	scfg := store.DefaultConfig()
	scfg.Addrs = splitList(*redisAddr)
	reg := prometheus.NewRegistry()
	st, err := store.New(ctx, scfg, reg)
	if err != nil {
		return usage("--redis: %v", err)
	}
	defer st.Close()
	var offenders detector.Offenders
	if *offenderKey != "" {
		h, err := offender.NewHasher([]byte(*offenderKey))
		if err != nil {
			return usage("--offender-key: %v", err)
		}
		f, _ := offender.NewFilter(1_000_000, 0.001)
		book := offender.NewBook(h, f, st, reg)
		if err := book.Load(ctx); err != nil {
			fmt.Fprintf(stderr, "sellerguard backtest: %v\n", err)
			return exitFailed
		}
		offenders = book
	}
	rep, err := backtest(ctx, st, offenders, cfg, *shop, t0, t1)
	if err != nil {
		fmt.Fprintf(stderr, "sellerguard backtest: %v\n", err)
		return exitFailed
	}
	if *asJSON {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	fmt.Fprintf(stdout, "candidate %s over %d refunds (%d without an assessment skipped)\n", cfg.set.Version, rep.Refunds, rep.Skipped)
	fmt.Fprintf(stdout, "decisions that would change: %d   actions that would change: %d\n", rep.DecisionChanges, rep.ActionChanges)
	for _, k := range slices.Sorted(maps.Keys(rep.Transitions)) {
		fmt.Fprintf(stdout, "  %-16s %d\n", k, rep.Transitions[k])
	}
	fmt.Fprintf(stdout, "findings per rule (now → candidate), precision from reviewers' verdicts of the last %d days:\n", rep.VerdictDays)
	for _, k := range slices.Sorted(maps.Keys(rep.Rules)) {
		rb := rep.Rules[k]
		prec := "precision —    (no verdicts)"
		if rb.Precision != nil {
			prec = fmt.Sprintf("precision %3.0f%% (%d fraud / %d legit), ~%.1f true frauds expected", *rb.Precision*100, rb.Fraud, rb.Legit, *rb.ExpectedFraud)
		}
		fmt.Fprintf(stdout, "  %-26s %5d → %-5d %s\n", k, rb.Now, rb.Candidate, prec)
	}
	for _, c := range rep.Changed {
		fmt.Fprintf(stdout, "  %s/%s: %s (%s) → %s (%s)\n", c.Shop, c.RefundID, c.From, c.FromAction, c.To, c.ToAction)
	}
	return 0
}

// verdictDays is the window of past verdicts a backtest's precisions use,
// as the rules page's longer one.
const verdictDays = 30

// backtest compares the candidate with the stored assessments of every
// refund, and gives each rule the precision of the last verdictDays days of
// the shops' verdicts (China-time days up to today, as the review workflow
// counts them).
func backtest(ctx context.Context, st *store.Redis, offenders detector.Offenders, cfg fileConfig, shop string, from, to time.Time) (detector.BacktestReport, error) {
	refs, err := st.RefundRefs(ctx)
	if err != nil {
		return detector.BacktestReport{}, err
	}
	if shop != "" {
		refs = slices.DeleteFunc(refs, func(r detector.Ref) bool { return r.Shop != shop })
	}
	var shops []string
	for _, r := range refs {
		if !slices.Contains(shops, r.Shop) {
			shops = append(shops, r.Shop)
		}
	}
	now := time.Now()
	days := make([]string, verdictDays)
	for i := range days {
		days[i] = store.ReviewDay(now.Add(-time.Duration(i) * 24 * time.Hour))
	}
	past, err := detector.PastVerdicts(ctx, st, shops, days)
	if err != nil {
		return detector.BacktestReport{}, err
	}
	rep, err := detector.Backtest(ctx, st, st, offenders, cfg.set, refs, from, to, past)
	rep.VerdictDays = verdictDays
	return rep, err
}
