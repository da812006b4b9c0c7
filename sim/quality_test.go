package sim

import (
	"strings"
	"testing"
)

func TestEvaluateCountsAndChecks(t *testing.T) {
	labels := []Label{
		{ShopID: "s", RefundID: "H1"}, {ShopID: "s", RefundID: "H2"}, {ShopID: "s", RefundID: "H3"},
		{ShopID: "s", RefundID: "M1", Rules: []string{"a"}}, {ShopID: "s", RefundID: "M2", Rules: []string{"a", "b"}},
		{ShopID: "s", RefundID: "M3", Rules: []string{"b"}},
	}
	outcomes := map[string]Outcome{
		"s/H1": {Decision: "approve"},
		"s/H2": {Decision: "review", Rules: []string{"b"}}, // a false positive of b
		"s/H3": {Decision: "block", Rules: []string{"a"}},  // and of a
		"s/M1": {Decision: "block", Rules: []string{"a"}},
		"s/M2": {Decision: "review", Rules: []string{"b"}}, // a missed
		// M3 has no assessment at all
	}
	r := Evaluate(labels, outcomes)
	if r.Honest != 3 || r.Malicious != 3 || r.HonestBlocked != 1 || r.HonestReview != 1 || r.MaliciousCaught != 2 || r.Missing != 1 {
		t.Fatalf("%+v", r)
	}
	a, b := r.PerRule["a"], r.PerRule["b"]
	if a.Labeled != 2 || a.Fired != 2 || a.Caught != 1 || a.Recall != 0.5 || a.Precision != 0.5 {
		t.Errorf("a: %+v", a)
	}
	if b.Labeled != 2 || b.Fired != 2 || b.Caught != 1 {
		t.Errorf("b: %+v", b)
	}
	if r.Confusion["malicious"]["missing"] != 1 || r.Confusion["honest"]["block"] != 1 {
		t.Errorf("confusion %v", r.Confusion)
	}
	misses := r.Check(Targets{MinRecall: 0.9, MaxHonestBlocked: 0.1, MaxHonestReview: 0.1, MinMaliciousCaught: 0.9,
		RequireEveryLabeled: []string{"a", "c"}})
	for _, want := range []string{"no assessment", "a: recall", "b: recall", "c: no refund", "blocked", "review", "caught"} {
		found := false
		for _, m := range misses {
			found = found || strings.Contains(m, want)
		}
		if !found {
			t.Errorf("Check misses %q: %v", want, misses)
		}
	}
	loose := r.Check(Targets{MaxHonestBlocked: 1, MaxHonestReview: 1})
	if len(loose) != 1 || !strings.Contains(loose[0], "no assessment") {
		t.Errorf("with loose targets only the missing assessment is left: %v", loose)
	}
	if md := r.Markdown(); !strings.Contains(md, "| `a` | 2 | 2 | 1 | 0.500 | 0.500 |") {
		t.Errorf("markdown:\n%s", md)
	}
}
