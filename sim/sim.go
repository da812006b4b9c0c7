// Package sim makes deterministic, labeled SellerGuard traffic: short stories
// ("scenes") of orders, refunds, return parcels and messages, honest or
// malicious, each event JSON-encoded as the contract says, with the rule codes
// every refund truly matches. The demo feeds it to the daemon; a benchmark can
// compare the daemon's decisions with the labels.
//
// The labels assume each shop is set up as the simulator says: its return
// warehouse (Sim.Warehouse) and the couriers it accepts (AcceptedCarriers).
// Without them unaccepted_carrier and return_misaddressed cannot be judged,
// as docs/rules.md says. known_offender is never labeled: it needs a
// reviewer's confirmation through the API, which the topics cannot carry.
package sim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sellerguard/sellerguard/event"
)

// Config sets up a Sim. Zero values take the defaults.
type Config struct {
	Seed           uint64
	Start          time.Time // simulated clock start; default 2026-11-01 09:00 +08:00
	Shops          []string  // default {"shop-1", "shop-2"}
	MaliciousShare float64   // share of malicious scenes: 0 means 0.3, negative means none
}

// Produced is one encoded event, ready for its topic.
type Produced struct {
	Kind  event.Kind
	Key   string // orders: order_id, refunds: refund_id, returns: tracking_no, messages: buyer_id
	Value []byte
}

// Label gives the rule codes a refund truly matches; empty for an honest one.
type Label struct {
	ShopID   string   `json:"shop_id"`
	RefundID string   `json:"refund_id"`
	Rules    []string `json:"rules"`
}

// Scene is one story: its events in the order they happened and the labels of
// the refunds it creates.
type Scene struct {
	Name   string
	Events []Produced
	Labels []Label
}

// Rule codes used as labels (see docs/rules.md). known_offender is not among
// them: it needs a reviewer's confirmation through the API (POST
// /v1/offenders), which traffic on the input topics cannot give.
const (
	RuleTrackingReused      = "tracking_reused"
	RuleEmptyParcel         = "empty_parcel"
	RuleKnownOffender       = "known_offender"
	RuleLowWeight           = "low_weight_return"
	RuleMultiAccount        = "multi_account_address"
	RuleInspectionFailed    = "inspection_failed"
	RuleSenderShared        = "return_sender_shared"
	RuleSKUSwap             = "wrong_item_sku_swap"
	RuleUnacceptedCarrier   = "unaccepted_carrier"
	RuleTrackingInvalid     = "tracking_invalid"
	RuleMisaddressed        = "return_misaddressed"
	RuleContactAnomaly      = "order_contact_anomaly"
	RuleOrderBurst          = "order_burst"
	RuleRefundOnlyAbuse     = "refund_only_abuse"
	RuleMissingContradicted = "missing_item_contradicted"
	RuleFeeInflated         = "shipping_fee_inflated"
	RuleStockoutAbuse       = "stockout_claim_abuse"
	RuleExtortion           = "extortion_message"
)

type scenario struct {
	name      string
	malicious bool
	weight    int // relative frequency within its class
	run       func(*builder)
}

var scenarios = []scenario{
	{"honest_return", false, 5, (*builder).honestReturn},
	{"honest_light_item", false, 1, (*builder).honestLightItem},
	{"honest_family", false, 1, (*builder).honestFamily},
	{"honest_late_waybill", false, 1, (*builder).honestLateWaybill},
	{"honest_refund_only", false, 1, (*builder).honestRefundOnly},
	{"honest_invoice", false, 1, (*builder).honestInvoice},
	{"honest_campus", false, 2, (*builder).honestCampus},
	{"honest_office_sale", false, 1, (*builder).honestOfficeSale},
	{"honest_small_office", false, 1, (*builder).honestSmallOffice},
	{"honest_frequent_returner", false, 1, (*builder).honestFrequentReturner},
	{"honest_combined_return", false, 1, (*builder).honestCombinedReturn},
	{"honest_lost_parcel", false, 1, (*builder).honestLostParcel},
	{"honest_under_shipped", false, 1, (*builder).honestUnderShipped},
	{"honest_slow_courier", false, 1, (*builder).honestSlowCourier},
	{"honest_postage_claim", false, 1, (*builder).honestPostageClaim},
	{"honest_out_of_stock", false, 1, (*builder).honestOutOfStock},
	{"honest_wrong_item", false, 1, (*builder).honestWrongItem},
	{RuleTrackingReused, true, 1, (*builder).trackingReused},
	{RuleEmptyParcel, true, 1, (*builder).emptyParcel},
	{RuleLowWeight, true, 1, (*builder).lowWeight},
	{RuleMultiAccount, true, 1, (*builder).multiAccount},
	{RuleInspectionFailed, true, 1, (*builder).inspectionFailed},
	{RuleSenderShared, true, 1, (*builder).senderShared},
	{RuleSKUSwap, true, 1, (*builder).skuSwap},
	{RuleUnacceptedCarrier, true, 1, (*builder).unacceptedCarrier},
	{RuleTrackingInvalid, true, 1, (*builder).trackingInvalid},
	{RuleMisaddressed, true, 1, (*builder).misaddressed},
	{RuleContactAnomaly, true, 1, (*builder).contactAnomaly},
	{RuleOrderBurst, true, 1, (*builder).orderBurst},
	{RuleRefundOnlyAbuse, true, 1, (*builder).refundOnlyAbuse},
	{RuleMissingContradicted, true, 1, (*builder).missingContradicted},
	{RuleFeeInflated, true, 1, (*builder).feeInflated},
	{RuleStockoutAbuse, true, 1, (*builder).stockoutAbuse},
	{RuleExtortion, true, 1, (*builder).extortion},
}

