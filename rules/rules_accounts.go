package rules

// Rules over accounts and their history: one sender behind several accounts,
// SKU swaps among linked accounts, order bursts, repeated refund-only and
// out-of-stock claims, and known offenders.

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sellerguard/sellerguard/event"
)

var senderMatchWords = map[string]Text{
	"phone":        {ZH: "同一电话", EN: "same phone"},
	"name_address": {ZH: "同一姓名和地址", EN: "same name and address"},
}

// returnSenderShared: return parcels from one sender (same phone, or same name
// and address) carrying refunds of different accounts.
func returnSenderShared(c Case, cfg ReturnSenderSharedConfig) []finding {
	r := c.Refund
	if !cfg.Enabled || len(c.SenderLinks) == 0 {
		return nil
	}
	// The store must never link on a masked phone or an empty address; when
	// this parcel's sender is known, make sure of it.
	phoneOK, nameAddressOK := true, true
	own := ""
	if p := c.Parcel; p != nil {
		own = NormalizeTracking(p.TrackingNo)
		if s := p.Sender; s != nil {
			phoneOK = NormalizePhone(s.Phone).Key() != ""
			nameAddressOK = NormalizeName(s.Name) != "" && AddressKey(*s) != ""
		}
	}
	accounts := map[string]bool{r.BuyerID: true}
	refunds := map[string]bool{r.RefundID: true}
	waybills := map[string]bool{}
	if own != "" {
		waybills[c.Parcel.TrackingNo] = true
	}
	matched := map[string]bool{}
	seen := map[SenderLink]bool{}
	var parcels []SenderLink
	for _, l := range c.SenderLinks {
		switch {
		case l.BuyerID == "" || l.RefundID == r.RefundID || seen[l]:
			continue
		case l.Match == "phone" && !phoneOK, l.Match == "name_address" && !nameAddressOK:
			continue
		case own != "" && NormalizeTracking(l.TrackingNo) == own:
			continue // this very parcel: a reuse is tracking_reused's
		}
		seen[l] = true
		parcels = append(parcels, l)
		accounts[l.BuyerID] = true
		waybills[l.TrackingNo] = true
		matched[l.Match] = true
		if l.RefundID != "" {
			refunds[l.RefundID] = true
		}
	}
	n := len(accounts)
	if n < 2 || n > cfg.MaxAccounts {
		return nil
	}
	weight, hard := cfg.Weight, cfg.Hard
	if n < cfg.MinAccounts {
		weight, hard = cfg.WeakWeight, false
	}
	slices.SortFunc(parcels, func(a, b SenderLink) int {
		return strings.Compare(a.TrackingNo+"\x00"+a.RefundID+"\x00"+a.Match, b.TrackingNo+"\x00"+b.RefundID+"\x00"+b.Match)
	})
	detail := make([]map[string]any, len(parcels))
	for i, l := range parcels {
		detail[i] = map[string]any{"tracking_no": l.TrackingNo, "refund_id": l.RefundID, "buyer_id": l.BuyerID, "match": l.Match}
	}
	how := sortedSet(matched)
	var zh, en []string
	for _, m := range how {
		w, ok := senderMatchWords[m]
		if !ok {
			w = Text{ZH: m, EN: m}
		}
		zh, en = append(zh, w.ZH), append(en, w.EN)
	}
	nos := sortedSet(waybills)
	return []finding{newFinding(ReturnSenderShared, weight, hard,
		fmt.Sprintf("同一退货寄件人(%s)的包裹用于 %d 个买家账号的退款,单号:%s", strings.Join(zh, "或"), n, listed(nos, true)),
		fmt.Sprintf("Return parcels from one sender (%s) carry refunds of %d buyer accounts; waybills: %s", strings.Join(en, " or "), n, listed(nos, false)),
		map[string]any{"matched_by": how, "accounts": sortedSet(accounts), "waybills": nos, "refunds": sortedSet(refunds), "parcels": detail})}
}

