package sim

import (
	"strings"
	"time"

	"github.com/sellerguard/sellerguard/event"
)

const day = 24 * time.Hour

// everyday is what honest buyers mostly return: no jewellery, so every parcel
// stays above the empty-parcel floor.
var everyday = append(append([]product(nil), heavy...), medium...)

// boughtAndReturned orders, delivers and returns one buyer's items; the plan's
// weight is left to weigh, the rest as given.
func (b *builder) boughtAndReturned(c *buyer, items []event.Item, weigh func(int64) int64, p plan) *event.Refund {
	o := b.order(c, items, b.t0)
	signed := b.deliver(o, b.t0)
	at := signed.Add(b.dur(3*time.Hour, 5*day))
	p.weight = weigh(weightOf(items))
	r, _, _ := b.returnFlow(c, o, b.honestReason(), nil, at, p)
	if b.rnd(3) == 0 {
		b.message(c, o, r.RefundID, pickOne(b, returnTexts), at.Add(b.dur(time.Minute, time.Hour)))
	}
	return r
}

// inspectedOrNot: most honest returns reach the warehouse; some are still on
// their way when the world ends, so only the courier's weight speaks for them.
func (b *builder) inspectedOrNot() string { return pickOne(b, []string{"ok", "ok", ""}) }

func (b *builder) honestReturn() {
	r := b.boughtAndReturned(b.newBuyer(), b.lines(everyday, 2, 1), b.parcelWeight, plan{outcome: b.inspectedOrNot()})
	b.label(r)
}

// honestLightItem: a 5–40 g item in a 20–60 g parcel. It is below the
// empty-parcel floor, yet weighs more than what was bought. The range leaves
// room for the warehouse scale's few percent.
func (b *builder) honestLightItem() {
	r := b.boughtAndReturned(b.newBuyer(), b.lines(light, 1, 1), func(items int64) int64 {
		lo := max(24, items+10)
		return lo + int64(b.rnd(int(57-lo)))
	}, plan{outcome: b.inspectedOrNot()})
	b.label(r)
}

// honestLateWaybill: the pickup scan comes one to four days before the
// refund names the waybill.
func (b *builder) honestLateWaybill() {
	r := b.boughtAndReturned(b.newBuyer(), b.lines(everyday, 1, 1), b.parcelWeight, plan{outcome: "ok", late: b.dur(day, 4*day)})
	b.label(r)
}

// honestFamily: two accounts at one home, typed two ways; one returns.
func (b *builder) honestFamily() {
	h := b.home(nil)
	surname := pickOne(b, surnames)
	p1, p2 := b.phone(), b.phone()
	if b.rnd(2) == 0 {
		p2 = p1 // one orders for the other with the same number
	}
	styles := b.s.rng.Perm(6) // two different spellings of the phone, even when it is one number
	a := b.buyer(surname+pickOne(b, givenNames), p1, h, 0, styles[0])
	c := b.buyer(surname+pickOne(b, givenNames), p2, h, pickOne(b, []int{styleShort | styleWide, styleSpaces | styleRepeat, styleWide | styleRepeat}), styles[1])

	o := b.order(c, b.lines(everyday, 1, 1), b.t0.Add(b.dur(time.Hour, 2*day)))
	b.deliver(o, o.Meta.OccurredAt)
	r := b.boughtAndReturned(a, b.lines(everyday, 1, 1), b.parcelWeight, plan{outcome: b.inspectedOrNot()})
	b.label(r)
}