// Scenarios lists every scene name and whether it is malicious. A malicious
// scene's name is the rule code every one of its refunds is labeled with; a
// refund whose story also truly matches another rule (three ring accounts
// sharing a phone and swapping SKUs, an empty parcel sent next to the
// warehouse) carries that code too.
func Scenarios() map[string]bool {
	m := make(map[string]bool, len(scenarios))
	for _, sc := range scenarios {
		m[sc.name] = sc.malicious
	}
	return m
}

// Sim is a scene generator. It is not safe for concurrent use.
type Sim struct {
	cfg   Config
	rng   *rand.Rand
	tag   string // from the seed, so two runs with different seeds do not share ids
	clock time.Time
	n     int             // scenes made so far
	used  map[string]bool // phones, homes and waybill digits already handed out
	decks [2][]int        // scenario indexes left to tell, honest and malicious
	// buyers of empty-parcel stories, for a reviewer to confirm as offenders
	offenders []Offender
}

// draw picks the next story of a class from a shuffled deck holding each
// scenario as many times as its weight, so every one is told in a small
// world as often as its weight says, not only on average.
func (s *Sim) draw(malicious bool) scenario {
	k := 0
	if malicious {
		k = 1
	}
	if len(s.decks[k]) == 0 {
		for i, sc := range scenarios {
			if sc.malicious == malicious {
				for range sc.weight {
					s.decks[k] = append(s.decks[k], i)
				}
			}
		}
		s.rng.Shuffle(len(s.decks[k]), func(i, j int) { s.decks[k][i], s.decks[k][j] = s.decks[k][j], s.decks[k][i] })
	}
	i := s.decks[k][0]
	s.decks[k] = s.decks[k][1:]
	return scenarios[i]
}

var cst = time.FixedZone("CST", 8*3600)

// New returns a Sim; the same Config always yields the same scenes.
func New(cfg Config) *Sim {
	if len(cfg.Shops) == 0 {
		cfg.Shops = []string{"shop-1", "shop-2"}
	}
	if cfg.MaliciousShare == 0 {
		cfg.MaliciousShare = 0.3
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 11, 1, 9, 0, 0, 0, cst)
	}
	return &Sim{
		cfg:   cfg,
		rng:   rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5e11e76a4d)),
		tag:   fmt.Sprintf("%04d", (cfg.Seed*0x9E3779B97F4A7C15)>>40%10000),
		clock: cfg.Start.In(cst).Truncate(time.Second),
		used:  map[string]bool{},
	}
}

// Warehouse is the return address of a shop: returns in the simulated traffic
// are addressed to it, so a daemon configured with it sees no misaddressed parcel.
func (s *Sim) Warehouse(shopID string) event.Address {
	for i, sh := range s.cfg.Shops {
		if sh == shopID {
			w := warehouses[i%len(warehouses)]
			if i >= len(warehouses) { // keep each shop's address distinct
				w.Address += fmt.Sprintf("%d号门", i)
			}
			return w
		}
	}
	return event.Address{}
}

