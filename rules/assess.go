package rules

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sellerguard/sellerguard/event"
)

// Assess runs every enabled rule over one case. It reads only the case, so the
// same facts always give the same assessment, whatever order they arrived in.
// now stamps assessed_at and nothing else.
func Assess(c Case, cfg Config, now time.Time) Assessment {
	return assess(c, cfg, nil, now)
}

// assess is Assess with further findings (a shop's custom rules) scored in.
func assess(c Case, cfg Config, extra []finding, now time.Time) Assessment {
	r := c.Refund
	a := Assessment{
		RefundID:       r.RefundID,
		ShopID:         r.ShopID,
		OrderID:        r.OrderID,
		BuyerID:        r.BuyerID,
		Reasons:        []Reason{},
		AssessedAt:     now,
		RulesetVersion: cfg.Version,
	}
	found := slices.Clone(extra)
	found = append(found, trackingReused(c, cfg.TrackingReused)...)
	found = append(found, inspectionFailed(c, cfg.InspectionFailed)...)
	found = append(found, parcelWeight(c, cfg)...)
	found = append(found, multiAccountAddress(c, cfg.MultiAccountAddress)...)
	hub := cfg.MultiAccountAddress.MaxAccounts // an address or phone with more accounts links nobody
	found = append(found, returnSenderShared(c, cfg.ReturnSenderShared)...)
	found = append(found, wrongItemSKUSwap(c, cfg.WrongItemSKUSwap, hub)...)
	found = append(found, unacceptedCarrier(c, cfg.UnacceptedCarrier, cfg.AcceptedCarriers)...)
	found = append(found, trackingInvalid(c, cfg.TrackingInvalid)...)
	found = append(found, returnMisaddressed(c, cfg.ReturnMisaddressed, cfg.Warehouses)...)
	found = append(found, orderContactAnomaly(c, cfg.OrderContactAnomaly)...)
	found = append(found, orderBurst(c, cfg.OrderBurst, hub)...)
	found = append(found, refundOnlyAbuse(c, cfg.RefundOnlyAbuse, hub)...)
	found = append(found, missingItemContradicted(c, cfg.MissingItem)...)
	found = append(found, shippingFeeInflated(c, cfg.ShippingFeeInflated, cfg.Warehouses)...)
	found = append(found, stockoutClaimAbuse(c, cfg.StockoutClaimAbuse, hub)...)
	found = append(found, extortionMessage(c, cfg.ExtortionMessage)...)
	found = append(found, knownOffender(c, cfg.KnownOffender)...)

	found, a.Suppressed = allowed(c, found)
	// Noisy-OR: independent signals each remove part of the doubt that is left.
	doubt := 1.0
	hard := false
	for _, f := range found {
		doubt *= 1 - float64(f.weight)/100
		hard = hard || f.hard
		a.Reasons = append(a.Reasons, f.reason)
	}
	a.Score = int(math.Round(100 * (1 - doubt)))
	if hard {
		// A block's score never reads lower than the block threshold.
		a.Score = max(a.Score, cfg.BlockScore)
	}
	switch {
	case hard || (len(found) > 0 && a.Score >= cfg.BlockScore):
		a.Decision = Block
	case len(found) > 0 && a.Score >= cfg.ReviewScore:
		a.Decision = Review
	default:
		a.Decision = Approve
	}
	a.Action = cfg.Actions.action(a, r.AmountMinor)
	a.Mode, a.Enforced = cfg.Mode, cfg.Mode == ModeEnforce
	return a
}

type finding struct {
	weight int
	hard   bool
	reason Reason
}

func newFinding(rule string, weight int, hard bool, zh, en string, evidence map[string]any) finding {
	return finding{weight: weight, hard: hard, reason: Reason{
		Rule:     rule,
		Severity: severity(weight, hard),
		Message:  Text{ZH: zh, EN: en},
		Evidence: evidence,
	}}
}

func severity(weight int, hard bool) string {
	switch {
	case hard:
		return "critical"
	case weight >= 60:
		return "high"
	case weight >= 40:
		return "medium"
	default:
		return "low"
	}
}

// filledAt is when a refund's waybill was typed in, for ordering uses of one waybill.
func filledAt(r *event.Refund) time.Time {
	if s := r.ReturnShipment; s != nil && !s.FilledAt.IsZero() {
		return s.FilledAt
	}
	return r.RequestedAt
}

// chinaTime is UTC+8 all year (no daylight saving), the shops' calendar.
var chinaTime = time.FixedZone("CST", 8*60*60)

func day(t time.Time) string { return t.In(chinaTime).Format("2006-01-02") }