// wrongItemSKUSwap: linked accounts buy one product in different SKUs and each
// claims it received the wrong SKU (串货).
func wrongItemSKUSwap(c Case, cfg WrongItemSKUSwapConfig, hubLimit int) []finding {
	r, o := c.Refund, c.Order
	if !cfg.Enabled || o == nil || r.Reason != "wrong_item" || withdrawnStatus(r.Status) {
		return nil
	}
	// The products this refund claims, with the SKUs this account bought.
	productOf := map[string]string{}
	for _, it := range o.Items {
		productOf[it.SKUID] = it.ProductID
	}
	ownSKUs := map[string]map[string]bool{} // product -> skus
	for _, it := range itemsOf(o, r.Items) {
		if p := productOf[it.SKUID]; p != "" {
			if ownSKUs[p] == nil {
				ownSKUs[p] = map[string]bool{}
			}
			ownSKUs[p][it.SKUID] = true
		}
	}
	if len(ownSKUs) == 0 {
		return nil
	}
	linked := linkedAccounts(c, hubLimit)
	claimsByOrder := map[string][]pastRefund{}
	for _, p := range history(c, linked) {
		if p.BuyerID != r.BuyerID && p.Reason == "wrong_item" && !withdrawnStatus(p.Status) && within(p.RequestedAt, r.RequestedAt, cfg.Window) {
			claimsByOrder[p.OrderID] = append(claimsByOrder[p.OrderID], p)
		}
	}
	type claim struct {
		pastRefund
		skus []string
	}
	type swap struct {
		product  string
		skus     map[string]bool
		accounts map[string]bool
		claims   []claim
	}
	var best *swap
	for _, product := range slices.Sorted(mapKeys(ownSKUs)) {
		s := &swap{product: product, skus: map[string]bool{}, accounts: map[string]bool{r.BuyerID: true}}
		own := sortedSet(ownSKUs[product])
		for _, sku := range own {
			s.skus[sku] = true
		}
		s.claims = append(s.claims, claim{pastRefund{summaryOf(r), r.BuyerID}, own})
		seenOrder := map[string]bool{o.OrderID: true}
		for _, lo := range c.LinkedOrders {
			if lo == nil || seenOrder[lo.OrderID] || !linked[lo.BuyerID] || lo.BuyerID == r.BuyerID {
				continue
			}
			seenOrder[lo.OrderID] = true
			skus := map[string]bool{}
			for _, it := range lo.Items {
				if it.ProductID == product {
					skus[it.SKUID] = true
				}
			}
			if len(skus) == 0 {
				continue
			}
			for _, p := range claimsByOrder[lo.OrderID] {
				if p.BuyerID != lo.BuyerID {
					continue
				}
				s.accounts[p.BuyerID] = true
				list := sortedSet(skus)
				for _, sku := range list {
					s.skus[sku] = true
				}
				s.claims = append(s.claims, claim{p, list})
			}
		}
		if len(s.accounts) >= cfg.MinAccounts && len(s.skus) >= 2 && (best == nil || len(s.accounts) > len(best.accounts)) {
			best = s
		}
	}
	if best == nil {
		return nil
	}
	slices.SortFunc(best.claims, func(a, b claim) int {
		if c := a.RequestedAt.Compare(b.RequestedAt); c != 0 {
			return c
		}
		return strings.Compare(a.RefundID, b.RefundID)
	})
	detail := make([]map[string]any, len(best.claims))
	refunds := make([]string, len(best.claims))
	orders := map[string]bool{}
	for i, cl := range best.claims {
		detail[i] = map[string]any{"refund_id": cl.RefundID, "buyer_id": cl.BuyerID, "order_id": cl.OrderID,
			"sku_ids": cl.skus, "requested_at": cl.RequestedAt}
		refunds[i] = cl.RefundID
		orders[cl.OrderID] = true
	}
	slices.Sort(refunds)
	n := len(best.accounts)
	hard := cfg.Hard || (cfg.BlockAccounts > 0 && n >= cfg.BlockAccounts)
	skus := sortedSet(best.skus)
	return []finding{newFinding(WrongItemSKUSwap, cfg.Weight, hard,
		fmt.Sprintf("%d 个关联账号购买同一商品 %s 的不同规格(%s),都申请了发错货退款:%s", n, best.product, listed(skus, true), listed(refunds, true)),
		fmt.Sprintf("%d linked accounts bought product %s in different SKUs (%s) and each claims the wrong item came: %s", n, best.product, listed(skus, false), listed(refunds, false)),
		map[string]any{"product_id": best.product, "skus": skus, "accounts": sortedSet(best.accounts),
			"orders": sortedSet(orders), "refunds": refunds, "claims": detail, "block_accounts": cfg.BlockAccounts})}
}

