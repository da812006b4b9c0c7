package detector

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
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
	// VerdictDays is how many days of reviewers' verdicts the precisions
	// come from (0: none were read).
	VerdictDays int `json:"verdict_days"`
}

// RuleBacktest counts one rule's findings before and after, with the
// precision reviewers' past verdicts give it.
type RuleBacktest struct {
	Now       int `json:"now"`
	Candidate int `json:"candidate"`
	// Verdicts on the rule's cases (the review workflow's counters).
	Fraud int64 `json:"fraud"`
	Legit int64 `json:"legit"`
	// Precision is Fraud / (Fraud + Legit); null without verdicts.
	Precision *float64 `json:"precision"`
	// ExpectedFraud is Precision × Candidate: how many of the candidate's
	// findings should prove to be fraud; null without verdicts.
	ExpectedFraud *float64 `json:"expected_fraud"`
}

// VerdictCounters reads the review workflow's verdict counters: for each
// day asked, field → count with fields <rule>|hits, <rule>|fraud and
// <rule>|legit (*store.Redis; days as store.ReviewDay names them).
type VerdictCounters interface {
	ReviewCounters(ctx context.Context, shop string, days []string) ([]map[string]int64, error)
}

// RuleVerdicts are reviewers' verdicts on one rule's cases.
type RuleVerdicts struct {
	Fraud int64 `json:"fraud"`
	Legit int64 `json:"legit"`
}

// PastVerdicts sums the verdict counters of the shops over the days, per rule.
func PastVerdicts(ctx context.Context, vc VerdictCounters, shops, days []string) (map[string]RuleVerdicts, error) {
	out := map[string]RuleVerdicts{}
	for _, shop := range shops {
		counts, err := vc.ReviewCounters(ctx, shop, days)
		if err != nil {
			return nil, fmt.Errorf("detector: past verdicts %s: %w", shop, err)
		}
		for _, m := range counts {
			for field, n := range m {
				rule, what, ok := strings.Cut(field, "|")
				if !ok || rule == "" {
					continue
				}
				v := out[rule]
				switch what {
				case "fraud":
					v.Fraud += n
				case "legit":
					v.Legit += n
				default:
					continue
				}
				out[rule] = v
			}
		}
	}
	return out, nil
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
// past (may be nil) gives each rule's precision from reviewers' verdicts.
func Backtest(ctx context.Context, facts Facts, stored Stored, offenders Offenders, set *rules.Set,
	refs []Ref, from, to time.Time, past map[string]RuleVerdicts) (BacktestReport, error) {
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
	r.precision(past)
	return r, nil
}

// precision adds the past verdicts to every rule that has findings or
// verdicts.
func (r *BacktestReport) precision(past map[string]RuleVerdicts) {
	for rule, v := range past {
		if v.Fraud+v.Legit == 0 {
			continue
		}
		if r.Rules[rule] == nil {
			r.Rules[rule] = &RuleBacktest{}
		}
		rb := r.Rules[rule]
		rb.Fraud, rb.Legit = v.Fraud, v.Legit
		p := float64(v.Fraud) / float64(v.Fraud+v.Legit)
		e := p * float64(rb.Candidate)
		rb.Precision, rb.ExpectedFraud = &p, &e
	}
}
