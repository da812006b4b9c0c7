package sim

// Malicious stories, one per rule code, each told with more or less care.

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/sellerguard/sellerguard/event"
)

// fakeReturn: the buyer fills in a waybill for a parcel no courier ever
// scans, then presses for the money three and a half to six days later, so
// the shop's clock (its newest event) has long passed 72 hours.
func (b *builder) fakeReturn(c *buyer, o *event.Order, reason string, at time.Time, carrier, no string) *event.Refund {
	r := b.refund(o, "return_refund", reason, nil, at)
	at = at.Add(b.dur(10*time.Minute, 3*time.Hour))
	r.Status = "awaiting_return"
	b.putRefund(r, at)
	filled := at.Add(b.dur(2*time.Hour, 20*time.Hour))
	r.Status, r.ReturnShipment = "returned", &event.ReturnShipment{Carrier: carrier, TrackingNo: no, FilledAt: filled}
	b.putRefund(r, filled)
	b.message(c, o, r.RefundID, pickOne(b, nudgeTexts), filled.Add(b.dur(84*time.Hour, 6*day)))
	return r
}

// delivered is a new buyer's delivered order and a time after it to ask for
// a refund.
func (b *builder) delivered(ps []product, maxLines int) (*buyer, *event.Order, time.Time) {
	c := b.newBuyer()
	o := b.order(c, b.lines(ps, maxLines, 1), b.t0)
	return c, o, b.deliver(o, b.t0).Add(b.dur(3*time.Hour, 5*day))
}

// senderShared: one person sends the returns of 3–5 accounts that live apart.
// Some rings give the courier one phone (each parcel under its account's
// name); careful ones give each account's phone but the same name and address.
func (b *builder) senderShared() {
	op := b.newBuyer() // the ring's operator: never orders here
	byPhone := b.rnd(2) == 0
	at := b.t0
	for range 3 + b.rnd(3) {
		c := b.newBuyer()
		items := b.lines(everyday, 2, 1)
		o := b.order(c, items, at)
		signed := b.deliver(o, at)
		// The operator types the sender into the courier's app each time,
		// not always the same way.
		style := pickOne(b, []int{0, 0, styleShort, styleSpaces, styleRepeat})
		from := op.home.typed(op.name, c.phone, style)
		if byPhone {
			from = op.home.typed(c.name, phoneAs(op.phone, b.rnd(6)), style)
		}
		r, _, _ := b.returnFlow(c, o, b.honestReason(), nil, signed.Add(b.dur(3*time.Hour, 4*day)),
			plan{weight: b.parcelWeight(weightOf(items)), outcome: b.inspectedOrNot(), sender: &from})
		b.label(r, RuleSenderShared)
		at = at.Add(b.dur(6*time.Hour, 4*day))
	}
}

// skuSwap (串货): 2–3 accounts behind one phone (at homes nearby) or one home
// (each with its phone) buy one product in different SKUs, days apart, and
// each claims the wrong SKU came. Three accounts on one address or phone
// with refunds are also multi_account_address.
func (b *builder) skuSwap() {
	var ps []product
	for _, p := range everyday {
		if len(p.skus) >= 3 {
			ps = append(ps, p)
		}
	}
	p := pickOne(b, ps)
	n := 2 + b.rnd(2)
	skus := b.s.rng.Perm(len(p.skus))[:n]
	h, ph := b.home(nil), b.phone()
	byPhone := b.rnd(2) == 0
	styles := []int{0, styleShort | styleSpaces, styleWide | styleRepeat}
	at := b.t0
	for i := range n {
		c := b.buyer(b.name(), b.phone(), h, styles[i], i)
		if byPhone {
			c = b.buyer(b.name(), ph, b.home(&h.pl), styles[i], i)
		}
		o := b.order(c, []event.Item{p.item(p.skus[skus[i]], 1)}, at)
		when := b.deliver(o, at).Add(b.dur(4*time.Hour, 5*day))
		r := b.refund(o, "return_refund", "wrong_item", nil, when)
		r.Status = "awaiting_return"
		b.putRefund(r, when.Add(b.dur(10*time.Minute, 3*time.Hour)))
		if n >= 3 {
			b.label(r, RuleSKUSwap, RuleMultiAccount)
		} else {
			b.label(r, RuleSKUSwap)
		}
		at = at.Add(b.dur(day, 4*day))
	}
}

