// Package sim makes deterministic, labeled SellerGuard traffic: short stories
// ("scenes") of orders, refunds, return parcels and messages, honest or
// malicious, each event JSON-encoded as the contract says, with the rule codes
// every refund truly matches. The demo feeds it to the daemon; a benchmark can
// compare the daemon's decisions with the labels.
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

// Rule codes used as labels (see rules.md).
const (
	RuleTrackingReused   = "tracking_reused"
	RuleEmptyParcel      = "empty_parcel"
	RuleLowWeight        = "low_weight_return"
	RuleMultiAccount     = "multi_account_address"
	RuleInspectionFailed = "inspection_failed"
)

type scenario struct {
	name      string
	malicious bool
	weight    int // relative frequency within its class
	run       func(*builder)
}

var scenarios = []scenario{
	{"honest_return", false, 4, (*builder).honestReturn},
	{"honest_light_item", false, 1, (*builder).honestLightItem},
	{"honest_family", false, 1, (*builder).honestFamily},
	{"honest_late_waybill", false, 1, (*builder).honestLateWaybill},
	{"honest_refund_only", false, 1, (*builder).honestRefundOnly},
	{"honest_invoice", false, 1, (*builder).honestInvoice},
	{RuleTrackingReused, true, 1, (*builder).trackingReused},
	{RuleEmptyParcel, true, 1, (*builder).emptyParcel},
	{RuleLowWeight, true, 1, (*builder).lowWeight},
	{RuleMultiAccount, true, 1, (*builder).multiAccount},
	{RuleInspectionFailed, true, 1, (*builder).inspectionFailed},
}

// Scenarios lists every scene name and whether it is malicious; a malicious
// scene's name is the rule code its refunds are labeled with.
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
	total := 0
	for _, sc := range scenarios {
		if sc.malicious == malicious {
			total += sc.weight
		}
	}
	pick := s.rng.IntN(total)
	var sc scenario
	for _, sc = range scenarios {
		if sc.malicious != malicious {
			continue
		}
		if pick -= sc.weight; pick < 0 {
			break
		}
	}
	b := &builder{s: s, shop: s.cfg.Shops[s.rng.IntN(len(s.cfg.Shops))], t0: s.clock, counts: map[string]int{}}
	b.wh = s.Warehouse(b.shop)
	sc.run(b)
	s.clock = s.clock.Add(b.dur(3*time.Minute, 30*time.Minute))

	// Stable, so events at one instant keep the order they were emitted in.
	sort.SliceStable(b.evs, func(i, j int) bool { return b.evs[i].at.Before(b.evs[j].at) })
	out := Scene{Name: sc.name, Labels: b.labels, Events: make([]Produced, len(b.evs))}
	for i, e := range b.evs {
		out.Events[i] = e.p
	}
	return out
}