// honestRefundOnly: "not received" that is true. The parcel stalls in
// transit and is never signed; or a neighbour signed for it (proxy) and it
// went astray; or the courier noted an exception at the signing.
func (b *builder) honestRefundOnly() {
	c := b.newBuyer()
	o := b.order(c, b.lines(everyday, 1, 1), b.t0)
	var at time.Time
	text := pickOne(b, stuckTexts)
	switch b.rnd(3) {
	case 0:
		at = b.deliverAs(o, b.t0, "proxy", false).Add(b.dur(day, 3*day))
		text = "物流显示被别人代签了,我问了邻居都说没拿,麻烦查一下"
	case 1:
		at = b.deliverAs(o, b.t0, pickOne(b, []string{"self", "station", "locker"}), true).Add(b.dur(2*time.Hour, 2*day))
		text = "快递员说包裹破了,签收时备注了异常,东西没给我"
	default:
		at = b.ship(o, b.t0).Add(b.dur(4*day, 6*day))
	}
	b.message(c, o, "", text, at)
	r := b.refund(o, "refund_only", "not_received", nil, at.Add(b.dur(time.Hour, 4*time.Hour)))
	r.Description = "快递一直没到"
	r.Status = "refunded"
	at = r.RequestedAt.Add(b.dur(time.Hour, 12*time.Hour))
	b.putRefund(r, at)
	if o.Shipment.SignedAt.IsZero() {
		o.Status = "closed"
		b.putOrder(o, at.Add(time.Minute))
	}
	b.label(r)
}

// honestInvoice: a delivered order and a polite request for an invoice.
func (b *builder) honestInvoice() {
	c := b.newBuyer()
	o := b.order(c, b.lines(everyday, 2, 1), b.t0)
	signed := b.deliver(o, b.t0)
	b.message(c, o, "", pickOne(b, invoiceTexts), signed.Add(b.dur(time.Hour, 3*day)))
}

// trackingReused: A returns with waybill W; 1–10 days later B (or A again, on
// another order of the same product) files a refund naming W. Both refunds
// are labeled: the first is re-flagged when the second arrives.
func (b *builder) trackingReused() {
	a := b.newBuyer()
	p := pickOne(b, everyday)
	o1 := b.order(a, []event.Item{p.item(pickOne(b, p.skus), 1)}, b.t0)
	at := b.deliver(o1, b.t0).Add(b.dur(3*time.Hour, 3*day))
	r1, ws, _ := b.returnFlow(a, o1, b.honestReason(), nil, at, plan{weight: b.parcelWeight(weightOf(o1.Items)), outcome: "ok"})

	// One account filling one waybill into two refunds within two days is
	// how a combined return looks, so the same account waits longer.
	c, when := a, ws.FilledAt.Add(b.dur(3*day, 10*day))
	if b.rnd(2) == 0 {
		c, when = b.newBuyer(), ws.FilledAt.Add(b.dur(day, 10*day))
	}
	o2at := later(b.t0.Add(b.dur(time.Hour, 3*time.Hour)), when.Add(-5*day))
	o2 := b.order(c, []event.Item{p.item(pickOne(b, p.skus), 1)}, o2at)
	when = later(when, b.deliver(o2, o2at).Add(2*time.Hour))
	r2 := b.refund(o2, "return_refund", b.honestReason(), nil, when)
	filled := when.Add(b.dur(30*time.Minute, 4*time.Hour))
	// Careful ones type the number so that a person's search does not find
	// the first use: in lower case, or in groups.
	no := ws.TrackingNo
	switch b.rnd(4) {
	case 0:
		no = strings.ToLower(no)
	case 1:
		no = no[:4] + " " + no[4:8] + " " + no[8:]
	}
	r2.Status, r2.ReturnShipment = "returned", &event.ReturnShipment{Carrier: ws.Carrier, TrackingNo: no, FilledAt: filled}
	b.putRefund(r2, filled)
	b.label(r1, RuleTrackingReused)
	b.label(r2, RuleTrackingReused)
}

// emptyParcel: 10–45 g sent back for items of 300 g or more, caught in transit.
func (b *builder) emptyParcel() {
	c := b.newBuyer()
	o := b.order(c, b.lines(heavy, 2, 1), b.t0)
	at := b.deliver(o, b.t0).Add(b.dur(3*time.Hour, 5*day))
	r, _, _ := b.returnFlow(c, o, b.honestReason(), nil, at, plan{weight: 10 + int64(b.rnd(36))})
	b.label(r, RuleEmptyParcel)
	b.s.offenders = append(b.s.offenders, Offender{ShopID: b.shop, RefundID: r.RefundID, BuyerID: c.id, Phone: c.recv.Phone, buyer: c})
}