// unacceptedCarrier: the return goes with a small courier the shop does not
// take. Half really send it (the warehouse may refuse it); half type in a
// number of a small courier that never moves, which is tracking_invalid too.
func (b *builder) unacceptedCarrier() {
	c, o, at := b.delivered(everyday, 2)
	carrier := pickOne(b, smallCarriers)
	if b.rnd(2) == 0 {
		r, _, _ := b.returnFlow(c, o, b.honestReason(), nil, at, plan{weight: b.parcelWeight(weightOf(o.Items)), carrier: carrier,
			end: pickOne(b, []string{"", "rejected"})})
		b.label(r, RuleUnacceptedCarrier)
		return
	}
	_, no := b.waybill([]string{carrier})
	r := b.fakeReturn(c, o, b.honestReason(), at, carrier, no)
	b.label(r, RuleTrackingInvalid, RuleUnacceptedCarrier)
}

// badWaybill is a number that cannot be the carrier's: too few digits, or
// another carrier's number typed under it. Never used before, so it links
// no two refunds.
func (b *builder) badWaybill(carrier string) string {
	d := func(lo, hi int) string {
		return b.unique("waybill:", func() string { return b.digits(lo + b.rnd(hi-lo+1)) })
	}
	switch carrier {
	case "SF":
		return "SF" + d(8, 10)
	case "YTO":
		if b.rnd(2) == 0 {
			return "SF" + d(12, 12) // a 顺丰 number under 圆通
		}
		return "YT" + d(6, 9)
	case "JTEXPRESS":
		return "JT" + d(8, 11)
	case "YUNDA":
		return d(9, 12)
	}
	return d(8, 11) // ZTO, STO: 12–15 digits
}

// Waybills typed as placeholders: no digit, under six characters, or one
// character repeated. They never link to anything.
var placeholderWaybills = []string{"无", "000000", "1111111111", "12345", "暂无单号", "已寄出", "0"}

// trackingInvalid: a waybill that cannot be real (wrong format or a
// placeholder), or one that fits its carrier but no courier ever scans:
// made up, or booked in the courier's app ("created") and never handed over.
func (b *builder) trackingInvalid() {
	c, o, at := b.delivered(everyday, 2)
	carrier := pickOne(b, retCarriers)
	var no string
	booked := false
	switch b.rnd(4) {
	case 0:
		no = b.badWaybill(carrier)
	case 1:
		no = pickOne(b, placeholderWaybills)
	case 2:
		_, no = b.waybill([]string{carrier})
	default:
		_, no = b.waybill([]string{carrier})
		booked = true
	}
	r := b.fakeReturn(c, o, b.honestReason(), at, carrier, no)
	if booked {
		sender, recipient := c.from, b.whTyped()
		b.putReturn(&event.Return{TrackingNo: no, Carrier: carrier, Status: "created", Sender: &sender, Recipient: &recipient},
			r.ReturnShipment.FilledAt.Add(-b.dur(time.Minute, 30*time.Minute)))
	}
	b.label(r, RuleTrackingInvalid)
}

// misaddressed (寄到仓库附近): the parcel is real and signed for, but
// addressed to another place in the warehouse's district, so the warehouse
// never sees it and the buyer points at "signed". A third of them are empty
// parcels as well.
func (b *builder) misaddressed() {
	c, o, at := b.delivered(heavy, 2)
	to := b.wh
	to.Address = pickOne(b, nearWarehouse[b.whIdx%len(nearWarehouse)])
	w, codes := b.parcelWeight(weightOf(o.Items)), []string{RuleMisaddressed}
	if b.rnd(3) == 0 {
		w, codes = 10+int64(b.rnd(36)), append(codes, RuleEmptyParcel)
	}
	r, _, _ := b.returnFlow(c, o, b.honestReason(), nil, at, plan{weight: w, to: &to, end: "signed"})
	b.message(c, o, r.RefundID, pickOne(b, signedNudge), b.last().Add(b.dur(2*time.Hour, 2*day)))
	b.label(r, codes...)
}