// Scene makes the next scene. Scenes start a few minutes apart on the
// simulated clock and each spans hours to days, so they overlap in time.
func (s *Sim) Scene() Scene {
	s.n++
	malicious := s.cfg.MaliciousShare > 0 && s.rng.Float64() < s.cfg.MaliciousShare
	sc := s.draw(malicious)
	b := &builder{s: s, whIdx: s.rng.IntN(len(s.cfg.Shops)), t0: s.clock, counts: map[string]int{}}
	b.shop = s.cfg.Shops[b.whIdx]
	b.wh = s.Warehouse(b.shop)
	sc.run(b)
	s.clock = s.clock.Add(b.dur(3*time.Minute, 30*time.Minute))
	return b.scene(sc.name)
}

// scene orders the builder's events in time: stable, so events at one
// instant keep the order they were emitted in.
func (b *builder) scene(name string) Scene {
	sort.SliceStable(b.evs, func(i, j int) bool { return b.evs[i].at.Before(b.evs[j].at) })
	out := Scene{Name: name, Labels: b.labels, Events: make([]Produced, len(b.evs))}
	for i, e := range b.evs {
		out.Events[i] = e.p
	}
	return out
}

// builder collects one scene's events.
type builder struct {
	s      *Sim
	shop   string
	whIdx  int // the shop's index, which picks its warehouse
	wh     event.Address
	t0     time.Time
	evs    []stamped
	labels []Label
	counts map[string]int // events per entity, ids handed out per prefix
}

type stamped struct {
	at time.Time
	p  Produced
}

func (b *builder) rnd(n int) int { return b.s.rng.IntN(n) }

func (b *builder) dur(lo, hi time.Duration) time.Duration {
	return (lo + time.Duration(b.s.rng.Int64N(int64(hi-lo)+1))).Truncate(time.Second)
}

func pickOne[T any](b *builder, xs []T) T { return xs[b.rnd(len(xs))] }

// id returns a new id with the prefix, unique per Sim: seed tag, scene, index.
func (b *builder) id(prefix string) string {
	b.counts["id:"+prefix]++
	return fmt.Sprintf("%s%s%06d%02d", prefix, b.s.tag, b.s.n, b.counts["id:"+prefix])
}

// emit stamps and encodes the whole current state of one entity.
func (b *builder) emit(kind event.Kind, key, entity string, at time.Time, meta *event.Meta, v any) {
	b.counts[entity]++
	*meta = event.Meta{EventID: fmt.Sprintf("%s-%d", entity, b.counts[entity]), ShopID: b.shop, OccurredAt: at}
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs of strings, numbers and times always encode
	}
	b.evs = append(b.evs, stamped{at, Produced{Kind: kind, Key: key, Value: data}})
}

// label records the rule codes a refund truly matches, sorted; none for an
// honest one.
func (b *builder) label(r *event.Refund, rules ...string) {
	rules = append([]string{}, rules...)
	slices.Sort(rules)
	b.labels = append(b.labels, Label{ShopID: b.shop, RefundID: r.RefundID, Rules: slices.Compact(rules)})
}

// unique draws from gen until it yields something no earlier scene used, so
// scenes share a phone, home or waybill only when the story says so.
func (b *builder) unique(kind string, gen func() string) string {
	for {
		v := gen()
		if !b.s.used[kind+v] {
			b.s.used[kind+v] = true
			return v
		}
	}
}

// fresh is unique for generators whose space may run out in an endless run
// (the demo): after many tries it settles for a value used before.
func (b *builder) fresh(kind string, gen func(try int) string) string {
	for try := 0; ; try++ {
		v := gen(try)
		if !b.s.used[kind+v] || try >= 200 {
			b.s.used[kind+v] = true
			return v
		}
	}
}

func (b *builder) digits(n int) string {
	var sb strings.Builder
	for range n {
		sb.WriteByte(byte('0' + b.rnd(10)))
	}
	return sb.String()
}

func (b *builder) phone() string {
	return b.unique("phone:", func() string { return pickOne(b, mobilePfx) + b.digits(8) })
}

func (b *builder) home(pl *place) home {
	var h home
	b.unique("home:", func() string {
		p := pickOne(b, places)
		if pl != nil {
			p = *pl
		}
		h = home{pl: p, street: pickOne(b, p.streets), no: fmt.Sprint(1 + b.rnd(999)), compound: pickOne(b, compounds),
			bld: fmt.Sprint(1 + b.rnd(30)), room: fmt.Sprintf("%d%02d", 1+b.rnd(28), 1+b.rnd(4))}
		return h.key()
	})
	return h
}