// before orders two refunds' uses of a waybill; ties go by refund id so the
// answer never depends on arrival order.
func before(a, b *event.Refund) bool {
	ta, tb := filledAt(a), filledAt(b)
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	return a.RefundID < b.RefundID
}

func trackingReused(c Case, cfg TrackingReusedConfig) []finding {
	r := c.Refund
	if !cfg.Enabled || r.ReturnShipment == nil {
		return nil
	}
	var others []*event.Refund
	sameAccount := false
	first := true
	for _, o := range c.WaybillRefunds {
		if o.Refund == nil || o.Refund.RefundID == r.RefundID || combinedReturn(r, o.Refund, cfg.CombinedReturnWindow) {
			continue
		}
		others = append(others, o.Refund)
		sameAccount = sameAccount || o.Refund.BuyerID == r.BuyerID
		first = first && before(r, o.Refund)
	}
	if len(others) == 0 {
		return nil
	}
	sort.Slice(others, func(i, j int) bool { return before(others[i], others[j]) })
	no := r.ReturnShipment.TrackingNo
	ids := make([]string, len(others))
	detail := make([]map[string]any, len(others))
	for i, o := range others {
		ids[i] = o.RefundID
		detail[i] = map[string]any{"refund_id": o.RefundID, "buyer_id": o.BuyerID, "order_id": o.OrderID, "filled_at": filledAt(o)}
	}
	evidence := map[string]any{"tracking_no": no, "other_refunds": ids, "refunds": detail, "first_use": first}
	o := others[0]
	if !first {
		return []finding{newFinding(TrackingReused, cfg.Weight, cfg.Hard,
			fmt.Sprintf("退货单号 %s 已用于退款 %s(%s)", no, o.RefundID, day(filledAt(o))),
			fmt.Sprintf("Return waybill %s was already used by refund %s (%s)", no, o.RefundID, day(filledAt(o))),
			evidence)}
	}
	// The first use may be an honest buyer whose number was copied: it goes to
	// review, unless the same account reused it.
	weight, hard := cfg.FirstUseWeight, false
	if sameAccount {
		weight, hard = cfg.Weight, cfg.Hard
	}
	return []finding{newFinding(TrackingReused, weight, hard,
		fmt.Sprintf("退货单号 %s 之后又被退款 %s 使用(%s)", no, o.RefundID, day(filledAt(o))),
		fmt.Sprintf("Return waybill %s was used again by refund %s (%s)", no, o.RefundID, day(filledAt(o))),
		evidence)}
}

// combinedReturn is one buyer sending back the goods of several refunds in one
// parcel: refunds of one order (the shop may agree to each on another day, and
// the weight rules still check the parcel holds them all), or of orders whose
// waybills were filled in close together.
func combinedReturn(a, b *event.Refund, window time.Duration) bool {
	if a.BuyerID != b.BuyerID {
		return false
	}
	if a.OrderID == b.OrderID {
		return true
	}
	d := filledAt(a).Sub(filledAt(b))
	return d <= window && d >= -window
}

var inspectionWords = map[string]Text{
	"empty":         {ZH: "空包", EN: "the parcel was empty"},
	"missing_items": {ZH: "少件", EN: "items were missing"},
	"swapped":       {ZH: "掉包(收到的不是所售商品)", EN: "the goods were swapped for others"},
}

func inspectionFailed(c Case, cfg RuleConfig) []finding {
	p := c.Parcel
	if !cfg.Enabled || p == nil || p.Inspection == nil {
		return nil
	}
	words, bad := inspectionWords[p.Inspection.Outcome]
	if !bad {
		return nil
	}
	in := p.Inspection
	claimed := claimedItems(c)
	evidence := map[string]any{
		"tracking_no":    p.TrackingNo,
		"outcome":        in.Outcome,
		"items_claimed":  claimed,
		"items_received": nonNil(in.ItemsReceived),
	}
	if !in.InspectedAt.IsZero() {
		evidence["inspected_at"] = in.InspectedAt
	}
	if in.Note != "" {
		evidence["note"] = in.Note
	}
	if missing := missingItems(claimed, in.ItemsReceived); len(missing) > 0 {
		evidence["items_missing"] = missing
	}
	return []finding{newFinding(InspectionFailed, cfg.Weight, cfg.Hard,
		fmt.Sprintf("仓库验货(单号 %s):%s", p.TrackingNo, words.ZH),
		fmt.Sprintf("Warehouse inspection of parcel %s: %s", p.TrackingNo, words.EN),
		evidence)}
}

func nonNil(refs []event.ItemRef) []event.ItemRef {
	if refs == nil {
		return []event.ItemRef{}
	}
	return refs
}

// claimedItems is what the refund says comes back: its items, or the whole order.
func claimedItems(c Case) []event.ItemRef {
	if c.Order == nil && len(c.Refund.Items) == 0 {
		return []event.ItemRef{}
	}
	return itemsOf(c.Order, c.Refund.Items)
}