// junkStreet is a street line no one lives at; the ones long enough to link
// two orders are never used twice in one district.
func (b *builder) junkStreet(pl place) string {
	if b.rnd(4) == 0 {
		return pickOne(b, junkPlaceholders) // too short to link anything
	}
	kind := b.rnd(3)
	return b.fresh("junk:"+pl.city+pl.district+":", func(try int) string {
		var s string
		switch kind {
		case 0:
			s = pickOne(b, junkTestWords)
		case 1:
			s = strings.Repeat(pickOne(b, junkRepeats), 5+b.rnd(4))
		default:
			row := pickOne(b, keyboardRows)
			n := 5 + b.rnd(len(row)-4)
			i := b.rnd(len(row) - n + 1)
			s = row[i : i+n]
		}
		if try > 0 {
			s += b.digits(1 + try/20)
		}
		return s
	})
}

// junkPhone is a number no one can answer: a mobile prefix that does not
// exist, a digit missing or one too many, or far too short.
func (b *builder) junkPhone() string {
	return b.unique("phone:", func() string {
		switch b.rnd(4) {
		case 0:
			return "1" + pickOne(b, []string{"0", "1", "2"}) + b.digits(9)
		case 1:
			return pickOne(b, mobilePfx) + b.digits(7)
		case 2:
			return pickOne(b, mobilePfx) + b.digits(9)
		}
		return b.digits(4 + b.rnd(3))
	})
}

// contactAnomaly: an order to a junk address or an impossible phone, or both,
// then a refund before it ships.
func (b *builder) contactAnomaly() {
	c := b.newBuyer()
	switch b.rnd(3) {
	case 0:
		c.recv.Address = b.junkStreet(c.home.pl)
	case 1:
		c.recv.Phone = b.junkPhone()
	default:
		c.recv.Address, c.recv.Phone = b.junkStreet(c.home.pl), b.junkPhone()
	}
	o := b.order(c, b.lines(everyday, 2, 1), b.t0)
	r := b.refundOnly(o, "no_reason", nil, b.t0.Add(b.dur(20*time.Minute, 20*time.Hour)), true)
	o.Status = "closed"
	b.putOrder(o, b.last().Add(time.Minute))
	b.label(r, RuleContactAnomaly)
}

// orderBurst (大量恶意拍下): one to three accounts at one home place 5–10
// orders of one product within an hour, at least two each; most are never
// paid and lapse, tying up stock. One or two paid ones are refunded before
// shipping. With three accounts and two of them refunding, the home is also
// multi_account_address.
func (b *builder) orderBurst() {
	n := 1 + b.rnd(3)
	h, shared := b.home(nil), b.phone()
	var cs []*buyer
	for i := range n {
		ph := b.phone()
		if b.rnd(2) == 0 {
			ph = shared
		}
		cs = append(cs, b.buyer(b.name(), ph, h, []int{0, styleShort | styleSpaces, styleRepeat}[i], i))
	}
	m := max(5, 2*n) + b.rnd(4)
	span := b.dur(15*time.Minute, 55*time.Minute)
	p := pickOne(b, everyday)
	var orders []*event.Order
	for i := range m {
		c := cs[i%n]
		created := b.t0.Add(span * time.Duration(i) / time.Duration(m-1)).Truncate(time.Second)
		recv := c.recv
		items := []event.Item{p.item(pickOne(b, p.skus), 1+int64(b.rnd(3)))}
		o := &event.Order{OrderID: b.id("T"), BuyerID: c.id, Status: "created", CreatedAt: created, Items: items,
			AmountMinor: amountOf(items), Currency: "CNY", Receiver: &recv}
		b.putOrder(o, created)
		orders = append(orders, o)
	}
	k := 1 + b.rnd(2)
	if n == 3 {
		k = 2
	}
	for i, o := range orders {
		if i < k {
			o.Status = "paid"
			b.putOrder(o, o.CreatedAt.Add(b.dur(time.Minute, 5*time.Minute)))
		} else {
			o.Status = "closed" // unpaid: the platform closes it
			b.putOrder(o, o.CreatedAt.Add(30*time.Minute))
		}
	}
	for _, o := range orders[:k] {
		r := b.refundOnly(o, "no_reason", nil, o.CreatedAt.Add(b.dur(time.Hour, 8*time.Hour)), true)
		o.Status = "closed"
		b.putOrder(o, r.Meta.OccurredAt.Add(time.Minute))
		if n == 3 {
			b.label(r, RuleOrderBurst, RuleMultiAccount)
		} else {
			b.label(r, RuleOrderBurst)
		}
	}
}

