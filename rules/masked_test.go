package rules_test

import (
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

func TestMaskKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"138****5678", "pm:1385678"},
		{"13800005678", "pm:1385678"},
		{"+86 138-1234-5678", "pm:1385678"},
		{"138 **** 5678", "pm:1385678"},
		{"0571-88880000", ""},
		{"****5678", ""},
		{"", ""},
	} {
		if got := rules.NormalizePhone(tc.in).MaskKey(); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Accounts tied only by a masked phone are a weak ring: the finding raises
// the score a little and never blocks or sends to review on its own.
func TestMaskedPhoneIsAWeakLink(t *testing.T) {
	at := time.Date(2026, 11, 10, 10, 0, 0, 0, time.UTC)
	refund := &event.Refund{Meta: event.Meta{ShopID: "s"}, RefundID: "R1", OrderID: "T1", BuyerID: "tb_a",
		RefundKind: "return_refund", Reason: "quality", Status: "requested", RequestedAt: at}
	order := &event.Order{OrderID: "T1", BuyerID: "tb_a", Receiver: &event.Address{Phone: "138****5678"}}
	masked := []rules.Link{{OrderID: "T1", BuyerID: "tb_a"}, {OrderID: "T2", BuyerID: "tb_b"}, {OrderID: "T3", BuyerID: "tb_c"}}
	c := rules.Case{Refund: refund, Order: order, MaskedPhoneLinks: masked, BuyerRefunds: map[string][]string{"tb_b": {"R2"}}}
	a := rules.Assess(c, rules.Defaults(), at)
	if len(a.Reasons) != 1 || a.Reasons[0].Rule != rules.MultiAccountAddress || a.Score != 15 || a.Decision != rules.Approve ||
		a.Reasons[0].Evidence["match"] != "masked_phone" || a.Reasons[0].Severity != "low" {
		t.Errorf("%s %d %+v", a.Decision, a.Score, a.Reasons)
	}
	// The same accounts by a full phone are a ring.
	c.PhoneLinks, c.MaskedPhoneLinks = masked, nil
	if a := rules.Assess(c, rules.Defaults(), at); a.Decision != rules.Review || a.Score != 45 {
		t.Errorf("full phone: %s %d", a.Decision, a.Score)
	}
}