// builder collects one scene's events.
type builder struct {
	s      *Sim
	shop   string
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

func (b *builder) label(r *event.Refund, rules ...string) {
	if rules == nil {
		rules = []string{}
	}
	b.labels = append(b.labels, Label{ShopID: b.shop, RefundID: r.RefundID, Rules: rules})
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

// buyer is an account with the address it types on orders.
type buyer struct {
	id    string
	name  string
	phone string // 11 digits
	home  home
	recv  event.Address
}

func (b *builder) buyer(name, phone string, h home, style, phoneStyle int) *buyer {
	b.counts["buyer"]++
	id := fmt.Sprintf("tb_%s%s%06d%d", pickOne(b, nicks), b.s.tag, b.s.n, b.counts["buyer"])
	return &buyer{id: id, name: name, phone: phone, home: h, recv: h.typed(name, phoneAs(phone, phoneStyle), style)}
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

func (b *builder) order(c *buyer, items []event.Item, at time.Time) *event.Order {
	var amount int64
	for _, it := range items {
		amount += it.UnitPriceMinor * it.Quantity
	}
	recv := c.recv
	o := &event.Order{OrderID: b.id("T"), BuyerID: c.id, Status: "paid", CreatedAt: at.Add(-b.dur(time.Minute, 5*time.Minute)),
		Items: items, AmountMinor: amount, Currency: "CNY", Receiver: &recv}
	b.putOrder(o, at)
	return o
}

func (b *builder) putOrder(o *event.Order, at time.Time) {
	b.emit(event.KindOrder, o.OrderID, "o-"+o.OrderID, at, &o.Meta, o)
}

// ship sends the order out; the courier weighs items plus packing.
func (b *builder) ship(o *event.Order, at time.Time) time.Time {
	at = at.Add(b.dur(4*time.Hour, 30*time.Hour))
	carrier, no := b.waybill(outCarriers)
	w := weightOf(o.Items) + 60 + int64(b.rnd(200))
	o.Status, o.Shipment = "shipped", &event.Shipment{Carrier: carrier, TrackingNo: no, WeightG: &w, ShippedAt: at}
	b.putOrder(o, at)
	return at
}

// deliver ships and signs an order; it returns the signing time.
func (b *builder) deliver(o *event.Order, at time.Time) time.Time {
	at = b.ship(o, at).Add(b.dur(20*time.Hour, 72*time.Hour))
	o.Status, o.Shipment.SignedAt, o.Shipment.SignedBy = "signed", at, pickOne(b, []string{"self", "self", "locker", "station"})
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

func (b *builder) putRefund(r *event.Refund, at time.Time) {
	b.emit(event.KindRefund, r.RefundID, "r-"+r.RefundID, at, &r.Meta, r)
}

func (b *builder) putReturn(p *event.Return, at time.Time) {
	b.emit(event.KindReturn, p.TrackingNo, "t-"+p.TrackingNo, at, &p.Meta, p)
}

func (b *builder) message(c *buyer, o *event.Order, refundID, text string, at time.Time) {
	m := &event.Message{MessageID: b.id("M"), BuyerID: c.id, Channel: "chat", Text: text, OrderID: o.OrderID, RefundID: refundID}
	b.emit(event.KindMessage, c.id, "m-"+m.MessageID, at, &m.Meta, m)
}

// parcelWeight is what a courier's scale shows for items in their packing:
// 50–300 g of box and filler, ±4 % scale noise.
func (b *builder) parcelWeight(items int64) int64 {
	g := float64(items+50+int64(b.rnd(251))) * (0.96 + 0.08*b.s.rng.Float64())
	return int64(g + 0.5)
}

// plan says how a return goes: the parcel weight, whether the buyer fills the
// waybill in only after the pickup scan, and the warehouse inspection ("" =
// the parcel is still on its way, so weight is the only evidence yet).
type plan struct {
	weight  int64
	late    bool
	outcome string
}

// returnFlow files a return_refund and sends the parcel back; it returns the
// refund, the waybill and when the buyer filled it in.
func (b *builder) returnFlow(c *buyer, o *event.Order, reason string, items []event.ItemRef, at time.Time, p plan) (*event.Refund, *event.ReturnShipment) {
	r := b.refund(o, "return_refund", reason, items, at)
	at = at.Add(b.dur(10*time.Minute, 3*time.Hour))
	r.Status = "awaiting_return"
	b.putRefund(r, at)

	carrier, no := b.waybill(retCarriers)
	pickup := at.Add(b.dur(2*time.Hour, 20*time.Hour))
	filled := pickup.Add(-b.dur(20*time.Minute, 2*time.Hour))
	if p.late {
		filled = pickup.Add(b.dur(24*time.Hour, 48*time.Hour))
	}
	ws := &event.ReturnShipment{Carrier: carrier, TrackingNo: no, FilledAt: filled}
	r.Status, r.ReturnShipment = "returned", ws
	b.putRefund(r, filled)

	// The courier's sender is the buyer's home as the courier system keeps it.
	sender, recipient, w := c.home.typed(c.name, c.phone, 0), b.wh, p.weight
	parcel := &event.Return{TrackingNo: no, Carrier: carrier, Status: "picked_up", Sender: &sender, Recipient: &recipient, WeightG: &w}
	b.putReturn(parcel, pickup)
	parcel.Status = "in_transit"
	b.putReturn(parcel, pickup.Add(b.dur(3*time.Hour, 12*time.Hour)))
	if p.outcome == "" {
		return r, ws
	}

	signed := pickup.Add(b.dur(24*time.Hour, 72*time.Hour))
	if p.late && !signed.After(filled) {
		signed = filled.Add(b.dur(time.Hour, 6*time.Hour))
	}
	w2 := w + int64(b.rnd(9)) - 4 // the warehouse scale differs a little
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
	return r, ws
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

// AcceptedCarriers are the couriers the simulated shops accept for returns:
// every one honest buyers use.
func AcceptedCarriers() []string { return slices.Clone(retCarriers) }
