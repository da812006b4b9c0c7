package sim

// Honest life: the look-alikes every rule must leave alone.

import (
	"fmt"
	"strings"
	"time"

	"github.com/sellerguard/sellerguard/event"
)

// last is the time of the scene's latest event so far.
func (b *builder) last() time.Time {
	t := b.t0
	for _, e := range b.evs {
		t = later(t, e.at)
	}
	return t
}

// nextMidnight is the first 00:00 in China after t.
func nextMidnight(t time.Time) time.Time {
	y, m, d := t.In(cst).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, cst)
}

// extraChars lengthen a name when the short ones run out at a mailroom.
var extraChars = []string{"琳", "雪", "宇", "晨", "阳", "博", "文", "佳", "思", "睿", "萱", "航"}

// atMailroom is a new account that has its parcels sent to a shared
// mailroom, under a name no one else at this mailroom of this shop uses (a
// campus has thousands of names; our short list would repeat them).
func (b *builder) atMailroom(m mailroom, key string) *buyer {
	name := b.fresh("mailroom:"+b.shop+":"+key+":", func(try int) string {
		if try < 5 {
			return b.name()
		}
		return b.name() + pickOne(b, extraChars)
	})
	ph := b.phone()
	style := pickOne(b, []int{0, 0, styleShort, styleSpaces, styleRepeat, styleShort | styleSpaces, styleWide})
	return &buyer{id: b.account(), name: name, phone: ph, recv: m.typed(name, phoneAs(ph, b.rnd(6)), style), from: m.typed(name, ph, 0)}
}

// honestCampus: a student (sometimes with a roommate) orders to the campus
// parcel station, which every student of the campus uses: over the world it
// gathers far more than 20 accounts. About a third send their order back.
func (b *builder) honestCampus() {
	mi := b.rnd(len(campuses))
	m := campuses[mi]
	for range 1 + b.rnd(2) {
		c := b.atMailroom(m, fmt.Sprint("campus", mi))
		items := b.lines(everyday, 2, 1)
		o := b.order(c, items, b.t0.Add(b.dur(0, 2*day)))
		signed := b.deliverAs(o, o.Meta.OccurredAt, pickOne(b, []string{"station", "station", "self"}), false)
		if b.rnd(10) < 3 {
			at := signed.Add(b.dur(3*time.Hour, 5*day))
			r, _, _ := b.returnFlow(c, o, b.honestReason(), nil, at, plan{weight: b.parcelWeight(weightOf(items)), outcome: b.inspectedOrNot()})
			b.label(r)
		}
	}
}

// honestOfficeSale: 2–5 colleagues in an office tower order once each to
// its mailroom within the first hour of a midnight sale; each sends the
// order back with a chance of one in five. The mailroom serves every tenant:
// like a campus station it gathers more than 20 accounts over the world.
func (b *builder) honestOfficeSale() {
	ti := b.rnd(len(towers))
	sale := nextMidnight(b.t0)
	for range 2 + b.rnd(4) {
		c := b.atMailroom(towers[ti], fmt.Sprint("tower", ti))
		items := b.lines(everyday, 1, 1)
		o := b.order(c, items, sale.Add(b.dur(6*time.Minute, 55*time.Minute)))
		signed := b.deliverAs(o, o.Meta.OccurredAt, pickOne(b, []string{"self", "proxy", "station"}), false)
		if b.rnd(5) == 0 {
			at := signed.Add(b.dur(3*time.Hour, 5*day))
			r, _, _ := b.returnFlow(c, o, b.honestReason(), nil, at, plan{weight: b.parcelWeight(weightOf(items)), outcome: b.inspectedOrNot()})
			b.label(r)
		}
	}
}