// orderBurst: many orders from the linked accounts, the refund's order among
// them, within a short window.
func orderBurst(c Case, cfg OrderBurstConfig, hubLimit int) []finding {
	o := c.Order
	if !cfg.Enabled || o == nil || o.CreatedAt.IsZero() {
		return nil
	}
	linked := linkedAccounts(c, hubLimit)
	orders := []*event.Order{o}
	seen := map[string]bool{o.OrderID: true}
	for _, lo := range c.LinkedOrders {
		if lo == nil || seen[lo.OrderID] || !linked[lo.BuyerID] || lo.CreatedAt.IsZero() {
			continue
		}
		seen[lo.OrderID] = true
		orders = append(orders, lo)
	}
	if len(orders) < cfg.MinOrders {
		return nil
	}
	slices.SortFunc(orders, func(a, b *event.Order) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.OrderID, b.OrderID)
	})
	// The fullest window that holds the refund's order.
	t0 := o.CreatedAt
	var burst []*event.Order
	for i, start := range orders {
		if start.CreatedAt.After(t0) {
			break
		}
		end := start.CreatedAt.Add(cfg.Window)
		if end.Before(t0) {
			continue
		}
		var in []*event.Order
		for _, x := range orders[i:] {
			if x.CreatedAt.After(end) {
				break
			}
			in = append(in, x)
		}
		if len(in) > len(burst) {
			burst = in
		}
	}
	accounts := map[string]bool{}
	ids := make([]string, len(burst))
	unpaid := 0
	for i, x := range burst {
		accounts[x.BuyerID] = true
		ids[i] = x.OrderID
		if x.Status == "created" || (x.Status == "closed" && x.Shipment == nil) {
			unpaid++
		}
	}
	n := len(burst)
	if n < cfg.MinOrders || float64(n) < cfg.MinOrdersPerAccount*float64(len(accounts)) {
		return nil
	}
	slices.Sort(ids)
	first, last := burst[0].CreatedAt, burst[n-1].CreatedAt
	span := last.Sub(first)
	zhSpan, enSpan := windowText(max(span.Round(time.Minute), time.Minute))
	who, whoEN := "同一账号", "One account"
	if len(accounts) > 1 {
		who, whoEN = fmt.Sprintf("%d 个关联账号", len(accounts)), fmt.Sprintf("%d linked accounts", len(accounts))
	}
	return []finding{newFinding(OrderBurst, cfg.Weight, cfg.Hard,
		fmt.Sprintf("%s在 %s内下了 %d 单(%s 起),其中 %d 单未付款或已关闭", who, zhSpan, n, first.In(chinaTime).Format("2006-01-02 15:04"), unpaid),
		fmt.Sprintf("%s placed %d orders within %s (from %s); %d of them unpaid or closed", whoEN, n, enSpan, first.In(chinaTime).Format("2006-01-02 15:04"), unpaid),
		map[string]any{"orders": ids, "accounts": sortedSet(accounts), "order_count": n, "unpaid_or_closed": unpaid,
			"first_at": first, "last_at": last, "window_minutes": int(cfg.Window / time.Minute)})}
}

// normalSigning: delivered and signed by the buyer, a locker or a station,
// with no exception noted.
func normalSigning(s *event.Shipment) bool {
	if s == nil || s.SignedAt.IsZero() || s.SignedWithException {
		return false
	}
	switch s.SignedBy {
	case "self", "locker", "station":
		return true
	}
	return false
}

var signedByWords = map[string]Text{
	"self":    {ZH: "本人", EN: "the buyer"},
	"locker":  {ZH: "快递柜", EN: "a parcel locker"},
	"station": {ZH: "驿站", EN: "a parcel station"},
}