// waybill returns a carrier's number in its usual format, never used before.
func (b *builder) waybill(carriers []string) (carrier, no string) {
	carrier = pickOne(b, carriers)
	prefix, lead, lo, hi := waybillShape(carrier)
	d := b.unique("waybill:", func() string { return lead + b.digits(lo+b.rnd(hi-lo+1)-len(lead)) })
	return carrier, prefix + d
}

func (b *builder) name() string { return pickOne(b, surnames) + pickOne(b, givenNames) }

// buyer is an account with the address it types on orders and the sender
// its return parcels carry in the courier's system.
type buyer struct {
	id    string
	name  string
	phone string // 11 digits
	home  home
	recv  event.Address
	from  event.Address
}

func (b *builder) account() string {
	b.counts["buyer"]++
	return fmt.Sprintf("tb_%s%s%06d%d", pickOne(b, nicks), b.s.tag, b.s.n, b.counts["buyer"])
}

func (b *builder) buyer(name, phone string, h home, style, phoneStyle int) *buyer {
	return &buyer{id: b.account(), name: name, phone: phone, home: h, recv: h.typed(name, phoneAs(phone, phoneStyle), style),
		from: h.typed(name, phone, 0)}
}

// newBuyer is a fresh account at a fresh home, typed one of the usual ways.
func (b *builder) newBuyer() *buyer {
	return b.buyer(b.name(), b.phone(), b.home(nil), pickOne(b, []int{0, 0, styleShort, styleSpaces}), b.rnd(5))
}

func (b *builder) lines(ps []product, maxLines int, qty int64) []event.Item {
	var items []event.Item
	seen := map[string]bool{}
	for n := 1 + b.rnd(maxLines); len(items) < n; {
		p := pickOne(b, ps)
		if seen[p.id] {
			continue
		}
		seen[p.id] = true
		items = append(items, p.item(pickOne(b, p.skus), qty))
	}
	return items
}

func weightOf(items []event.Item) (g int64) {
	for _, it := range items {
		g += it.UnitWeightG * it.Quantity
	}
	return g
}

func amountOf(items []event.Item) (a int64) {
	for _, it := range items {
		a += it.UnitPriceMinor * it.Quantity
	}
	return a
}

// order places a paid order a few minutes after it was created.
func (b *builder) order(c *buyer, items []event.Item, at time.Time) *event.Order {
	recv := c.recv
	o := &event.Order{OrderID: b.id("T"), BuyerID: c.id, Status: "paid", CreatedAt: at.Add(-b.dur(time.Minute, 5*time.Minute)),
		Items: items, AmountMinor: amountOf(items), Currency: "CNY", Receiver: &recv}
	b.putOrder(o, at)
	return o
}

func (b *builder) putOrder(o *event.Order, at time.Time) {
	b.emit(event.KindOrder, o.OrderID, "o-"+o.OrderID, at, &o.Meta, o)
}

// ship sends the whole order out.
func (b *builder) ship(o *event.Order, at time.Time) time.Time { return b.shipItems(o, at, o.Items) }

// shipItems sends what the shop packed: the courier weighs the goods in
// 60–260 g of packing on a scale that may be 3 % off either way.
func (b *builder) shipItems(o *event.Order, at time.Time, packed []event.Item) time.Time {
	at = at.Add(b.dur(4*time.Hour, 30*time.Hour))
	carrier, no := b.waybill(outCarriers)
	w := b.scale(weightOf(packed)+60+int64(b.rnd(201)), 0.03)
	o.Status, o.Shipment = "shipped", &event.Shipment{Carrier: carrier, TrackingNo: no, WeightG: &w, ShippedAt: at}
	b.putOrder(o, at)
	return at
}

// scale is what a scale off by up to share either way shows for g grams.
func (b *builder) scale(g int64, share float64) int64 {
	return int64(float64(g)*(1-share+2*share*b.s.rng.Float64()) + 0.5)
}

// deliver ships and signs an order (the buyer, a locker or a station, no
// exception); it returns the signing time.
func (b *builder) deliver(o *event.Order, at time.Time) time.Time {
	return b.deliverAs(o, at, pickOne(b, []string{"self", "self", "locker", "station"}), false)
}

func (b *builder) deliverAs(o *event.Order, at time.Time, by string, exception bool) time.Time {
	return b.sign(o, b.ship(o, at), by, exception)
}