// honestSmallOffice: 3–6 colleagues of a small company have their orders
// sent to its reception over a few weeks; each sends one back with a chance
// of one in five. Far from a hub, the address links them.
func (b *builder) honestSmallOffice() {
	pl := pickOne(b, places)
	var office mailroom
	key := b.fresh("office:", func(int) string {
		office = mailroom{pl: pl, parts: []string{pickOne(b, pl.streets) + fmt.Sprint(1+b.rnd(999)) + "号", pickOne(b, officeTowers),
			fmt.Sprintf("%d楼", 3+b.rnd(28)), pickOne(b, officeCompanies)}}
		return pl.district + strings.Join(office.parts, "")
	})
	at := b.t0
	for range 3 + b.rnd(4) {
		c := b.atMailroom(office, key)
		items := b.lines(everyday, 1, 1)
		o := b.order(c, items, at)
		signed := b.deliverAs(o, at, pickOne(b, []string{"self", "proxy", "station"}), false)
		if b.rnd(5) == 0 {
			r, _, _ := b.returnFlow(c, o, b.honestReason(), nil, signed.Add(b.dur(3*time.Hour, 5*day)),
				plan{weight: b.parcelWeight(weightOf(items)), outcome: b.inspectedOrNot()})
			b.label(r)
		}
		at = at.Add(b.dur(2*day, 7*day))
	}
}

// honestFrequentReturner: one account buys and returns 3–6 times over weeks,
// typing its address a different way each time.
func (b *builder) honestFrequentReturner() {
	c := b.newBuyer()
	at := b.t0
	for range 3 + b.rnd(4) {
		c.recv = c.home.typed(c.name, phoneAs(c.phone, b.rnd(6)), pickOne(b, []int{0, styleShort, styleSpaces, styleShort | styleWide, styleRepeat}))
		items := b.lines(everyday, 2, 1)
		o := b.order(c, items, at)
		signed := b.deliver(o, at)
		r, _, _ := b.returnFlow(c, o, b.honestReason(), nil, signed.Add(b.dur(3*time.Hour, 5*day)),
			plan{weight: b.parcelWeight(weightOf(items)), outcome: b.inspectedOrNot()})
		b.label(r)
		at = at.Add(b.dur(5*day, 20*day))
	}
}

// honestCombinedReturn: one buyer returns two orders placed a day apart in
// one parcel; both refunds name its waybill (the second typed with spaces
// or in lower case), filled in within hours.
func (b *builder) honestCombinedReturn() {
	c := b.newBuyer()
	i1, i2 := b.lines(everyday, 1, 1), b.lines(everyday, 1, 1)
	o1 := b.order(c, i1, b.t0)
	s1 := b.deliver(o1, b.t0)
	o2at := b.t0.Add(b.dur(2*time.Hour, 30*time.Hour))
	o2 := b.order(c, i2, o2at)
	s2 := b.deliver(o2, o2at)
	at := later(s1, s2).Add(b.dur(3*time.Hour, 2*day))
	var rs []*event.Refund
	for _, o := range []*event.Order{o1, o2} {
		r := b.refund(o, "return_refund", b.honestReason(), nil, at)
		r.Status = "awaiting_return"
		b.putRefund(r, at.Add(b.dur(10*time.Minute, 2*time.Hour)))
		rs = append(rs, r)
		at = at.Add(b.dur(time.Minute, 40*time.Minute))
	}
	carrier, no := b.waybill(retCarriers)
	pickup := at.Add(b.dur(3*time.Hour, 20*time.Hour))
	filled := pickup.Add(-b.dur(20*time.Minute, 2*time.Hour))
	for i, r := range rs {
		typed := no
		if i == 1 {
			typed = pickOne(b, []string{strings.ToLower(no), no[:4] + " " + no[4:8] + " " + no[8:], no})
		}
		r.Status, r.ReturnShipment = "returned", &event.ReturnShipment{Carrier: carrier, TrackingNo: typed, FilledAt: filled}
		b.putRefund(r, filled)
		filled = filled.Add(b.dur(time.Minute, 10*time.Hour))
	}
	sender, recipient, w := c.from, b.whTyped(), b.parcelWeight(weightOf(i1)+weightOf(i2))
	parcel := &event.Return{TrackingNo: no, Carrier: carrier, Status: "picked_up", Sender: &sender, Recipient: &recipient, WeightG: &w}
	b.putReturn(parcel, pickup)
	parcel.Status = "in_transit"
	b.putReturn(parcel, pickup.Add(b.dur(3*time.Hour, 12*time.Hour)))
	if b.rnd(3) > 0 {
		signed := later(pickup.Add(b.dur(24*time.Hour, 72*time.Hour)), filled.Add(time.Hour))
		w2 := b.scale(w, 0.03)
		parcel.Status, parcel.RefundID, parcel.WeightG = "signed", rs[0].RefundID, &w2
		b.putReturn(parcel, signed)
		got := append(refItems(o1, nil), refItems(o2, nil)...)
		parcel.Inspection = &event.Inspection{Outcome: "ok", ItemsReceived: got, InspectedAt: signed.Add(b.dur(10*time.Minute, 3*time.Hour))}
		b.putReturn(parcel, parcel.Inspection.InspectedAt)
		for _, r := range rs {
			r.Status = "refunded"
			b.putRefund(r, parcel.Inspection.InspectedAt.Add(b.dur(10*time.Minute, 3*time.Hour)))
		}
	}
	for _, r := range rs {
		b.label(r)
	}
}