// refundOnlyAbuse: repeated refund-only requests by an account or its linked
// accounts, or "not received" after a normal signed delivery.
func refundOnlyAbuse(c Case, cfg RefundOnlyAbuseConfig, hubLimit int) []finding {
	r := c.Refund
	if !cfg.Enabled || withdrawnStatus(r.Status) {
		return nil
	}
	evidence := map[string]any{}
	var patterns, zh, en []string

	// Out-of-stock refunds are the shop not shipping, not the buyer keeping
	// goods: stockout_claim_abuse counts those.
	if cfg.MinRefunds > 0 && r.RefundKind == "refund_only" && r.Reason != "out_of_stock" {
		linked := linkedAccounts(c, hubLimit)
		var hits []pastRefund
		accounts := map[string]bool{}
		for _, p := range history(c, linked) {
			if p.Kind == "refund_only" && p.Reason != "out_of_stock" && !withdrawnStatus(p.Status) && within(p.RequestedAt, r.RequestedAt, cfg.Window) {
				hits = append(hits, p)
				accounts[p.BuyerID] = true
			}
		}
		if len(hits) >= cfg.MinRefunds {
			detail := make([]map[string]any, len(hits))
			for i, p := range hits {
				detail[i] = refundDetail(p)
			}
			patterns = append(patterns, "repeated_refund_only")
			evidence["refund_only_count"] = len(hits)
			evidence["window_days"] = days(cfg.Window)
			evidence["accounts"] = sortedSet(accounts)
			evidence["refunds"] = detail
			d := days(cfg.Window)
			if len(accounts) > 1 {
				zh = append(zh, fmt.Sprintf("%d 个关联账号 %d 天内申请仅退款 %d 次", len(accounts), d, len(hits)))
				en = append(en, fmt.Sprintf("%d linked accounts asked for refund only %d times within %d days", len(accounts), len(hits), d))
			} else {
				zh = append(zh, fmt.Sprintf("该账号 %d 天内申请仅退款 %d 次", d, len(hits)))
				en = append(en, fmt.Sprintf("this account asked for refund only %d times within %d days", len(hits), d))
			}
		}
	}

	if o := c.Order; cfg.SignedNotReceived && r.Reason == "not_received" && o != nil && normalSigning(o.Shipment) &&
		!o.Shipment.SignedAt.After(r.RequestedAt) {
		s := o.Shipment
		patterns = append(patterns, "not_received_after_signed")
		evidence["signed_at"] = s.SignedAt
		evidence["signed_by"] = s.SignedBy
		evidence["signed_with_exception"] = false
		evidence["outbound_tracking_no"] = s.TrackingNo
		evidence["outbound_carrier"] = s.Carrier
		w := signedByWords[s.SignedBy]
		when := s.SignedAt.In(chinaTime).Format("2006-01-02 15:04")
		zh = append(zh, fmt.Sprintf("订单 %s 已于 %s 由%s签收且无异常,买家却称未收到货", o.OrderID, when, w.ZH))
		en = append(en, fmt.Sprintf("order %s was signed for by %s on %s without exception, yet the buyer says it never arrived", o.OrderID, w.EN, when))
	}
	if len(patterns) == 0 {
		return nil
	}
	slices.Sort(patterns)
	evidence["patterns"] = patterns
	msgEN := strings.Join(en, "; ")
	return []finding{newFinding(RefundOnlyAbuse, cfg.Weight, cfg.Hard,
		strings.Join(zh, ";"), strings.ToUpper(msgEN[:1])+msgEN[1:], evidence)}
}

