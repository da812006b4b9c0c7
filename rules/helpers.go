package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sellerguard/sellerguard/event"
)

// MaxLinkAccounts bounds max_accounts: an address or phone with more accounts
// than this is a hub for every rule and every shop. The store relies on it:
// it neither reads the histories behind such a hub nor re-assesses its
// refunds when it grows, and custom rules see its account count as
// MaxLinkAccounts+1.
const MaxLinkAccounts = 50

// linkedAccounts is the refund's own account and the accounts that ordered to
// its order's address or phone. An address or phone with more accounts than
// maxAccounts is a hub (a campus mailroom, a parcel station) and links nobody,
// for every rule, as for multi_account_address.
func linkedAccounts(c Case, maxAccounts int) map[string]bool {
	out := map[string]bool{c.Refund.BuyerID: true}
	for _, links := range [][]Link{c.AddressLinks, c.PhoneLinks} {
		accounts := map[string]bool{}
		for _, l := range links {
			if l.BuyerID != "" {
				accounts[l.BuyerID] = true
			}
		}
		if len(accounts) > maxAccounts {
			continue
		}
		for a := range accounts {
			out[a] = true
		}
	}
	return out
}

// summaryOf is a refund as history rules see it.
func summaryOf(r *event.Refund) RefundSummary {
	return RefundSummary{RefundID: r.RefundID, OrderID: r.OrderID, Kind: r.RefundKind, Reason: r.Reason,
		Status: r.Status, RequestedAt: r.RequestedAt}
}

// pastRefund is one refund of the history with its account.
type pastRefund struct {
	RefundSummary
	BuyerID string
}

// history is every refund of the given accounts, the case's own refund in its
// current state included, each once, ordered by request time then id.
func history(c Case, accounts map[string]bool) []pastRefund {
	byID := map[string]pastRefund{}
	for buyer, rs := range c.History {
		if !accounts[buyer] {
			continue
		}
		for _, s := range rs {
			if s.RefundID == "" {
				continue
			}
			if old, dup := byID[s.RefundID]; dup && old.BuyerID < buyer {
				continue // one refund under two accounts: keep one, deterministically
			}
			byID[s.RefundID] = pastRefund{s, buyer}
		}
	}
	byID[c.Refund.RefundID] = pastRefund{summaryOf(c.Refund), c.Refund.BuyerID}
	out := make([]pastRefund, 0, len(byID))
	for _, p := range byID {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b pastRefund) int {
		if c := a.RequestedAt.Compare(b.RequestedAt); c != 0 {
			return c
		}
		return strings.Compare(a.RefundID, b.RefundID)
	})
	return out
}

// withdrawnStatus: the buyer took the request back or it lapsed; it asked for
// nothing in the end. A rejected request still counts: the shop said no.
func withdrawnStatus(s string) bool { return s == "cancelled" || s == "closed" }

func within(a, b time.Time, window time.Duration) bool {
	d := a.Sub(b)
	return d <= window && d >= -window
}

func refundDetail(p pastRefund) map[string]any {
	return map[string]any{"refund_id": p.RefundID, "buyer_id": p.BuyerID, "order_id": p.OrderID,
		"kind": p.Kind, "reason": p.Reason, "status": p.Status, "requested_at": p.RequestedAt}
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// listed names up to five items for a message, then how many more.
func listed(items []string, zh bool) string {
	const show = 5
	if len(items) <= show {
		if zh {
			return strings.Join(items, "、")
		}
		return strings.Join(items, ", ")
	}
	if zh {
		return fmt.Sprintf("%s 等 %d 个", strings.Join(items[:show], "、"), len(items))
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:show], ", "), len(items)-show)
}

// yuan writes an amount in fen as yuan with two decimals.
func yuan(minor int64) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }

// days writes a window as whole days for messages ("90").
func days(d time.Duration) int { return int((d + 12*time.Hour) / (24 * time.Hour)) }

// windowText writes a short window for messages: "1 小时"/"1 hour", "30 分钟".
func windowText(d time.Duration) (zh, en string) {
	switch {
	case d%(24*time.Hour) == 0:
		n := int(d / (24 * time.Hour))
		return fmt.Sprintf("%d 天", n), plural(n, "day")
	case d%time.Hour == 0:
		n := int(d / time.Hour)
		return fmt.Sprintf("%d 小时", n), plural(n, "hour")
	default:
		n := int(d.Round(time.Minute) / time.Minute)
		return fmt.Sprintf("%d 分钟", n), plural(n, "minute")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