// lowWeight: 2–3 units claimed back, a parcel of 20–50 % of their weight
// (one unit sent), caught in transit.
func (b *builder) lowWeight() {
	c := b.newBuyer()
	p := pickOne(b, heavy)
	k := pickOne(b, p.skus)
	o := b.order(c, []event.Item{p.item(k, 2+int64(b.rnd(2)))}, b.t0)
	at := b.deliver(o, b.t0).Add(b.dur(3*time.Hour, 5*day))
	claim := []event.ItemRef{{SKUID: o.Items[0].SKUID, Quantity: o.Items[0].Quantity}}
	w := int64(float64(weightOf(o.Items)) * (0.20 + 0.30*b.s.rng.Float64()))
	r, _, _ := b.returnFlow(c, o, pickOne(b, []string{"quality", "not_as_described"}), claim, at, plan{weight: w})
	b.label(r, RuleLowWeight)
}

// inspectionFailed: a parcel of normal weight that the warehouse finds empty
// (ballast), short or swapped.
func (b *builder) inspectionFailed() {
	c := b.newBuyer()
	outcome := pickOne(b, []string{"empty", "missing_items", "swapped"})
	qty := int64(1)
	if outcome == "missing_items" {
		qty = 2 // so "one of two received" is a shortage
	}
	o := b.order(c, b.lines(heavy, 1, qty), b.t0)
	at := b.deliver(o, b.t0).Add(b.dur(3*time.Hour, 5*day))
	r, _, _ := b.returnFlow(c, o, b.honestReason(), nil, at, plan{weight: b.parcelWeight(weightOf(o.Items)), outcome: outcome})
	b.label(r, RuleInspectionFailed)
}

// multiAccount: 3–5 accounts order to one home, one phone, or both, each typed
// differently; 2 or more of them ask for refunds. Orders are days apart (no
// burst) and no parcel is sent yet, so only this rule applies.
func (b *builder) multiAccount() {
	n := 3 + b.rnd(3)
	mode := b.rnd(3) // 0: one home, 1: one phone, 2: both
	h, ph := b.home(nil), b.phone()
	surname := pickOne(b, surnames)
	aliases := []string{surname + "先生", surname + "女士", "小" + surname, surname + pickOne(b, givenNames), b.name()}
	styles := []int{0, styleShort | styleWide, styleSpaces | styleRepeat, styleWide, styleShort | styleSpaces}
	b.s.rng.Shuffle(len(aliases), func(i, j int) { aliases[i], aliases[j] = aliases[j], aliases[i] })

	at := b.t0
	var orders []*event.Order
	for i := range n {
		hi, pi := h, ph
		if mode == 1 {
			hi = b.home(&h.pl) // nearby homes, same city and district
		}
		if mode == 0 {
			pi = b.phone()
		}
		c := b.buyer(aliases[i], pi, hi, styles[i], i)
		o := b.order(c, b.lines(everyday, 1, 1), at)
		b.deliver(o, at)
		orders = append(orders, o)
		at = at.Add(b.dur(day, 3*day))
	}
	k := 2 + b.rnd(n-1)
	for _, i := range b.s.rng.Perm(n)[:k] {
		o := orders[i]
		when := o.Shipment.SignedAt.Add(b.dur(4*time.Hour, 4*day))
		r := b.refund(o, "return_refund", pickOne(b, []string{"quality", "not_as_described"}), nil, when)
		r.Status = "awaiting_return"
		b.putRefund(r, when.Add(b.dur(10*time.Minute, 3*time.Hour)))
		b.label(r, RuleMultiAccount)
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
