package sim

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Outcome is what SellerGuard decided for one refund.
type Outcome struct {
	Decision string
	Rules    []string
}

// RuleStats counts one rule code over a world.
type RuleStats struct {
	Labeled   int // refunds that truly match it
	Fired     int // refunds it fired on
	Caught    int // labeled refunds it fired on
	Recall    float64
	Precision float64
}

// Report is how well the detector did on a labelled world.
type Report struct {
	Refunds, Honest, Malicious  int
	HonestBlocked, HonestReview int
	MaliciousCaught             int // decision review or block
	Missing                     int // labelled refunds without an assessment
	PerRule                     map[string]*RuleStats
	// Confusion counts decisions by truth: "honest" or "malicious".
	Confusion map[string]map[string]int
}

func key(shop, refund string) string { return shop + "/" + refund }

// Evaluate compares outcomes (keyed "shop/refund") with the labels.
func Evaluate(labels []Label, outcomes map[string]Outcome) Report {
	r := Report{PerRule: map[string]*RuleStats{}, Confusion: map[string]map[string]int{
		"honest": {}, "malicious": {}}}
	stats := func(code string) *RuleStats {
		if r.PerRule[code] == nil {
			r.PerRule[code] = &RuleStats{}
		}
		return r.PerRule[code]
	}
	for _, l := range labels {
		r.Refunds++
		o, ok := outcomes[key(l.ShopID, l.RefundID)]
		if !ok {
			r.Missing++
			o = Outcome{Decision: "missing"}
		}
		truth := "honest"
		if len(l.Rules) > 0 {
			truth = "malicious"
		}
		r.Confusion[truth][o.Decision]++
		if truth == "honest" {
			r.Honest++
			switch o.Decision {
			case "block":
				r.HonestBlocked++
			case "review":
				r.HonestReview++
			}
		} else {
			r.Malicious++
			if o.Decision == "review" || o.Decision == "block" {
				r.MaliciousCaught++
			}
		}
		for _, code := range l.Rules {
			s := stats(code)
			s.Labeled++
			if slices.Contains(o.Rules, code) {
				s.Caught++
			}
		}
		for _, code := range o.Rules {
			stats(code).Fired++
		}
	}
	for _, s := range r.PerRule {
		if s.Labeled > 0 {
			s.Recall = float64(s.Caught) / float64(s.Labeled)
		}
		if s.Fired > 0 {
			s.Precision = float64(s.Caught) / float64(s.Fired)
		}
	}
	return r
}

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// Targets are the bounds a world must meet.
type Targets struct {
	MinRecall           float64 // every labelled rule code
	MaxHonestBlocked    float64 // share of honest refunds
	MaxHonestReview     float64
	MinMaliciousCaught  float64
	RequireEveryLabeled []string // rule codes that must appear among the labels
}

// Check lists every target the report misses.
func (r Report) Check(t Targets) []string {
	var out []string
	if r.Missing > 0 {
		out = append(out, fmt.Sprintf("%d labelled refunds have no assessment", r.Missing))
	}
	for _, code := range slices.Sorted(maps.Keys(r.PerRule)) {
		s := r.PerRule[code]
		if s.Labeled > 0 && s.Recall < t.MinRecall {
			out = append(out, fmt.Sprintf("%s: recall %.3f < %.3f (%d of %d)", code, s.Recall, t.MinRecall, s.Caught, s.Labeled))
		}
	}
	for _, code := range t.RequireEveryLabeled {
		if s := r.PerRule[code]; s == nil || s.Labeled == 0 {
			out = append(out, fmt.Sprintf("%s: no refund in the world is labelled with it", code))
		}
	}
	if v := share(r.HonestBlocked, r.Honest); v > t.MaxHonestBlocked {
		out = append(out, fmt.Sprintf("honest refunds blocked %.4f > %.4f (%d of %d)", v, t.MaxHonestBlocked, r.HonestBlocked, r.Honest))
	}
	if v := share(r.HonestReview, r.Honest); v > t.MaxHonestReview {
		out = append(out, fmt.Sprintf("honest refunds sent to review %.4f > %.4f (%d of %d)", v, t.MaxHonestReview, r.HonestReview, r.Honest))
	}
	if v := share(r.MaliciousCaught, r.Malicious); v < t.MinMaliciousCaught {
		out = append(out, fmt.Sprintf("malicious refunds caught %.4f < %.4f", v, t.MinMaliciousCaught))
	}
	return out
}

// Markdown renders the report for docs/quality.md.
func (r Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| refunds | honest | malicious | honest blocked | honest to review | malicious caught |\n|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d (%.2f %%) | %d (%.2f %%) | %d (%.2f %%) |\n\n", r.Refunds, r.Honest, r.Malicious,
		r.HonestBlocked, 100*share(r.HonestBlocked, r.Honest), r.HonestReview, 100*share(r.HonestReview, r.Honest),
		r.MaliciousCaught, 100*share(r.MaliciousCaught, r.Malicious))
	fmt.Fprintf(&b, "| rule | labelled | fired | caught | recall | precision |\n|---|---|---|---|---|---|\n")
	for _, code := range slices.Sorted(maps.Keys(r.PerRule)) {
		s := r.PerRule[code]
		fmt.Fprintf(&b, "| `%s` | %d | %d | %d | %.3f | %.3f |\n", code, s.Labeled, s.Fired, s.Caught, s.Recall, s.Precision)
	}
	fmt.Fprintf(&b, "\n| truth \\ decision | approve | review | block |\n|---|---|---|---|\n")
	for _, truth := range []string{"honest", "malicious"} {
		c := r.Confusion[truth]
		fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", truth, c["approve"], c["review"], c["block"])
	}
	return b.String()
}