// sign records the delivery of a shipped order 20–72 h after shipping.
func (b *builder) sign(o *event.Order, shipped time.Time, by string, exception bool) time.Time {
	at := shipped.Add(b.dur(20*time.Hour, 72*time.Hour))
	o.Status, o.Shipment.SignedAt, o.Shipment.SignedBy, o.Shipment.SignedWithException = "signed", at, by, exception
	b.putOrder(o, at.Add(b.dur(time.Minute, 20*time.Minute)))
	return at
}

func (b *builder) refund(o *event.Order, kind, reason string, items []event.ItemRef, at time.Time) *event.Refund {
	amount := o.AmountMinor
	if items != nil {
		amount = 0
		for _, ref := range items {
			for _, it := range o.Items {
				if it.SKUID == ref.SKUID {
					amount += it.UnitPriceMinor * ref.Quantity
				}
			}
		}
	}
	desc := ""
	if texts := reasonTexts[reason]; texts != nil {
		desc = pickOne(b, texts)
	}
	r := &event.Refund{RefundID: b.id("R"), OrderID: o.OrderID, BuyerID: o.BuyerID, RefundKind: kind, Reason: reason,
		Status: "requested", RequestedAt: at, Items: items, AmountMinor: amount, Description: desc}
	b.putRefund(r, at)
	return r
}

// refundOnly files a refund-only request and, when settle is set, has the
// shop pay it a few hours later.
func (b *builder) refundOnly(o *event.Order, reason string, items []event.ItemRef, at time.Time, settle bool) *event.Refund {
	r := b.refund(o, "refund_only", reason, items, at)
	if settle {
		r.Status = "refunded"
		b.putRefund(r, at.Add(b.dur(30*time.Minute, 20*time.Hour)))
	}
	return r
}

func (b *builder) putRefund(r *event.Refund, at time.Time) {
	b.emit(event.KindRefund, r.RefundID, "r-"+r.RefundID, at, &r.Meta, r)
}

func (b *builder) putReturn(p *event.Return, at time.Time) {
	b.emit(event.KindReturn, p.TrackingNo, "t-"+p.TrackingNo, at, &p.Meta, p)
}

// message sends a chat message about an order (and a refund, when given).
func (b *builder) message(c *buyer, o *event.Order, refundID, text string, at time.Time) {
	b.say(c, "chat", o.OrderID, refundID, text, at)
}

func (b *builder) say(c *buyer, channel, orderID, refundID, text string, at time.Time) {
	m := &event.Message{MessageID: b.id("M"), BuyerID: c.id, Channel: channel, Text: text, OrderID: orderID, RefundID: refundID}
	b.emit(event.KindMessage, c.id, "m-"+m.MessageID, at, &m.Meta, m)
}

// parcelWeight is what a courier's scale shows for items in their packing:
// 50–300 g of box and filler, ±4 % scale noise.
func (b *builder) parcelWeight(items int64) int64 {
	return b.scale(items+50+int64(b.rnd(251)), 0.04)
}

// plan says how a return goes. Zero values are the usual: a mainstream
// courier, from the buyer's home to the shop's warehouse as the buyer typed
// it, the waybill filled in just before the pickup.
type plan struct {
	weight  int64
	late    time.Duration // >0: the buyer fills the waybill in this long after the pickup scan
	outcome string        // warehouse inspection; "" = not inspected: still on its way, or see end
	// end, with no outcome: the courier's last word instead of the
	// warehouse's: "signed" (at the recipient, never linked to the refund),
	// "rejected" (refused at the warehouse) or "lost"; "" = still in transit.
	end     string
	carrier string // "" = one of the usual return couriers
	sender  *event.Address
	to      *event.Address
	// fee is the return postage claimed with the waybill (0: none), given
	// the carrier, the courier's weight and the sender.
	fee func(carrier string, weight int64, from event.Address) int64
}