func missingItems(claimed, received []event.ItemRef) []event.ItemRef {
	got := map[string]int64{}
	for _, r := range received {
		got[r.SKUID] += r.Quantity
	}
	var out []event.ItemRef
	for _, c := range claimed {
		if n := c.Quantity - got[c.SKUID]; n > 0 {
			out = append(out, event.ItemRef{SKUID: c.SKUID, Quantity: n})
		}
		got[c.SKUID] -= min(got[c.SKUID], c.Quantity)
	}
	return out
}

// expectedWeight is the catalogue weight of everything that should be in the
// parcel: this refund's items plus those of the same buyer's refunds that share
// the parcel as one combined return. Withdrawn refunds do not count, and one
// order's items count at most once, so a re-filed request does not double
// them. A partner refund whose weight is unknown is left out: the result is a
// lower bound, which only makes the weight rules more careful.
func expectedWeight(c Case, window time.Duration) (int64, bool) {
	sum, ok := event.ExpectedWeightG(c.Order, c.Refund.Items)
	if !ok {
		return 0, false
	}
	claimed := map[string]bool{} // order/sku already counted
	mark := func(o *event.Order, items []event.ItemRef) {
		for _, it := range itemsOf(o, items) {
			claimed[o.OrderID+"\x00"+it.SKUID] = true
		}
	}
	mark(c.Order, c.Refund.Items)
	for _, o := range c.WaybillRefunds {
		r := o.Refund
		if r == nil || r.RefundID == c.Refund.RefundID || withdrawn(r) || !combinedReturn(c.Refund, r, window) || o.Order == nil {
			continue
		}
		var fresh []event.ItemRef
		for _, it := range itemsOf(o.Order, r.Items) {
			if !claimed[o.Order.OrderID+"\x00"+it.SKUID] {
				fresh = append(fresh, it)
			}
		}
		if len(fresh) == 0 {
			continue
		}
		if w, ok := event.ExpectedWeightG(o.Order, fresh); ok {
			sum += w
			mark(o.Order, fresh)
		}
	}
	return sum, true
}

// itemsOf is what a refund claims: its items, or the whole order.
func itemsOf(o *event.Order, items []event.ItemRef) []event.ItemRef {
	if len(items) > 0 {
		return items
	}
	out := make([]event.ItemRef, 0, len(o.Items))
	for _, it := range o.Items {
		out = append(out, event.ItemRef{SKUID: it.SKUID, Quantity: it.Quantity})
	}
	return out
}

// withdrawn refunds asked for nothing in the end.
func withdrawn(r *event.Refund) bool {
	return r.Status == "cancelled" || r.Status == "rejected" || r.Status == "closed"
}

func parcelWeight(c Case, cfg Config) []finding {
	empty, low := cfg.EmptyParcel, cfg.LowWeightReturn
	p := c.Parcel
	if p == nil || p.WeightG == nil || c.Refund.RefundKind == "refund_only" {
		return nil
	}
	// A warehouse that opened the parcel knows better than a scale: an ok
	// inspection clears it, a failed one is its own finding. Only when that
	// rule is off does the scale speak for a failed inspection.
	if p.Inspection != nil && (cfg.InspectionFailed.Enabled || inspectionWords[p.Inspection.Outcome] == (Text{})) {
		return nil
	}
	expected, ok := expectedWeight(c, cfg.TrackingReused.CombinedReturnWindow)
	if !ok {
		return nil
	}
	measured := *p.WeightG
	if empty.Enabled && (float64(measured) < empty.MaxShare*float64(expected) ||
		(measured < empty.FloorG && 2*measured < expected)) {
		return []finding{newFinding(EmptyParcel, empty.Weight, empty.Hard,
			fmt.Sprintf("退货包裹(单号 %s)仅重 %d 克,所退商品应重约 %d 克", p.TrackingNo, measured, expected),
			fmt.Sprintf("Return parcel %s weighs only %d g; the returned items weigh about %d g", p.TrackingNo, measured, expected),
			map[string]any{"tracking_no": p.TrackingNo, "measured_g": measured, "expected_g": expected, "floor_g": empty.FloorG})}
	}
	if !low.Enabled || expected < low.MinExpectedG {
		return nil
	}
	allowance := min(low.PackagingG, int64(low.PackagingMax*float64(measured)))
	net := measured - allowance
	if float64(net) >= low.MinRatio*float64(expected) {
		return nil
	}
	pct := int(math.Round(100 * float64(net) / float64(expected)))
	return []finding{newFinding(LowWeightReturn, low.Weight, low.Hard,
		fmt.Sprintf("退货包裹(单号 %s)重 %d 克,扣除包装后仅为所退商品重量 %d 克的 %d%%", p.TrackingNo, measured, expected, pct),
		fmt.Sprintf("Return parcel %s weighs %d g: after packaging only %d%% of the %d g the returned items weigh", p.TrackingNo, measured, pct, expected),
		map[string]any{"tracking_no": p.TrackingNo, "measured_g": measured, "expected_g": expected,
			"packaging_allowance_g": allowance, "ratio": float64(pct) / 100})}
}

