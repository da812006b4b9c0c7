package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/api"
	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/kafkatest"
	"github.com/sellerguard/sellerguard/redistest"
	"github.com/sellerguard/sellerguard/rules"
)

// What a backtest says a candidate configuration would change is what
// changes when the candidate goes live.
func TestBacktestMatchesLiveRun(t *testing.T) {
	redisAddr := redistest.Start(t)
	s := startDaemon(t, kafkatest.Start(t, defaultConfig().Topics.all()...), redisAddr)
	recs := exampleRecords(t, s.cfg)
	for _, r := range simRecords(s.cfg, 9, 1500) {
		recs = append(recs, record{topic: r.Topic, key: string(r.Key), value: r.Value})
	}
	s.produce(t, recs)
	ctx := context.Background()
	if err := waitForEvents(ctx, s.d, len(recs), time.Minute); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "candidate.yaml")
	cand := "rules:\n  version: candidate-1\n  block_score: 50\n  multi_account_address:\n    enabled: false\n  low_weight_return:\n    weight: 70\n"
	if err := os.WriteFile(path, []byte(cand), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	snapshot := func() map[string]rules.Assessment {
		refs, err := s.d.store.RefundRefs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]rules.Assessment{}
		for _, r := range refs {
			body, found, err := s.d.store.Assessment(ctx, r.Shop, r.RefundID)
			if err != nil || !found {
				t.Fatalf("%v: %v %v", r, found, err)
			}
			var a rules.Assessment
			_ = json.Unmarshal(body, &a)
			out[r.Shop+"/"+r.RefundID] = a
		}
		return out
	}
	before := snapshot()
	// Reviewers' verdicts: fraud on one flagged shop-1 case, legit on
	// another; each counts for the rules of its case.
	rev := api.Token{Token: reviewer1, Shop: "shop-1", Role: api.RoleReviewer, Name: "rev"}
	want := map[string]*detector.RuleVerdicts{}
	var flagged []string
	for _, k := range slices.Sorted(maps.Keys(before)) {
		if a := before[k]; strings.HasPrefix(k, "shop-1/") && a.Decision != rules.Approve && len(a.Reasons) > 0 {
			flagged = append(flagged, k)
		}
	}
	// The legit case shares a rule with the fraud case: that rule's
	// precision is 1/2.
	pair := []string{flagged[0], ""}
	for _, k := range flagged[1:] {
		for _, r := range before[k].Reasons {
			if slices.ContainsFunc(before[pair[0]].Reasons, func(x rules.Reason) bool { return x.Rule == r.Rule }) && pair[1] == "" {
				pair[1] = k
			}
		}
	}
	if pair[1] == "" {
		t.Fatal("no two flagged shop-1 refunds share a rule")
	}
	for i, verdict := range []string{api.VerdictFraud, api.VerdictLegit} {
		k := pair[i]
		id := strings.TrimPrefix(k, "shop-1/")
		if _, err := s.d.review.Claim(ctx, rev, "shop-1", id); err != nil {
			t.Fatalf("claim %s: %v", id, err)
		}
		// The rules it counts for are its assessment's now: the fraud
		// verdict re-assessed the refunds linked to it (known_offender).
		current := snapshot()[k]
		if _, err := s.d.review.Decide(ctx, rev, "shop-1", id, verdict, "backtest precision"); err != nil {
			t.Fatalf("verdict on %s: %v", id, err)
		}
		seen := map[string]bool{}
		for _, r := range current.Reasons {
			if seen[r.Rule] {
				continue
			}
			seen[r.Rule] = true
			if want[r.Rule] == nil {
				want[r.Rule] = &detector.RuleVerdicts{}
			}
			if verdict == api.VerdictFraud {
				want[r.Rule].Fraud++
			} else {
				want[r.Rule].Legit++
			}
		}
	}
	before = snapshot() // what the backtest compares with
	rep, err := backtest(ctx, s.d.store, s.d.offenders, cfg, "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Refunds != len(before) || rep.DecisionChanges == 0 || rep.Rules[rules.MultiAccountAddress].Candidate != 0 || rep.VerdictDays != 30 {
		t.Fatalf("report %+v over %d refunds", rep, len(before))
	}
	for rule, rb := range rep.Rules {
		w := want[rule]
		if w == nil {
			if rb.Precision != nil || rb.ExpectedFraud != nil || rb.Fraud+rb.Legit != 0 {
				t.Errorf("%s: no verdicts, but %+v", rule, rb)
			}
			continue
		}
		p := float64(w.Fraud) / float64(w.Fraud+w.Legit)
		if rb.Fraud != w.Fraud || rb.Legit != w.Legit || rb.Precision == nil || *rb.Precision != p ||
			rb.ExpectedFraud == nil || math.Abs(*rb.ExpectedFraud-p*float64(rb.Candidate)) > 1e-9 {
			t.Errorf("%s: %+v, want %d fraud / %d legit, precision %.2f", rule, rb, w.Fraud, w.Legit, p)
		}
	}
	half := 0
	for rule := range want {
		if rep.Rules[rule] == nil || rep.Rules[rule].Precision == nil {
			t.Errorf("%s: verdicts given, no precision reported", rule)
		} else if *rep.Rules[rule].Precision == 0.5 {
			half++
		}
	}
	if half == 0 {
		t.Error("no rule has precision 1/2")
	}
	// The command prints them; its JSON says null where there are no verdicts.
	var out, errOut bytes.Buffer
	if code := runBacktest(ctx, []string{"--redis", redisAddr, "--config", path}, &out, &errOut); code != 0 {
		t.Fatalf("backtest: exit %d: %s", code, errOut.String())
	}
	for rule, w := range want {
		rb := rep.Rules[rule]
		line := fmt.Sprintf("precision %3.0f%% (%d fraud / %d legit), ~%.1f true frauds expected", *rb.Precision*100, w.Fraud, w.Legit, *rb.ExpectedFraud)
		if !strings.Contains(out.String(), line) {
			t.Errorf("backtest output lacks %s's %q:\n%s", rule, line, out.String())
		}
	}
	if !strings.Contains(out.String(), "last 30 days") || !strings.Contains(out.String(), "(no verdicts)") {
		t.Errorf("backtest output:\n%s", out.String())
	}
	out.Reset()
	if code := runBacktest(ctx, []string{"--redis", redisAddr, "--config", path, "--json"}, &out, &errOut); code != 0 {
		t.Fatalf("backtest --json: exit %d: %s", code, errOut.String())
	}
	var js struct {
		Rules map[string]map[string]any `json:"rules"`
	}
	if err := json.Unmarshal(out.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	for rule, rb := range js.Rules {
		p, ok := rb["precision"]
		if !ok {
			t.Errorf("%s: no precision field", rule)
		} else if (want[rule] == nil) != (p == nil) {
			t.Errorf("%s: precision %v in JSON", rule, p)
		}
	}
	t.Logf("precisions: %s", func() string {
		var b strings.Builder
		for rule := range want {
			fmt.Fprintf(&b, "%s=%.2f×%d ", rule, *rep.Rules[rule].Precision, rep.Rules[rule].Candidate)
		}
		return b.String()
	}())
	if after := snapshot(); len(after) != len(before) {
		t.Fatal("the backtest changed live state")
	}
	// Now live: the candidate in force, every refund assessed again.
	s.d.processor.SetRules(cfg.set)
	refs, _ := s.d.store.RefundRefs(ctx)
	if err := s.d.processor.Reassess(ctx, refs); err != nil {
		t.Fatal(err)
	}
	after := snapshot()
	decisions, actions := 0, 0
	for k, a := range before {
		b := after[k]
		if a.Decision != b.Decision {
			decisions++
		}
		if a.Action != b.Action {
			actions++
		}
	}
	if decisions != rep.DecisionChanges || actions != rep.ActionChanges {
		t.Errorf("live: %d decisions, %d actions changed; backtest said %d and %d", decisions, actions, rep.DecisionChanges, rep.ActionChanges)
	}
	t.Logf("%d refunds, %d decisions and %d actions changed: %v", len(before), decisions, actions, rep.Transitions)
}