// returnFlow files a return_refund and sends the parcel back; it returns the
// refund, the waybill the buyer filled in and the parcel.
func (b *builder) returnFlow(c *buyer, o *event.Order, reason string, items []event.ItemRef, at time.Time, p plan) (*event.Refund, *event.ReturnShipment, *event.Return) {
	r := b.refund(o, "return_refund", reason, items, at)
	at = at.Add(b.dur(10*time.Minute, 3*time.Hour))
	r.Status = "awaiting_return"
	b.putRefund(r, at)

	carrier, no := b.waybill(retCarriers)
	if p.carrier != "" {
		carrier, no = b.waybill([]string{p.carrier})
	}
	pickup := at.Add(b.dur(2*time.Hour, 20*time.Hour))
	filled := pickup.Add(-b.dur(20*time.Minute, 2*time.Hour))
	if p.late > 0 {
		filled = pickup.Add(p.late)
	}
	// The courier's sender is the buyer's home as the courier system keeps it.
	sender, recipient, w := c.from, b.whTyped(), p.weight
	if p.sender != nil {
		sender = *p.sender
	}
	if p.to != nil {
		recipient = *p.to
	}
	ws := &event.ReturnShipment{Carrier: carrier, TrackingNo: no, FilledAt: filled}
	r.Status, r.ReturnShipment = "returned", ws
	if p.fee != nil {
		r.ShippingFeeClaimMinor = p.fee(carrier, w, sender)
	}
	b.putRefund(r, filled)

	parcel := &event.Return{TrackingNo: no, Carrier: carrier, Status: "picked_up", Sender: &sender, Recipient: &recipient, WeightG: &w}
	b.putReturn(parcel, pickup)
	parcel.Status = "in_transit"
	moving := pickup.Add(b.dur(3*time.Hour, 12*time.Hour))
	b.putReturn(parcel, moving)
	signed := pickup.Add(b.dur(24*time.Hour, 72*time.Hour))
	if !signed.After(filled) {
		signed = filled.Add(b.dur(time.Hour, 6*time.Hour))
	}
	switch {
	case p.end == "lost":
		parcel.Status = "lost"
		b.putReturn(parcel, moving.Add(b.dur(3*day, 7*day)))
		return r, ws, parcel
	case p.outcome == "" && p.end != "":
		parcel.Status = p.end
		b.putReturn(parcel, signed)
		return r, ws, parcel
	case p.outcome == "":
		return r, ws, parcel
	}

	w2 := b.scale(w, 0.03) // the warehouse's scale disagrees with the courier's
	parcel.Status, parcel.RefundID, parcel.WeightG = "signed", r.RefundID, &w2
	b.putReturn(parcel, signed)

	inspected := signed.Add(b.dur(10*time.Minute, 3*time.Hour))
	in := &event.Inspection{Outcome: p.outcome, InspectedAt: inspected, Note: failedNotes[p.outcome]}
	switch p.outcome {
	case "ok":
		in.ItemsReceived = refItems(o, items)
	case "missing_items":
		got := refItems(o, items)[:1]
		got[0].Quantity = 1
		in.ItemsReceived = got
	}
	parcel.Inspection = in
	b.putReturn(parcel, inspected)

	r.Status = "refunded"
	if p.outcome != "ok" {
		r.Status = "received" // held: the shop disputes it
	}
	b.putRefund(r, inspected.Add(b.dur(10*time.Minute, 3*time.Hour)))
	return r, ws, parcel
}

// refItems is what a refund claims: the listed items, or the whole order.
func refItems(o *event.Order, items []event.ItemRef) []event.ItemRef {
	if items != nil {
		return append([]event.ItemRef(nil), items...)
	}
	var out []event.ItemRef
	for _, it := range o.Items {
		out = append(out, event.ItemRef{SKUID: it.SKUID, Quantity: it.Quantity})
	}
	return out
}

func (b *builder) honestReason() string {
	return pickOne(b, []string{"no_reason", "quality", "not_as_described"})
}

// whTyped is the shop's warehouse as a buyer types it into the courier's
// app: mostly as the shop gave it, sometimes cut short, without the
// sub-district, with the province and city short, or with the team's name
// after it.
func (b *builder) whTyped() event.Address {
	w := b.wh
	if b.whIdx >= len(warehouses) || b.rnd(2) == 0 {
		return w
	}
	switch b.rnd(4) {
	case 0:
		w.Province, w.City = strings.TrimSuffix(w.Province, "省"), strings.TrimSuffix(w.City, "市")
	case 1:
		w.Address = pickOne(b, warehouseTyped[b.whIdx])
	case 2:
		w.Address += pickOne(b, []string{"售后组", " 退货处", "(售后)"})
	case 3:
		w.Address = w.Province + w.City + w.District + w.Address
	}
	return w
}

// AcceptedCarriers are the couriers the simulated shops accept for returns:
// every one honest buyers use.
func AcceptedCarriers() []string { return slices.Clone(retCarriers) }
