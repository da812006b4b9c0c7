package rules_test

import (
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

// An allowance holds back the named rules for the identifier it names, typed
// any way, until it expires by the shop's clock; then the rule fires again.
func TestAllowanceSnoozesUntilExpiry(t *testing.T) {
	at := time.Date(2026, 11, 10, 10, 0, 0, 0, time.UTC)
	order := &event.Order{OrderID: "T1", BuyerID: "tb_a", Receiver: &event.Address{Phone: "+86 139-0000-1111",
		Province: "浙江省", City: "杭州市", District: "西湖区", Address: "文三路100号3幢201室"},
		Items: []event.Item{{SKUID: "C", ProductID: "P", Quantity: 1, UnitWeightG: 1450}}}
	refund := &event.Refund{Meta: event.Meta{ShopID: "s"}, RefundID: "R1", OrderID: "T1", BuyerID: "tb_a",
		RefundKind: "return_refund", Reason: "quality", Status: "requested", RequestedAt: at}
	ring := []rules.Link{{OrderID: "T1", BuyerID: "tb_a"}, {OrderID: "T2", BuyerID: "tb_b"}, {OrderID: "T3", BuyerID: "tb_c"}}
	c := rules.Case{Refund: refund, Order: order, PhoneLinks: ring, Now: at,
		BuyerRefunds: map[string][]string{"tb_b": {"R2"}}}
	snooze := rules.Allowance{Kind: "phone", Key: rules.PhoneKey("13900001111"), Rules: []string{rules.MultiAccountAddress},
		Until: at.Add(24 * time.Hour), Reason: "a family of three", By: "lin"}
	for _, tc := range []struct {
		name       string
		allow      []rules.Allowance
		now        time.Time
		fires      bool
		suppressed int
	}{
		{"no allowance", nil, at, true, 0},
		{"snoozed", []rules.Allowance{snooze}, at, false, 1},
		{"expired", []rules.Allowance{snooze}, at.Add(25 * time.Hour), true, 0},
		{"another rule", []rules.Allowance{{Kind: "phone", Key: snooze.Key, Rules: []string{rules.OrderBurst}, Until: snooze.Until}}, at, true, 0},
		{"another phone", []rules.Allowance{{Kind: "phone", Key: rules.PhoneKey("13900002222"), Rules: snooze.Rules, Until: snooze.Until}}, at, true, 0},
		{"the account", []rules.Allowance{{Kind: "account", Key: "tb_a", Rules: snooze.Rules, Until: snooze.Until, Reason: "known customer"}}, at, false, 1},
	} {
		c.Allowances, c.Now = tc.allow, tc.now
		a := rules.Assess(c, rules.Defaults(), at)
		fired := false
		for _, r := range a.Reasons {
			fired = fired || r.Rule == rules.MultiAccountAddress
		}
		if fired != tc.fires || len(a.Suppressed) != tc.suppressed {
			t.Errorf("%s: fired %v, suppressed %+v", tc.name, fired, a.Suppressed)
		}
		if tc.suppressed > 0 && (a.Suppressed[0].Rule != rules.MultiAccountAddress || a.Suppressed[0].Reason == "" || a.Decision != rules.Approve) {
			t.Errorf("%s: %s %+v", tc.name, a.Decision, a.Suppressed)
		}
	}
}