// stockoutClaimAbuse: an account (or its linked accounts) that repeatedly
// orders and then claims the shop had no stock.
func stockoutClaimAbuse(c Case, cfg StockoutClaimConfig, hubLimit int) []finding {
	r := c.Refund
	if !cfg.Enabled || r.Reason != "out_of_stock" || withdrawnStatus(r.Status) {
		return nil
	}
	linked := linkedAccounts(c, hubLimit)
	var hits []pastRefund
	accounts, orders := map[string]bool{}, map[string]bool{}
	for _, p := range history(c, linked) {
		if p.Reason == "out_of_stock" && !withdrawnStatus(p.Status) && within(p.RequestedAt, r.RequestedAt, cfg.Window) {
			hits = append(hits, p)
			accounts[p.BuyerID] = true
			orders[p.OrderID] = true
		}
	}
	if len(hits) < cfg.MinClaims {
		return nil
	}
	detail := make([]map[string]any, len(hits))
	for i, p := range hits {
		detail[i] = refundDetail(p)
	}
	d := days(cfg.Window)
	who, whoEN := "该账号", "This account"
	if len(accounts) > 1 {
		who, whoEN = fmt.Sprintf("%d 个关联账号", len(accounts)), fmt.Sprintf("%d linked accounts", len(accounts))
	}
	return []finding{newFinding(StockoutClaimAbuse, cfg.Weight, cfg.Hard,
		fmt.Sprintf("%s %d 天内在 %d 个订单上以“卖家缺货”为由申请退款 %d 次", who, d, len(orders), len(hits)),
		fmt.Sprintf("%s claimed %d times within %d days, on %d orders, that the shop had no stock", whoEN, len(hits), d, len(orders)),
		map[string]any{"claim_count": len(hits), "window_days": d, "accounts": sortedSet(accounts),
			"orders": sortedSet(orders), "refunds": detail})}
}

var offenseWords = map[string]Text{
	"account": {ZH: "账号", EN: "account"},
	"phone":   {ZH: "电话", EN: "phone"},
	"address": {ZH: "地址", EN: "address"},
	"sender":  {ZH: "退货寄件人", EN: "return sender"},
}

// knownOffender: an identifier of this case was confirmed fraud before. Another
// shop's confirmation shows only what matched and the day, nothing of that shop.
func knownOffender(c Case, cfg RuleConfig) []finding {
	if !cfg.Enabled || len(c.Offenses) == 0 {
		return nil
	}
	type row struct {
		kind, day, refund string
		same              bool
		at                time.Time
	}
	seen := map[row]bool{}
	var rows []row
	for _, o := range c.Offenses {
		x := row{kind: o.Kind, day: day(o.ConfirmedAt), same: o.SameShop}
		if o.SameShop {
			x.refund, x.at = o.RefundID, o.ConfirmedAt
		}
		if seen[x] {
			continue
		}
		seen[x] = true
		rows = append(rows, x)
	}
	slices.SortFunc(rows, func(a, b row) int {
		for _, c := range []int{strings.Compare(a.kind, b.kind), boolCompare(b.same, a.same), strings.Compare(a.day, b.day),
			a.at.Compare(b.at), strings.Compare(a.refund, b.refund)} {
			if c != 0 {
				return c
			}
		}
		return 0
	})
	matches := make([]map[string]any, len(rows))
	kinds := map[string]bool{}
	var zh, en []string
	for i, x := range rows {
		kinds[x.kind] = true
		w, ok := offenseWords[x.kind]
		if !ok {
			w = Text{ZH: x.kind, EN: x.kind}
		}
		if x.same {
			m := map[string]any{"kind": x.kind, "same_shop": true, "confirmed_at": x.at}
			if x.refund != "" {
				m["refund_id"] = x.refund
				zh = append(zh, fmt.Sprintf("%s(本店 %s 确认,退款 %s)", w.ZH, x.day, x.refund))
				en = append(en, fmt.Sprintf("%s (confirmed here on %s, refund %s)", w.EN, x.day, x.refund))
			} else {
				zh = append(zh, fmt.Sprintf("%s(本店 %s 确认)", w.ZH, x.day))
				en = append(en, fmt.Sprintf("%s (confirmed here on %s)", w.EN, x.day))
			}
			matches[i] = m
		} else {
			matches[i] = map[string]any{"kind": x.kind, "same_shop": false, "confirmed_on": x.day}
			zh = append(zh, fmt.Sprintf("%s(其他店铺 %s 确认)", w.ZH, x.day))
			en = append(en, fmt.Sprintf("%s (confirmed by another shop on %s)", w.EN, x.day))
		}
	}
	return []finding{newFinding(KnownOffender, cfg.Weight, cfg.Hard,
		"此前已被确认为恶意:"+strings.Join(zh, ";"),
		"Confirmed malicious before: "+strings.Join(en, "; "),
		map[string]any{"matched": sortedSet(kinds), "matches": matches})}
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