// honestLostParcel: the courier loses the return parcel; the shop refunds.
func (b *builder) honestLostParcel() {
	c := b.newBuyer()
	items := b.lines(everyday, 2, 1)
	o := b.order(c, items, b.t0)
	at := b.deliver(o, b.t0).Add(b.dur(3*time.Hour, 5*day))
	r, _, _ := b.returnFlow(c, o, b.honestReason(), nil, at, plan{weight: b.parcelWeight(weightOf(items)), end: "lost"})
	b.message(c, o, r.RefundID, "快递说我寄回的包裹丢了,这个怎么处理?", b.last().Add(b.dur(time.Hour, day)))
	r.Status = "refunded"
	b.putRefund(r, b.last().Add(b.dur(time.Hour, 2*day)))
	b.label(r)
}

// honestUnderShipped: the shop forgot one line of a two-line order. The
// courier's outbound weight is the lighter parcel that really went out; the
// buyer's "missing item" claim is true. The forgotten line may be heavy, or
// as light as a pair of earrings the scale cannot tell.
func (b *builder) honestUnderShipped() {
	c := b.newBuyer()
	main := pickOne(b, heavy)
	var extra product
	for extra = main; extra.id == main.id; {
		extra = pickOne(b, pickOne(b, [][]product{heavy, medium, light}))
	}
	items := []event.Item{main.item(pickOne(b, main.skus), 1), extra.item(pickOne(b, extra.skus), 1)}
	o := b.order(c, items, b.t0)
	shipped := b.shipItems(o, b.t0, items[:1])
	signed := b.sign(o, shipped, pickOne(b, []string{"self", "locker", "station"}), false)
	at := signed.Add(b.dur(2*time.Hour, 2*day))
	b.message(c, o, "", pickOne(b, underTexts), at)
	r := b.refundOnly(o, "missing_item", []event.ItemRef{{SKUID: items[1].SKUID, Quantity: 1}}, at.Add(b.dur(10*time.Minute, 2*time.Hour)), true)
	b.label(r)
}

// honestSlowCourier: the parcel crawls for a week; the buyer complains about
// the courier (angry, a bad review mentioned, no money asked) and most then
// send it back because it came too late.
func (b *builder) honestSlowCourier() {
	c := b.newBuyer()
	items := b.lines(everyday, 1, 1)
	o := b.order(c, items, b.t0)
	shipped := b.ship(o, b.t0)
	b.message(c, o, "", pickOne(b, slowTexts), shipped.Add(b.dur(2*day, 3*day)))
	if b.rnd(2) == 0 {
		b.say(c, "complaint", o.OrderID, "", pickOne(b, slowTexts), shipped.Add(b.dur(3*day, 4*day)))
	}
	signed := shipped.Add(b.dur(5*day, 8*day))
	o.Status, o.Shipment.SignedAt, o.Shipment.SignedBy = "signed", signed, pickOne(b, []string{"self", "station"})
	b.putOrder(o, signed.Add(b.dur(time.Minute, 20*time.Minute)))
	if b.rnd(10) < 7 {
		at := signed.Add(b.dur(2*time.Hour, 2*day))
		r, _, _ := b.returnFlow(c, o, "no_reason", nil, at, plan{weight: b.parcelWeight(weightOf(items)), outcome: b.inspectedOrNot()})
		r.Description = pickOne(b, lateTexts)
		b.putRefund(r, b.last().Add(time.Minute))
		b.label(r)
	}
}

