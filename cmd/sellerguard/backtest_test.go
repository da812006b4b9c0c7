package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/rules"
)

// What a backtest says a candidate configuration would change is what
// changes when the candidate goes live.
func TestBacktestMatchesLiveRun(t *testing.T) {
	s := startStack(t)
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
	rep, err := backtest(ctx, s.d.store, s.d.offenders, cfg, "", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Refunds != len(before) || rep.DecisionChanges == 0 || rep.Rules[rules.MultiAccountAddress].Candidate != 0 {
		t.Fatalf("report %+v over %d refunds", rep, len(before))
	}
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