// refundOnlyAbuse: "not received" a few hours to five days after the buyer,
// a locker or a station signed without exception; or 3–4 refund-only
// requests by one account, or two sharing a phone, within 90 days — some in
// a fortnight, careful ones spread over nearly three months.
func (b *builder) refundOnlyAbuse() {
	if b.rnd(2) == 0 {
		c := b.newBuyer()
		o := b.order(c, b.lines(everyday, 1, 1), b.t0)
		at := b.deliverAs(o, b.t0, pickOne(b, []string{"self", "locker", "station"}), false).Add(b.dur(2*time.Hour, 5*day))
		if b.rnd(2) == 0 {
			b.message(c, o, "", pickOne(b, notRecvTexts), at.Add(-b.dur(time.Minute, time.Hour)))
		}
		r := b.refundOnly(o, "not_received", nil, at, false)
		b.label(r, RuleRefundOnlyAbuse)
		return
	}
	cs := []*buyer{b.newBuyer()}
	if b.rnd(2) == 0 {
		cs = append(cs, b.buyer(b.name(), cs[0].phone, b.home(&cs[0].home.pl), styleShort, 1))
	}
	lo, hi := 2*day, 10*day
	if b.rnd(2) == 0 {
		lo, hi = 15*day, 25*day
	}
	at := b.t0
	for i := range 3 + b.rnd(2) {
		c := cs[i%len(cs)]
		o := b.order(c, b.lines(everyday, 1, 1), at)
		signed := b.deliver(o, at)
		r := b.refundOnly(o, pickOne(b, []string{"quality", "damaged", "not_as_described"}), nil, signed.Add(b.dur(2*time.Hour, 2*day)), true)
		b.label(r, RuleRefundOnlyAbuse)
		at = at.Add(b.dur(lo, hi))
	}
}

// missingContradicted: "a line is missing" from a delivered order whose
// outbound parcel the courier weighed at the whole order plus packing, and
// that the buyer signed for without exception. Two in three name the line;
// the rest name none (the lightest line is then the least that could be
// missing, and it is heavy enough to tell).
func (b *builder) missingContradicted() {
	c := b.newBuyer()
	var items []event.Item
	var claim []event.ItemRef
	for claim == nil {
		items = b.lines(heavy, 2, 1)
		if len(items) == 1 {
			items[0].Quantity = 2
		}
		full := weightOf(items)
		// The least the courier's scale can show (3 % low, 60 g of packing)
		// must exceed the order without the claimed unit, packing and
		// tolerance allowed, with 30 g to spare.
		least := 0.97 * float64(full+60)
		allowed := func(g int64) bool {
			return least > float64(full-g+max(300, int64(math.Round(0.15*float64(full))))+50+30)
		}
		lightest := items[0]
		for _, it := range items[1:] {
			if it.UnitWeightG < lightest.UnitWeightG {
				lightest = it
			}
		}
		if b.rnd(3) == 0 {
			if allowed(lightest.UnitWeightG) {
				claim = []event.ItemRef{}
			}
			continue
		}
		it := pickOne(b, items)
		if allowed(it.UnitWeightG) {
			claim = []event.ItemRef{{SKUID: it.SKUID, Quantity: 1}}
		}
	}
	if len(claim) == 0 {
		claim = nil
	}
	o := b.order(c, items, b.t0)
	at := b.deliverAs(o, b.t0, pickOne(b, []string{"self", "locker", "station"}), false).Add(b.dur(3*time.Hour, 3*day))
	if b.rnd(2) == 0 {
		b.message(c, o, "", pickOne(b, missingClaims), at.Add(-b.dur(time.Minute, time.Hour)))
	}
	r := b.refundOnly(o, "missing_item", claim, at, false)
	b.label(r, RuleMissingContradicted)
}