// honestPostageClaim: a quality return whose buyer claims the postage paid,
// at or below the courier's retail price for the parcel and route.
func (b *builder) honestPostageClaim() {
	c := b.newBuyer()
	items := b.lines(everyday, 2, 1)
	o := b.order(c, items, b.t0)
	at := b.deliver(o, b.t0).Add(b.dur(3*time.Hour, 5*day))
	paid := func(carrier string, w int64, from event.Address) int64 {
		typical := fee(carrier, w, from, b.wh)
		return max(500, typical*int64(60+b.rnd(41))/100/100*100) // whole yuan
	}
	r, _, _ := b.returnFlow(c, o, pickOne(b, []string{"quality", "not_as_described", "damaged"}), nil, at,
		plan{weight: b.parcelWeight(weightOf(items)), outcome: b.inspectedOrNot(), fee: paid})
	b.message(c, o, r.RefundID, pickOne(b, postageTexts), r.ReturnShipment.FilledAt.Add(b.dur(time.Minute, time.Hour)))
	b.label(r)
}

// honestOutOfStock: the shop runs out; the buyer takes the refund for the
// whole order, or for the one line the shop cannot send.
func (b *builder) honestOutOfStock() {
	c := b.newBuyer()
	items := b.lines(everyday, 2, 1)
	o := b.order(c, items, b.t0)
	at := b.t0.Add(b.dur(2*time.Hour, 30*time.Hour))
	if b.rnd(2) == 0 {
		b.message(c, o, "", pickOne(b, stockOKTexts), at.Add(-b.dur(time.Minute, time.Hour)))
	}
	var claim []event.ItemRef
	if len(items) > 1 && b.rnd(2) == 0 {
		claim = []event.ItemRef{{SKUID: items[1].SKUID, Quantity: 1}}
	}
	r := b.refundOnly(o, "out_of_stock", claim, at, true)
	if claim == nil {
		o.Status = "closed"
		b.putOrder(o, b.last().Add(time.Minute))
	} else {
		b.shipItems(o, b.last(), items[:1])
	}
	b.label(r)
}

// honestWrongItem: the shop sent the wrong size or colour. Sometimes two
// members of a family bought the same SKU from one mis-packed batch and both
// send it back: linked accounts, one SKU.
func (b *builder) honestWrongItem() {
	var ps []product
	for _, p := range everyday {
		if len(p.skus) > 1 {
			ps = append(ps, p)
		}
	}
	p := pickOne(b, ps)
	k := pickOne(b, p.skus)
	cs := []*buyer{b.newBuyer()}
	if b.rnd(3) == 0 {
		surname := pickOne(b, surnames)
		given := b.s.rng.Perm(len(givenNames))
		h := b.home(nil)
		cs = []*buyer{b.buyer(surname+givenNames[given[0]], b.phone(), h, 0, 0), b.buyer(surname+givenNames[given[1]], b.phone(), h, styleShort|styleSpaces, 1)}
	}
	for i, c := range cs {
		at := b.t0.Add(time.Duration(i) * b.dur(time.Hour, 2*day))
		o := b.order(c, []event.Item{p.item(k, 1)}, at)
		signed := b.deliver(o, at)
		r, _, _ := b.returnFlow(c, o, "wrong_item", nil, signed.Add(b.dur(3*time.Hour, 3*day)),
			plan{weight: b.parcelWeight(weightOf(o.Items)), outcome: b.inspectedOrNot()})
		b.label(r)
	}
}
