package rules_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

func TestCustomRuleCompile(t *testing.T) {
	ok := rules.CustomRule{Code: "big_refund", When: "refund.amount_minor > 100", Message: rules.Text{ZH: "大额", EN: "big"}, Weight: 30}
	for _, tc := range []struct {
		name string
		edit func(*rules.CustomRule)
		err  string
	}{
		{"valid", func(*rules.CustomRule) {}, ""},
		{"bad code", func(r *rules.CustomRule) { r.Code = "Big Refund" }, "code"},
		{"built-in code", func(r *rules.CustomRule) { r.Code = rules.TrackingReused }, "built-in"},
		{"one language", func(r *rules.CustomRule) { r.Message.EN = "" }, "message"},
		{"no weight or action", func(r *rules.CustomRule) { r.Weight = 0 }, "weight"},
		{"bad action", func(r *rules.CustomRule) { r.Action = "ban" }, "action"},
		{"unknown field", func(r *rules.CustomRule) { r.When = "refund.amount > 1" }, "when"},
		{"not a bool", func(r *rules.CustomRule) { r.When = "refund.amount_minor + 1" }, "when"},
		{"type mismatch", func(r *rules.CustomRule) { r.When = `features.accounts_at_address > "x"` }, "when"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			err := r.Compile()
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.err) && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("Compile: %v, want %q", err, tc.err)
			}
		})
	}
}

// A custom rule sees the refund and features computed from the case, and its
// finding is scored like a built-in one.
func TestCustomRulesInASet(t *testing.T) {
	at := time.Date(2026, 11, 10, 10, 0, 0, 0, time.UTC)
	refund := &event.Refund{Meta: event.Meta{ShopID: "shop-1"}, RefundID: "R3", OrderID: "T3", BuyerID: "tb_a",
		RefundKind: "refund_only", Reason: "not_received", Status: "requested", RequestedAt: at, AmountMinor: 80000}
	history := []rules.RefundSummary{
		{RefundID: "R1", Kind: "refund_only", RequestedAt: at.Add(-20 * 24 * time.Hour)},
		{RefundID: "R2", Kind: "return_refund", RequestedAt: at.Add(-40 * 24 * time.Hour)}, // outside 30 days
		{RefundID: "R3", Kind: "refund_only", RequestedAt: at},
	}
	c := rules.Case{Refund: refund, History: map[string][]rules.RefundSummary{"tb_a": history}}
	env := rules.NewEnv(c, 48*time.Hour)
	if f := env.Features; f.RefundsByAccount != 3 || f.RefundsByAccount30d != 2 || f.RefundOnlyByAccount30d != 2 {
		t.Fatalf("features %+v", f)
	}
	rule := func(code, when, action string, weight int, shops ...string) *rules.CustomRule {
		r := &rules.CustomRule{Code: code, When: when, Message: rules.Text{ZH: "自定义", EN: "custom"}, Action: action, Weight: weight, Shops: shops}
		if err := r.Compile(); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tc := range []struct {
		name     string
		custom   *rules.CustomRule
		decision rules.Decision
		codes    []string
	}{
		{"weight only", rule("repeat_refund_only", "features.refund_only_by_account_30d >= 2", "", 20), rules.Approve, []string{"repeat_refund_only"}},
		{"review action", rule("repeat_refund_only", "features.refund_only_by_account_30d >= 2", "review", 10), rules.Review, []string{"repeat_refund_only"}},
		{"block action", rule("big_refund_only", `refund.kind == "refund_only" && refund.amount_minor >= 50000`, "block", 50), rules.Block, []string{"big_refund_only"}},
		{"does not match", rule("huge", "refund.amount_minor > 1000000", "block", 50), rules.Approve, nil},
		{"other shop only", rule("elsewhere", "true", "block", 50, "shop-2"), rules.Approve, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := rules.NewSet("v1", rules.Defaults(), nil, []*rules.CustomRule{tc.custom})
			if err != nil {
				t.Fatal(err)
			}
			a := set.Assess(c, at)
			var got []string
			for _, r := range a.Reasons {
				got = append(got, r.Rule)
			}
			if a.Decision != tc.decision || !slices.Equal(got, tc.codes) || a.RulesetVersion != "v1" {
				t.Errorf("%s %v (%s), want %s %v", a.Decision, got, a.RulesetVersion, tc.decision, tc.codes)
			}
		})
	}
}

func TestSetForShop(t *testing.T) {
	strict := rules.Defaults()
	strict.BlockScore = 60
	set, err := rules.NewSet("v7", rules.Defaults(), map[string]rules.Config{"shop-1": strict}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if set.For("shop-1").BlockScore != 60 || set.For("shop-2").BlockScore != 85 || set.For("shop-1").Version != "v7" {
		t.Errorf("For: %+v / %+v", set.For("shop-1"), set.For("shop-2"))
	}
	bad := rules.Defaults()
	bad.ReviewScore = 0
	if _, err := rules.NewSet("v8", rules.Defaults(), map[string]rules.Config{"shop-1": bad}, nil); err == nil {
		t.Error("an invalid shop config was accepted")
	}
}

// Account counts stop at MaxLinkAccounts+1: past it an address is a hub
// whose growth the store does not follow, so a larger count would depend on
// which events came last.
func TestAccountCountsSaturateAtTheHubLimit(t *testing.T) {
	links := func(n int) []rules.Link {
		out := make([]rules.Link, n)
		for i := range out {
			out[i] = rules.Link{OrderID: fmt.Sprintf("O%d", i), BuyerID: fmt.Sprintf("B%d", i)}
		}
		return out
	}
	refund := &event.Refund{RefundID: "R1", BuyerID: "B0"}
	for _, tc := range []struct{ accounts, want int }{
		{3, 3},
		{rules.MaxLinkAccounts, rules.MaxLinkAccounts},
		{rules.MaxLinkAccounts + 1, rules.MaxLinkAccounts + 1},
		{rules.MaxLinkAccounts + 40, rules.MaxLinkAccounts + 1},
	} {
		f := rules.NewEnv(rules.Case{Refund: refund, AddressLinks: links(tc.accounts), PhoneLinks: links(tc.accounts)}, time.Hour).Features
		if f.AccountsAtAddress != tc.want || f.AccountsAtPhone != tc.want {
			t.Errorf("%d accounts: at address %d, at phone %d, want %d", tc.accounts, f.AccountsAtAddress, f.AccountsAtPhone, tc.want)
		}
	}
}
