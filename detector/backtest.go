package detector

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sellerguard/sellerguard/rules"
)

// Stored reads the assessments in force.
type Stored interface {
	Assessment(ctx context.Context, shop, refundID string) ([]byte, bool, error)
}

// BacktestReport is what a candidate rule set would change.
type BacktestReport struct {
	Refunds         int                      `json:"refunds"`
	DecisionChanges int                      `json:"decision_changes"`
	ActionChanges   int                      `json:"action_changes"`
	Transitions     map[string]int           `json:"transitions"` // "review->block": n
	Rules           map[string]*RuleBacktest `json:"rules"`
	Changed         []BacktestChange         `json:"changed"` // first 200, by shop and refund
	Skipped         int                      `json:"skipped"` // refunds without a stored assessment
}

// RuleBacktest counts one rule's findings before and after.
type RuleBacktest struct {
	Now       int `json:"now"`
	Candidate int `json:"candidate"`
}

// BacktestChange is one refund whose decision or action would change.
type BacktestChange struct {
	Shop       string         `json:"shop_id"`
	RefundID   string         `json:"refund_id"`
	From       rules.Decision `json:"from"`
	To         rules.Decision `json:"to"`
	FromAction string         `json:"from_action"`
	ToAction   string         `json:"to_action"`
}

// Backtest assesses stored facts with a candidate rule set and compares with
// the assessments in force. It only reads: live state is not touched.
// Refunds requested outside [from, to) are left out (zero times: no bound).
func Backtest(ctx context.Context, facts Facts, stored Stored, offenders Offenders, set *rules.Set,
	refs []Ref, from, to time.Time) (BacktestReport, error) {
	r := BacktestReport{Transitions: map[string]int{}, Rules: map[string]*RuleBacktest{}}
	count := func(code string) *RuleBacktest {
		if r.Rules[code] == nil {
			r.Rules[code] = &RuleBacktest{}
		}
		return r.Rules[code]
	}
	slices.SortFunc(refs, func(a, b Ref) int { return cmp.Or(cmp.Compare(a.Shop, b.Shop), cmp.Compare(a.RefundID, b.RefundID)) })
	const chunk = 500
	for lo := 0; lo < len(refs); lo += chunk {
		loaded, err := facts.Load(ctx, refs[lo:min(lo+chunk, len(refs))])
		if err != nil {
			return r, fmt.Errorf("detector: backtest: %w", err)
		}
		if offenders != nil {
			p := Processor{offenders: offenders}
			if err := p.lookupOffenders(ctx, loaded); err != nil {
				return r, err
			}
		}
		for _, l := range loaded {
			if !l.Found {
				continue
			}
			at := l.Case.Refund.RequestedAt
			if (!from.IsZero() && at.Before(from)) || (!to.IsZero() && !at.Before(to)) {
				continue
			}
			body, found, err := stored.Assessment(ctx, l.Shop, l.RefundID)
			if err != nil {
				return r, fmt.Errorf("detector: backtest: %w", err)
			}
			if !found {
				r.Skipped++
				continue
			}
			var now rules.Assessment
			if err := json.Unmarshal(body, &now); err != nil {
				return r, fmt.Errorf("detector: backtest %s: %w", l.RefundID, err)
			}
			cand := set.Assess(l.Case, time.Time{})
			r.Refunds++
			for _, x := range now.Reasons {
				count(x.Rule).Now++
			}
			for _, x := range cand.Reasons {
				count(x.Rule).Candidate++
			}
			if now.Decision == cand.Decision && now.Action == cand.Action {
				continue
			}
			if now.Decision != cand.Decision {
				r.DecisionChanges++
				r.Transitions[string(now.Decision)+"->"+string(cand.Decision)]++
			}
			if now.Action != cand.Action {
				r.ActionChanges++
			}
			if len(r.Changed) < 200 {
				r.Changed = append(r.Changed, BacktestChange{Shop: l.Shop, RefundID: l.RefundID, From: now.Decision,
					To: cand.Decision, FromAction: now.Action, ToAction: cand.Action})
			}
		}
	}
	return r, nil
}