// multiAccountAddress looks at every account that ordered to this refund's
// address or phone. Linked through either, they are one ring: a ring that
// shares an address with some members and a phone with others is still one.
func multiAccountAddress(c Case, cfg MultiAccountAddressConfig) []finding {
	if !cfg.Enabled || c.Order == nil {
		return nil
	}
	orders := map[string][]string{} // account -> orders
	var via []string
	// When each linked order was placed; an order not loaded counts as near.
	placed := map[string]time.Time{c.Order.OrderID: c.Order.CreatedAt}
	for _, o := range c.LinkedOrders {
		placed[o.OrderID] = o.CreatedAt
	}
	near := func(links []Link) []Link {
		var out []Link
		for _, l := range links {
			t, ok := placed[l.OrderID]
			if d := t.Sub(c.Order.CreatedAt); !ok || (d <= cfg.Window && d >= -cfg.Window) {
				out = append(out, l)
			}
		}
		return out
	}
	for _, ch := range []struct {
		links []Link
		name  string
	}{{c.AddressLinks, "address"}, {c.PhoneLinks, "phone"}} {
		accounts := map[string]bool{}
		for _, l := range ch.links {
			accounts[l.BuyerID] = true
		}
		// A hub (a campus mailroom, a parcel station) links nobody.
		if len(accounts) > cfg.MaxAccounts || len(accounts) < 2 {
			continue
		}
		close := near(ch.links)
		if countAccounts(close) < 2 {
			continue
		}
		via = append(via, ch.name)
		for _, l := range close {
			orders[l.BuyerID] = append(orders[l.BuyerID], l.OrderID)
		}
	}
	weight, match := cfg.Weight, strings.Join(via, "+")
	if len(orders) < cfg.MinAccounts {
		// Not a ring by full address or phone: perhaps by a masked phone,
		// which many numbers share, so it only raises the score a little.
		masked := map[string]bool{}
		for _, l := range c.MaskedPhoneLinks {
			masked[l.BuyerID] = true
		}
		if len(masked) < 2 || len(masked) > cfg.MaxAccounts || cfg.MaskedPhoneWeight == 0 {
			return nil
		}
		for _, l := range c.MaskedPhoneLinks {
			orders[l.BuyerID] = append(orders[l.BuyerID], l.OrderID)
		}
		weight, match = cfg.MaskedPhoneWeight, strings.Trim(match+"+masked_phone", "+")
	}
	if len(orders) < cfg.MinAccounts || len(orders) > cfg.MaxAccounts {
		return nil
	}
	var names, orderIDs, refunds, refunding []string
	for b, os := range orders {
		names = append(names, b)
		orderIDs = append(orderIDs, os...)
		if rs := c.BuyerRefunds[b]; len(rs) > 0 || b == c.Refund.BuyerID {
			refunding = append(refunding, b)
			refunds = append(refunds, rs...)
		}
	}
	// A masked-phone ring is weak anyway; its accounts' refunds are not read.
	if len(refunding) < cfg.MinWithRefunds && !strings.HasSuffix(match, "masked_phone") {
		return nil
	}
	refunds = append(refunds, c.Refund.RefundID)
	for _, s := range [][]string{names, orderIDs, refunds} {
		slices.Sort(s)
	}
	refunds, orderIDs = slices.Compact(refunds), slices.Compact(orderIDs)
	zh, en := "收货地址", "address"
	switch match {
	case "phone":
		zh, en = "收货电话", "phone number"
	case "address+phone":
		zh, en = "收货地址或电话", "address or phone number"
	default:
		if strings.HasSuffix(match, "masked_phone") {
			zh, en = "收货地址、电话或相同掩码电话(弱关联)", "address, phone or masked phone number (a weak link)"
		}
	}
	return []finding{newFinding(MultiAccountAddress, weight, cfg.Hard && weight == cfg.Weight,
		fmt.Sprintf("同一%s有 %d 个买家账号下单,其中 %d 个申请了退款", zh, len(names), len(refunding)),
		fmt.Sprintf("%d buyer accounts ordered to the same %s; %d of them asked for refunds", len(names), en, len(refunding)),
		map[string]any{"match": match, "accounts": names, "orders": orderIDs, "refunds": refunds})}
}