// feeInflated: a "damaged" or "quality" return claiming 2.5–6 times the
// parcel's usual postage, and at least 20 yuan more.
func (b *builder) feeInflated() {
	c, o, at := b.delivered(everyday, 2)
	claim := func(carrier string, w int64, from event.Address) int64 {
		typical := fee(carrier, w*104/100+5, from, b.wh) // the warehouse's scale may read a little more
		f := max(typical*5/2, typical+2000) * int64(100+b.rnd(140)) / 100
		return (f + 99) / 100 * 100
	}
	r, _, _ := b.returnFlow(c, o, pickOne(b, []string{"damaged", "quality"}), nil, at,
		plan{weight: b.parcelWeight(weightOf(o.Items)), outcome: b.inspectedOrNot(), fee: claim})
	b.label(r, RuleFeeInflated)
}

// stockoutAbuse (投诉卖家无货): one account, or two at one home, order again
// and again and within hours claim the shop has no stock, 3–4 times in
// 90 days.
func (b *builder) stockoutAbuse() {
	cs := []*buyer{b.newBuyer()}
	if b.rnd(2) == 0 {
		cs = append(cs, b.buyer(b.name(), b.phone(), cs[0].home, styleShort|styleSpaces, 2))
	}
	at := b.t0
	for i := range 3 + b.rnd(2) {
		c := cs[i%len(cs)]
		o := b.order(c, b.lines(everyday, 1, 1), at)
		r := b.refundOnly(o, "out_of_stock", nil, at.Add(b.dur(time.Hour, 20*time.Hour)), true)
		o.Status = "closed"
		b.putOrder(o, b.last().Add(time.Minute))
		b.label(r, RuleStockoutAbuse)
		at = at.Add(b.dur(5*day, 25*day))
	}
}

// extortion (职业索赔): after a delivery, a refund and one or two messages
// that threaten the platform, the regulator, the tax office, a lawsuit or a
// bad review, and ask for money. Two such messages block.
func (b *builder) extortion() {
	c, o, at := b.delivered(everyday, 1)
	var r *event.Refund
	if b.rnd(2) == 0 {
		r = b.refundOnly(o, pickOne(b, []string{"quality", "not_as_described"}), nil, at, false)
	} else {
		r = b.refund(o, "return_refund", pickOne(b, []string{"quality", "not_as_described"}), nil, at)
		r.Status = "awaiting_return"
		b.putRefund(r, at.Add(b.dur(10*time.Minute, 2*time.Hour)))
	}
	texts := b.s.rng.Perm(len(extortionTexts))
	for i := range 1 + b.rnd(2) {
		amount := fmt.Sprint(pickOne(b, []int{200, 300, 500, 800, 1000, 2000}))
		if b.rnd(4) == 0 {
			amount = wide(amount)
		}
		text := strings.ReplaceAll(extortionTexts[texts[i]], "%s", amount)
		refundID := r.RefundID
		if b.rnd(3) == 0 {
			refundID = "" // about the order
		}
		at = at.Add(b.dur(10*time.Minute, day))
		b.say(c, pickOne(b, []string{"chat", "chat", "complaint"}), o.OrderID, refundID, text, at)
	}
	b.label(r, RuleExtortion)
}
