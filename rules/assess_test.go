package rules_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

// Every time in these tests is China Standard Time, as the shops' own systems write it.
var (
	cst = time.FixedZone("CST", 8*60*60)
	now = time.Date(2026, time.November, 22, 10, 0, 0, 0, cst)
)

func at(day, hour, minute int) time.Time {
	return time.Date(2026, time.November, day, hour, minute, 0, 0, cst)
}

// ---- expectations --------------------------------------------------------

// want is what one assessment must say. Fixtures under testdata/assess/ hold
// the same structure in JSON.
type want struct {
	Decision rules.Decision `json:"decision"`
	Score    [2]int         `json:"score"` // inclusive range
	// Reasons lists every finding: the set of rule codes must match exactly.
	Reasons []wantReason `json:"reasons"`
}

type wantReason struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	// Evidence holds the keys that matter, compared by their JSON form.
	Evidence map[string]any `json:"evidence"`
	// AbsentEvidence are keys that must not be there.
	AbsentEvidence []string `json:"absent_evidence"`
	// Mentions are facts (waybill, grams, refund ids, dates, counts) that both
	// the zh and the en message must name as a whole token.
	Mentions []string `json:"mentions"`
}

func approve() want { return want{Decision: rules.Approve, Score: [2]int{0, 0}} }

// checkAssessment compares an assessment with what is wanted, and checks the
// invariants every assessment must keep.
func checkAssessment(t *testing.T, c rules.Case, got rules.Assessment, w want) {
	t.Helper()
	r := c.Refund
	if got.RefundID != r.RefundID || got.ShopID != r.ShopID || got.OrderID != r.OrderID || got.BuyerID != r.BuyerID {
		t.Errorf("ids = %q/%q/%q/%q, want the refund's %q/%q/%q/%q",
			got.RefundID, got.ShopID, got.OrderID, got.BuyerID, r.RefundID, r.ShopID, r.OrderID, r.BuyerID)
	}
	if !got.AssessedAt.Equal(now) || got.RulesetVersion != rules.Defaults().Version {
		t.Errorf("stamped %v / %q, want %v / %q", got.AssessedAt, got.RulesetVersion, now, rules.Defaults().Version)
	}
	if got.Decision != w.Decision {
		t.Errorf("decision = %s, want %s (score %d, reasons %s)", got.Decision, w.Decision, got.Score, codes(got))
	}
	if got.Score < w.Score[0] || got.Score > w.Score[1] {
		t.Errorf("score = %d, want %d..%d", got.Score, w.Score[0], w.Score[1])
	}
	if got.Reasons == nil {
		t.Errorf("reasons is nil; it must be an empty slice so JSON says []")
	}
	var wantCodes []string
	for _, wr := range w.Reasons {
		wantCodes = append(wantCodes, wr.Rule)
	}
	slices.Sort(wantCodes)
	if gotCodes := codes(got); !slices.Equal(gotCodes, wantCodes) {
		t.Errorf("rules = %v, want exactly %v", gotCodes, wantCodes)
	}
	for _, reason := range got.Reasons {
		checkReasonShape(t, reason)
	}
	for _, wr := range w.Reasons {
		i := slices.IndexFunc(got.Reasons, func(r rules.Reason) bool { return r.Rule == wr.Rule })
		if i < 0 {
			continue // reported above
		}
		reason := got.Reasons[i]
		if reason.Severity != wr.Severity {
			t.Errorf("%s: severity = %s, want %s", wr.Rule, reason.Severity, wr.Severity)
		}
		for key, wv := range wr.Evidence {
			gv, ok := reason.Evidence[key]
			if !ok {
				t.Errorf("%s: evidence has no %q (has %v)", wr.Rule, key, keys(reason.Evidence))
				continue
			}
			if g, e := jsonForm(t, gv), jsonForm(t, wv); !reflect.DeepEqual(g, e) {
				t.Errorf("%s: evidence %q = %s, want %s", wr.Rule, key, jsonText(t, gv), jsonText(t, wv))
			}
		}
		for _, key := range wr.AbsentEvidence {
			if v, ok := reason.Evidence[key]; ok {
				t.Errorf("%s: evidence %q = %s, want no such key", wr.Rule, key, jsonText(t, v))
			}
		}
		for _, fact := range wr.Mentions {
			if !mentions(reason.Message.ZH, fact) {
				t.Errorf("%s: zh message %q does not name %q", wr.Rule, reason.Message.ZH, fact)
			}
			if !mentions(reason.Message.EN, fact) {
				t.Errorf("%s: en message %q does not name %q", wr.Rule, reason.Message.EN, fact)
			}
		}
	}
}

// checkReasonShape checks what holds for every reason of every rule.
func checkReasonShape(t *testing.T, r rules.Reason) {
	t.Helper()
	if !slices.Contains(rules.Codes, r.Rule) {
		t.Errorf("rule %q is not in rules.Codes", r.Rule)
	}
	if !slices.Contains([]string{"low", "medium", "high", "critical"}, r.Severity) {
		t.Errorf("%s: severity %q is not a contract value", r.Rule, r.Severity)
	}
	if r.Message.EN == "" || !strings.ContainsFunc(r.Message.ZH, func(c rune) bool { return unicode.Is(unicode.Han, c) }) {
		t.Errorf("%s: messages must be non-empty, zh in Chinese: %+v", r.Rule, r.Message)
	}
	if r.Evidence == nil {
		t.Errorf("%s: evidence is nil", r.Rule)
	}
	checkEvidenceOrder(t, r)
}

// checkEvidenceOrder: lists in evidence come in a fixed order, so equal facts
// give byte-equal decision events. Accounts, orders and refunds at an address
// are sorted; the uses of one waybill are in the order they were filled in.
func checkEvidenceOrder(t *testing.T, r rules.Reason) {
	t.Helper()
	switch r.Rule {
	case rules.MultiAccountAddress:
		for _, key := range []string{"accounts", "orders", "refunds"} {
			list, ok := r.Evidence[key].([]string)
			if !ok {
				t.Errorf("%s: evidence %q is %T, want []string", r.Rule, key, r.Evidence[key])
				continue
			}
			if !slices.IsSorted(list) || len(slices.Compact(slices.Clone(list))) != len(list) {
				t.Errorf("%s: evidence %q = %v, want sorted without duplicates", r.Rule, key, list)
			}
		}
	case rules.TrackingReused:
		ids, ok1 := r.Evidence["other_refunds"].([]string)
		detail, ok2 := r.Evidence["refunds"].([]map[string]any)
		if !ok1 || !ok2 || len(ids) != len(detail) {
			t.Errorf("%s: other_refunds %T and refunds %T must list the same refunds", r.Rule, r.Evidence["other_refunds"], r.Evidence["refunds"])
			return
		}
		var last time.Time
		for i, d := range detail {
			filled, _ := d["filled_at"].(time.Time)
			if d["refund_id"] != ids[i] || filled.Before(last) {
				t.Errorf("%s: refunds %v are not other_refunds %v in filling order", r.Rule, detail, ids)
			}
			last = filled
		}
	default:
		// The rest of the catalogue: every list of names is sorted, without
		// duplicates; lists of objects are checked by the fixtures' order.
		for key, v := range r.Evidence {
			if list, ok := v.([]string); ok && (!slices.IsSorted(list) || len(slices.Compact(slices.Clone(list))) != len(list)) {
				t.Errorf("%s: evidence %q = %v, want sorted without duplicates", r.Rule, key, list)
			}
		}
	}
}

func codes(a rules.Assessment) []string {
	out := []string{}
	for _, r := range a.Reasons {
		out = append(out, r.Rule)
	}
	slices.Sort(out)
	return out
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %#v: %v", v, err)
	}
	return string(b)
}

// jsonForm is v as it reads once marshalled, so int64(35) and the fixture's
// 35 compare equal, and so do []event.ItemRef and a fixture's list of objects.
func jsonForm(t *testing.T, v any) any {
	t.Helper()
	var out any
	if err := json.Unmarshal([]byte(jsonText(t, v)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// mentions reports whether fact occurs in text as a whole token: "35" is not
// named by "1350", nor "R1001" by "R10011".
func mentions(text, fact string) bool {
	word := func(i int) bool {
		if i < 0 || i >= len(text) {
			return false
		}
		b := text[i]
		return '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
	}
	for from := 0; ; {
		i := strings.Index(text[from:], fact)
		if i < 0 {
			return false
		}
		start := from + i
		if !word(start-1) && !word(start+len(fact)) {
			return true
		}
		from = start + 1
	}
}

// ---- case constructors ---------------------------------------------------

func item(sku string, qty, unitGrams int64) event.Item {
	return event.Item{SKUID: sku, ProductID: "P-" + sku, Title: sku, Quantity: qty, UnitPriceMinor: 29900, UnitWeightG: unitGrams}
}

func ref(sku string, qty int64) event.ItemRef { return event.ItemRef{SKUID: sku, Quantity: qty} }

func order(id, buyer string, items ...event.Item) *event.Order {
	o := &event.Order{
		Meta:    event.Meta{EventID: "o-" + id, ShopID: "shop-1", OccurredAt: at(2, 18, 0)},
		OrderID: id, BuyerID: buyer, Status: "signed", CreatedAt: at(1, 9, 58), Items: items, Currency: "CNY",
	}
	for _, it := range items {
		o.AmountMinor += it.Quantity * it.UnitPriceMinor
	}
	return o
}

type refundOpt func(*event.Refund)

// refund is a return-and-refund of the whole order, with nothing filled in yet.
func refund(id string, o *event.Order, opts ...refundOpt) *event.Refund {
	r := &event.Refund{
		Meta:     event.Meta{EventID: "r-" + id, ShopID: o.ShopID, OccurredAt: at(4, 9, 0)},
		RefundID: id, OrderID: o.OrderID, BuyerID: o.BuyerID,
		RefundKind: "return_refund", Reason: "no_reason", Status: "returned",
		RequestedAt: at(4, 9, 0), AmountMinor: o.AmountMinor,
	}
	for _, opt := range opts {
		opt(r)
	}
	return r
}

func waybill(no string, filled time.Time) refundOpt {
	return func(r *event.Refund) {
		r.ReturnShipment = &event.ReturnShipment{Carrier: "YTO", TrackingNo: no, FilledAt: filled}
	}
}

func claims(refs ...event.ItemRef) refundOpt { return func(r *event.Refund) { r.Items = refs } }

func refundOnly(r *event.Refund) {
	r.RefundKind, r.Reason, r.ReturnShipment = "refund_only", "not_received", nil
}

func parcel(no string, grams int64) *rules.Parcel {
	return &rules.Parcel{TrackingNo: no, Carrier: "YTO", Status: "signed", WeightG: &grams}
}

func inspected(p *rules.Parcel, outcome, note string, received ...event.ItemRef) *rules.Parcel {
	p.Inspection = &event.Inspection{Outcome: outcome, ItemsReceived: received, InspectedAt: at(12, 14, 0), Note: note}
	return p
}

// returned is the usual case: one refund, its order and the parcel on its waybill.
func returned(o *event.Order, r *event.Refund, p *rules.Parcel) rules.Case {
	if p != nil && r.ReturnShipment == nil {
		waybill(p.TrackingNo, at(5, 10, 0))(r)
	}
	return rules.Case{Refund: r, Order: o, Parcel: p}
}

type assessCase struct {
	name string
	c    rules.Case
	want want
	cfg  *rules.Config // nil: rules.Defaults()
}

func (tc assessCase) config() rules.Config {
	if tc.cfg != nil {
		return *tc.cfg
	}
	return rules.Defaults()
}

// parcelCases are the single-refund cases, built in Go: a refund, its order and
// the parcel on its waybill.
func parcelCases() []assessCase {
	const yt = "YT8800000000001"
	coat := func() *event.Order { return order("T100", "tb_amy", item("COAT", 1, 1450)) }
	twoCoats := func() *event.Order { return order("T101", "tb_amy", item("COAT", 2, 1450)) }
	coatAndTrousers := func() *event.Order {
		return order("T102", "tb_amy", item("COAT", 1, 1450), item("TROUSERS", 2, 600))
	}
	emptyParcel := func(measured, expected int64) wantReason {
		return wantReason{Rule: rules.EmptyParcel, Severity: "critical",
			Evidence: map[string]any{"tracking_no": yt, "measured_g": measured, "expected_g": expected, "floor_g": 50},
			Mentions: []string{yt, fmt.Sprint(measured), fmt.Sprint(expected)}}
	}
	lowWeight := func(measured, expected, allowance int64, pct int) wantReason {
		return wantReason{Rule: rules.LowWeightReturn, Severity: "high",
			Evidence: map[string]any{"tracking_no": yt, "measured_g": measured, "expected_g": expected,
				"packaging_allowance_g": allowance, "ratio": float64(pct) / 100},
			Mentions: []string{yt, fmt.Sprint(measured), fmt.Sprint(expected), fmt.Sprint(pct)}}
	}
	inspectionFailed := func(evidence map[string]any, absent ...string) wantReason {
		evidence["tracking_no"] = yt
		return wantReason{Rule: rules.InspectionFailed, Severity: "critical",
			Evidence: evidence, AbsentEvidence: absent, Mentions: []string{yt}}
	}
	block := func(score int, rs ...wantReason) want {
		return want{Decision: rules.Block, Score: [2]int{score, score}, Reasons: rs}
	}
	review := func(score int, rs ...wantReason) want {
		return want{Decision: rules.Review, Score: [2]int{score, score}, Reasons: rs}
	}
	with := func(make func() *event.Order, opts ...refundOpt) (*event.Order, *event.Refund) {
		o := make()
		return o, refund("R100", o, opts...)
	}
	var cases []assessCase
	add := func(name string, c rules.Case, w want) { cases = append(cases, assessCase{name: name, c: c, want: w}) }

	// tracking_reused needs other refunds: see the fixtures. Its honest base case:
	o, r := with(coat)
	add("tracking_reused/honest: the only refund on its waybill", returned(o, r, parcel(yt, 1580)), approve())

	// empty_parcel
	o, r = with(coat)
	add("empty_parcel: a 1450 g coat in a 35 g parcel", returned(o, r, parcel(yt, 35)), block(90, emptyParcel(35, 1450)))
	o, r = with(twoCoats)
	add("empty_parcel: 250 g is above the floor but under 10 % of two coats", returned(o, r, parcel(yt, 250)), block(90, emptyParcel(250, 2900)))
	o, r = with(func() *event.Order { return order("T103", "tb_amy", item("BOOK", 1, 300)) })
	add("empty_parcel: a 300 g book in a 45 g parcel, under the 50 g floor", returned(o, r, parcel(yt, 45)), block(90, emptyParcel(45, 300)))
	o, r = with(func() *event.Order { return order("T104", "tb_amy", item("COAT", 1, 1450), item("GIFT", 1, 0)) }, claims(ref("COAT", 1)))
	add("empty_parcel: the claimed coat has a weight, the unclaimed gift none", returned(o, r, parcel(yt, 35)), block(90, emptyParcel(35, 1450)))
	o, r = with(func() *event.Order { return order("T105", "tb_amy", item("EARRINGS", 1, 15)) })
	add("empty_parcel/honest: 15 g earrings in a 35 g parcel", returned(o, r, parcel(yt, 35)), approve())
	o, r = with(coat)
	p := parcel(yt, 0)
	p.WeightG = nil
	add("empty_parcel/honest: parcel not weighed yet", returned(o, r, p), approve())
	o, r = with(func() *event.Order { return order("T106", "tb_amy", item("COAT", 1, 0)) })
	add("empty_parcel/honest: catalogue weight unknown", returned(o, r, parcel(yt, 35)), approve())
	o, r = with(func() *event.Order { return order("T107", "tb_amy", item("COAT", 1, 1450), item("GIFT", 1, 0)) })
	add("empty_parcel/honest: a claimed line has no catalogue weight", returned(o, r, parcel(yt, 35)), approve())
	o, r = with(coat, refundOnly)
	p = parcel(yt, 35)
	p.RefundID = r.RefundID
	add("empty_parcel/honest: refund_only returns nothing to weigh", rules.Case{Refund: r, Order: o, Parcel: p}, approve())
	_, r = with(coat)
	add("empty_parcel/honest: the order has not arrived, nothing to compare", returned(nil, r, parcel(yt, 35)), approve())

	// low_weight_return
	o, r = with(twoCoats)
	add("low_weight_return: two coats (2900 g) claimed, parcel 1600 g", returned(o, r, parcel(yt, 1600)), review(60, lowWeight(1600, 2900, 50, 53)))
	o, r = with(func() *event.Order { return order("T108", "tb_amy", item("TEE", 1, 200)) })
	add("low_weight_return: packaging allowance capped at 20 % of a 140 g parcel", returned(o, r, parcel(yt, 140)), review(60, lowWeight(140, 200, 28, 56)))
	o, r = with(coat)
	add("low_weight_return/honest: a 1450 g coat in a 1575 g parcel", returned(o, r, parcel(yt, 1575)), approve())
	o, r = with(func() *event.Order { return order("T109", "tb_amy", item("DUVET", 1, 2500)) })
	add("low_weight_return/honest: scale reads 4 % under a 2500 g duvet", returned(o, r, parcel(yt, 2400)), approve())
	o, r = with(twoCoats, claims(ref("COAT", 1)))
	add("low_weight_return/honest: one coat of two returned, one claimed", returned(o, r, parcel(yt, 1500)), approve())
	// A 60 g scarf in a 30 g parcel cannot hold the scarf, yet nothing fires:
	// low_weight_return leaves goods under min_expected_g (100 g) alone, and
	// empty_parcel's floor needs the parcel under *half* the goods (2×30 = 60
	// is not < 60). It is the edge of the floor rule: one gram less blocks.
	o, r = with(func() *event.Order { return order("T110", "tb_amy", item("SCARF", 1, 60)) })
	add("low_weight_return/honest: a 60 g scarf in a 30 g parcel is below min_expected_g", returned(o, r, parcel(yt, 30)), approve())
	o, r = with(func() *event.Order { return order("T111", "tb_amy", item("SCARF", 1, 60)) })
	add("empty_parcel: a 60 g scarf in a 29 g parcel is under half of it", returned(o, r, parcel(yt, 29)), block(90, emptyParcel(29, 60)))

	// inspection_failed
	o, r = with(coat)
	add("inspection_failed: empty, and 30 g: weight rules stay silent", returned(o, r, inspected(parcel(yt, 30), "empty", "")),
		block(90, inspectionFailed(map[string]any{
			"outcome": "empty", "items_claimed": []event.ItemRef{ref("COAT", 1)}, "items_received": []event.ItemRef{},
			"items_missing": []event.ItemRef{ref("COAT", 1)}, "inspected_at": "2026-11-12T14:00:00+08:00",
		}, "note")))
	o, r = with(coatAndTrousers)
	add("inspection_failed: missing_items, one pair of trousers short",
		returned(o, r, inspected(parcel(yt, 2100), "missing_items", "只收到一条裤子", ref("COAT", 1), ref("TROUSERS", 1))),
		block(90, inspectionFailed(map[string]any{
			"outcome": "missing_items", "items_claimed": []event.ItemRef{ref("COAT", 1), ref("TROUSERS", 2)},
			"items_received": []event.ItemRef{ref("COAT", 1), ref("TROUSERS", 1)},
			"items_missing":  []event.ItemRef{ref("TROUSERS", 1)}, "note": "只收到一条裤子",
		})))
	o, r = with(coatAndTrousers, claims(ref("TROUSERS", 2)))
	add("inspection_failed: missing_items counts the refund's own claim, not the whole order",
		returned(o, r, inspected(parcel(yt, 700), "missing_items", "", ref("TROUSERS", 1))),
		block(90, inspectionFailed(map[string]any{
			"items_claimed": []event.ItemRef{ref("TROUSERS", 2)}, "items_missing": []event.ItemRef{ref("TROUSERS", 1)},
		})))
	o, r = with(func() *event.Order { return order("T112", "tb_amy", item("COAT", 1, 1450), item("COAT", 1, 1450)) })
	add("inspection_failed: missing_items, one coat received for two order lines of the same SKU",
		returned(o, r, inspected(parcel(yt, 1550), "missing_items", "", ref("COAT", 1))),
		block(90, inspectionFailed(map[string]any{"items_missing": []event.ItemRef{ref("COAT", 1)}})))
	o, r = with(coat)
	add("inspection_failed: swapped for a fake of the same SKU (以假充真)",
		returned(o, r, inspected(parcel(yt, 1500), "swapped", "吊牌与本店不符,仿品", ref("COAT", 1))),
		block(90, inspectionFailed(map[string]any{"outcome": "swapped", "note": "吊牌与本店不符,仿品"}, "items_missing")))
	o, r = with(coat)
	add("inspection_failed/honest: ok", returned(o, r, inspected(parcel(yt, 1540), "ok", "", ref("COAT", 1))), approve())
	o, r = with(coat)
	add("inspection_failed/honest: damaged goods came back", returned(o, r, inspected(parcel(yt, 1540), "damaged", "袖口开线", ref("COAT", 1))), approve())
	return cases
}

// ---- fixtures --------------------------------------------------------------

// world is one fixture: the refunds, orders and parcel around a waybill or an
// address, and what the assessment of each listed refund must be. The case of
// a refund is built as the service builds it: its order, the parcel on its
// waybill (or linked to it by the warehouse), and the other refunds naming
// that waybill with their orders.
//
// The history, linked orders and messages of a refund are built the same way:
// the refunds and orders of its own account and of the accounts in the links
// (history, linked orders), and the messages of its buyer. What the store
// knows beyond the fixture's refunds goes in history; sender links and
// offenses are given per refund; now is the shop clock; config is the shop's
// setup over the defaults.
type world struct {
	Description  string                           `json:"description"`
	Config       *shopSetup                       `json:"config"`
	Now          time.Time                        `json:"now"`
	Orders       []*event.Order                   `json:"orders"`
	Refunds      []*event.Refund                  `json:"refunds"`
	Parcel       *parcelJSON                      `json:"parcel"`
	AddressLinks []rules.Link                     `json:"address_links"`
	PhoneLinks   []rules.Link                     `json:"phone_links"`
	BuyerRefunds map[string][]string              `json:"buyer_refunds"`
	History      map[string][]rules.RefundSummary `json:"history"`
	Messages     []*event.Message                 `json:"messages"`
	SenderLinks  map[string][]rules.SenderLink    `json:"sender_links"` // by refund id
	Offenses     map[string][]rules.Offense       `json:"offenses"`     // by refund id
	Want         map[string]want                  `json:"want"`         // by refund id
}

// shopSetup is what a shop configures about itself, plus rule overrides.
type shopSetup struct {
	Warehouses       []event.Address `json:"warehouses"`
	AcceptedCarriers []string        `json:"accepted_carriers"`
}

type parcelJSON struct {
	TrackingNo string            `json:"tracking_no"`
	Carrier    string            `json:"carrier"`
	Status     string            `json:"status"`
	RefundID   string            `json:"refund_id"`
	WeightG    *int64            `json:"weight_g"`
	Sender     *event.Address    `json:"sender"`
	Recipient  *event.Address    `json:"recipient"`
	Inspection *event.Inspection `json:"inspection"`
}

func (w *world) config() *rules.Config {
	if w.Config == nil {
		return nil
	}
	cfg := rules.Defaults()
	cfg.Warehouses, cfg.AcceptedCarriers = w.Config.Warehouses, w.Config.AcceptedCarriers
	return &cfg
}

func (w *world) caseFor(t *testing.T, refundID string) rules.Case {
	t.Helper()
	orders := map[string]*event.Order{}
	for _, o := range w.Orders {
		orders[o.OrderID] = o
	}
	i := slices.IndexFunc(w.Refunds, func(r *event.Refund) bool { return r.RefundID == refundID })
	if i < 0 {
		t.Fatalf("want names refund %s, which the fixture does not hold", refundID)
	}
	r := w.Refunds[i]
	c := rules.Case{Refund: r, Order: orders[r.OrderID], AddressLinks: w.AddressLinks, PhoneLinks: w.PhoneLinks, BuyerRefunds: w.BuyerRefunds,
		Now: w.Now, SenderLinks: w.SenderLinks[r.RefundID], Offenses: w.Offenses[r.RefundID]}
	linked := map[string]bool{r.BuyerID: true}
	for _, l := range slices.Concat(w.AddressLinks, w.PhoneLinks) {
		linked[l.BuyerID] = true
	}
	for _, o := range w.Orders {
		if linked[o.BuyerID] && o.OrderID != r.OrderID {
			c.LinkedOrders = append(c.LinkedOrders, o)
		}
	}
	for _, o := range w.Refunds {
		if linked[o.BuyerID] {
			if c.History == nil {
				c.History = map[string][]rules.RefundSummary{}
			}
			c.History[o.BuyerID] = append(c.History[o.BuyerID], rules.RefundSummary{RefundID: o.RefundID, OrderID: o.OrderID,
				Kind: o.RefundKind, Reason: o.Reason, Status: o.Status, RequestedAt: o.RequestedAt})
		}
	}
	for buyer, rs := range w.History {
		if linked[buyer] {
			if c.History == nil {
				c.History = map[string][]rules.RefundSummary{}
			}
			c.History[buyer] = append(c.History[buyer], rs...)
		}
	}
	for _, m := range w.Messages {
		if m.BuyerID == r.BuyerID {
			c.Messages = append(c.Messages, m)
		}
	}
	if r.ReturnShipment != nil {
		for _, o := range w.Refunds {
			if o != r && o.ReturnShipment != nil && sameWaybill(o.ReturnShipment.TrackingNo, r.ReturnShipment.TrackingNo) {
				c.WaybillRefunds = append(c.WaybillRefunds, rules.Related{Refund: o, Order: orders[o.OrderID]})
			}
		}
	}
	if p := w.Parcel; p != nil && (p.RefundID == r.RefundID || r.ReturnShipment != nil && sameWaybill(r.ReturnShipment.TrackingNo, p.TrackingNo)) {
		c.Parcel = &rules.Parcel{TrackingNo: p.TrackingNo, Carrier: p.Carrier, Status: p.Status, RefundID: p.RefundID, WeightG: p.WeightG,
			Sender: p.Sender, Recipient: p.Recipient, Inspection: p.Inspection}
	}
	return c
}

// sameWaybill compares waybill numbers as the store does: normalized.
func sameWaybill(a, b string) bool {
	na := rules.NormalizeTracking(a)
	return na != "" && na == rules.NormalizeTracking(b)
}

func fixtureCases(t *testing.T) []assessCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "assess", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures under testdata/assess: %v", err)
	}
	var cases []assessCase
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var w world
		if err := dec.Decode(&w); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if w.Description == "" || len(w.Want) == 0 {
			t.Fatalf("%s: a fixture needs a description and at least one wanted assessment", file)
		}
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		for _, id := range slices.Sorted(func(yield func(string) bool) {
			for id := range w.Want {
				if !yield(id) {
					return
				}
			}
		}) {
			wr := w.Want[id]
			if wr.Decision == "" {
				t.Fatalf("%s: want %s has no decision", file, id)
			}
			cases = append(cases, assessCase{name: name + "/" + id, c: w.caseFor(t, id), want: wr, cfg: w.config()})
		}
	}
	return cases
}

func allCases(t *testing.T) []assessCase {
	return slices.Concat(parcelCases(), catalogueCases(), fixtureCases(t))
}

// ---- tests ---------------------------------------------------------------

func TestAssess(t *testing.T) {
	for _, tc := range allCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			got := rules.Assess(tc.c, tc.config(), now)
			checkAssessment(t, tc.c, got, tc.want)
		})
	}
}

// The uses of one waybill reach the service in any order; the assessment of a
// refund must not depend on it.
func TestAssessWaybillRefundsOrderIndependent(t *testing.T) {
	tested := 0
	for _, tc := range fixtureCases(t) {
		if len(tc.c.WaybillRefunds) < 2 {
			continue
		}
		tested++
		t.Run(tc.name, func(t *testing.T) {
			base := rules.Assess(tc.c, tc.config(), now)
			for _, perm := range permutations(tc.c.WaybillRefunds) {
				c := tc.c
				c.WaybillRefunds = perm
				if got := rules.Assess(c, tc.config(), now); !reflect.DeepEqual(got, base) {
					t.Errorf("with waybill refunds %v:\n got %s\nwant %s", refundIDs(perm), jsonText(t, got), jsonText(t, base))
				}
			}
		})
	}
	if tested < 3 {
		t.Fatalf("only %d fixtures have two or more other refunds on a waybill; the test proves little", tested)
	}
}

func permutations(rs []rules.Related) [][]rules.Related {
	if len(rs) <= 1 {
		return [][]rules.Related{slices.Clone(rs)}
	}
	var out [][]rules.Related
	for i := range rs {
		rest := slices.Concat(rs[:i:i], rs[i+1:])
		for _, p := range permutations(rest) {
			out = append(out, append([]rules.Related{rs[i]}, p...))
		}
	}
	return out
}

func refundIDs(rs []rules.Related) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Refund.RefundID)
	}
	return out
}

// Assess is a pure function: the same case gives the same assessment, also when
// the links, histories, linked orders, sender links, messages and offenses
// come in another order. Map iteration inside Assess is random, so each case
// runs several times.
func TestAssessDeterministic(t *testing.T) {
	for _, tc := range allCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			base := rules.Assess(tc.c, tc.config(), now)
			for range 10 {
				c := tc.c
				c.AddressLinks = reversed(c.AddressLinks)
				c.PhoneLinks = reversed(c.PhoneLinks)
				c.LinkedOrders = reversed(c.LinkedOrders)
				c.SenderLinks = reversed(c.SenderLinks)
				c.Messages = reversed(c.Messages)
				c.Offenses = reversed(c.Offenses)
				if c.History != nil {
					c.History = map[string][]rules.RefundSummary{}
					for b, rs := range tc.c.History {
						c.History[b] = reversed(rs)
					}
				}
				for _, cc := range []rules.Case{tc.c, c} {
					if got := rules.Assess(cc, tc.config(), now); !reflect.DeepEqual(got, base) {
						t.Fatalf("assessments differ:\n%s\n%s", jsonText(t, got), jsonText(t, base))
					}
				}
			}
		})
	}
}

func reversed[T any](s []T) []T {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// firingCases holds one case per rule in which that rule, and only it, fires
// with the defaults and the test shop's setup (shopConfig).
func firingCases() map[string]rules.Case {
	cases := catalogueFiringCases()
	for code, c := range coreFiringCases() {
		cases[code] = c
	}
	return cases
}

// coreFiringCases are the firing cases of the first five rules.
func coreFiringCases() map[string]rules.Case {
	const yt = "YT8800000000002"
	coat := order("T200", "tb_bea", item("COAT", 1, 1450))
	twoCoats := order("T201", "tb_bea", item("COAT", 2, 1450))
	other := order("T202", "tb_cid", item("COAT", 1, 1450))
	first := refund("R201", other, waybill(yt, at(3, 10, 0)))
	second := refund("R200", coat, waybill(yt, at(8, 10, 0)))
	ring := refund("R203", coat)
	return map[string]rules.Case{
		rules.TrackingReused: {Refund: second, Order: coat, WaybillRefunds: []rules.Related{{Refund: first, Order: other}}},
		rules.EmptyParcel:    returned(coat, refund("R200", coat), parcel(yt, 35)),
		rules.InspectionFailed: returned(coat, refund("R200", coat),
			inspected(parcel(yt, 1500), "swapped", "", ref("COAT-FAKE", 1))),
		rules.LowWeightReturn: returned(twoCoats, refund("R202", twoCoats), parcel(yt, 1600)),
		rules.MultiAccountAddress: {Refund: ring, Order: coat,
			AddressLinks: []rules.Link{{OrderID: "T200", BuyerID: "tb_bea"}, {OrderID: "T210", BuyerID: "tb_dan"}, {OrderID: "T211", BuyerID: "tb_eve"}},
			BuyerRefunds: map[string][]string{"tb_dan": {"R210"}}},
	}
}

func TestDisabledRulesDoNotFire(t *testing.T) {
	disable := map[string]func(*rules.Config){
		rules.TrackingReused:      func(c *rules.Config) { c.TrackingReused.Enabled = false },
		rules.EmptyParcel:         func(c *rules.Config) { c.EmptyParcel.Enabled = false },
		rules.InspectionFailed:    func(c *rules.Config) { c.InspectionFailed.Enabled = false },
		rules.LowWeightReturn:     func(c *rules.Config) { c.LowWeightReturn.Enabled = false },
		rules.MultiAccountAddress: func(c *rules.Config) { c.MultiAccountAddress.Enabled = false },
	}
	for code, off := range catalogueSwitches() {
		disable[code] = off
	}
	firing := firingCases()
	for _, code := range rules.Codes {
		t.Run(code, func(t *testing.T) {
			c, ok := firing[code]
			if !ok || disable[code] == nil {
				t.Fatalf("no firing case or switch for rule %s", code)
			}
			if on := rules.Assess(c, shopConfig(), now); !slices.Equal(codes(on), []string{code}) {
				t.Fatalf("enabled: rules = %v, want [%s]", codes(on), code)
			}
			cfg := shopConfig()
			disable[code](&cfg)
			off := rules.Assess(c, cfg, now)
			if slices.Contains(codes(off), code) {
				t.Errorf("disabled %s still fires: %s", code, jsonText(t, off))
			}
			if code == rules.EmptyParcel {
				// The parcel is still far too light: the softer rule takes over.
				if off.Decision != rules.Review || !slices.Equal(codes(off), []string{rules.LowWeightReturn}) {
					t.Errorf("empty_parcel off, a 35 g coat parcel: %s %v, want review [low_weight_return]", off.Decision, codes(off))
				}
			} else if off.Decision != rules.Approve || off.Score != 0 || len(off.Reasons) != 0 {
				t.Errorf("with %s off: %s %d %v, want approve 0 []", code, off.Decision, off.Score, codes(off))
			}
		})
	}
	t.Run("all", func(t *testing.T) {
		cfg := shopConfig()
		for _, off := range disable {
			off(&cfg)
		}
		for code, c := range firing {
			if a := rules.Assess(c, cfg, now); a.Decision != rules.Approve || a.Score != 0 || len(a.Reasons) != 0 {
				t.Errorf("%s case with every rule off: %s %d %v", code, a.Decision, a.Score, codes(a))
			}
		}
	})
}

// The weight rules stand back for a failed inspection because that is "already
// a hard finding". When the shop has switched inspection_failed off, there is
// no such finding, and the scale's evidence must still count.
func TestInspectionOffLeavesWeightRules(t *testing.T) {
	o := order("T300", "tb_fay", item("COAT", 1, 1450))
	c := returned(o, refund("R300", o), inspected(parcel("YT8800000000003", 30), "empty", ""))
	cfg := rules.Defaults()
	cfg.InspectionFailed.Enabled = false
	a := rules.Assess(c, cfg, now)
	if a.Decision != rules.Block || !slices.Equal(codes(a), []string{rules.EmptyParcel}) {
		t.Errorf("coat 1450 g, parcel 30 g inspected empty, inspection_failed off: %s %d %v, want block [empty_parcel]",
			a.Decision, a.Score, codes(a))
	}
}

// A rule's weight, hardness and the thresholds come from the config: they set
// the score, the severity and the decision. (Noisy-OR of two signals is in the
// fixture scoring_two_review_signals.json.)
func TestScoreFollowsConfigWeights(t *testing.T) {
	type outcome struct {
		Decision rules.Decision
		Score    int
		Severity string
	}
	result := func(t *testing.T, c rules.Case, cfg rules.Config) outcome {
		t.Helper()
		a := rules.Assess(c, cfg, now)
		if len(a.Reasons) != 1 {
			t.Fatalf("want one reason, got %v", codes(a))
		}
		return outcome{a.Decision, a.Score, a.Reasons[0].Severity}
	}
	light := firingCases()[rules.LowWeightReturn]
	empty := firingCases()[rules.EmptyParcel]
	tests := []struct {
		name string
		c    rules.Case
		set  func(*rules.Config)
		want outcome
	}{
		{"a weak signal is reported but approved", light, func(c *rules.Config) { c.LowWeightReturn.Weight = 30 },
			outcome{rules.Approve, 30, "low"}},
		{"a soft rule at block_score blocks", light, func(c *rules.Config) { c.LowWeightReturn.Weight, c.BlockScore = 90, 90 },
			outcome{rules.Block, 90, "high"}},
		{"a soft rule just under block_score reviews", light, func(c *rules.Config) { c.LowWeightReturn.Weight, c.BlockScore = 89, 90 },
			outcome{rules.Review, 89, "high"}},
		{"empty_parcel made soft still blocks on its score", empty, func(c *rules.Config) { c.EmptyParcel.Hard = false },
			outcome{rules.Block, 90, "high"}},
		{"empty_parcel soft and light only reviews", empty, func(c *rules.Config) { c.EmptyParcel.Hard, c.EmptyParcel.Weight = false, 50 },
			outcome{rules.Review, 50, "medium"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := rules.Defaults()
			tc.set(&cfg)
			if got := result(t, tc.c, cfg); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// cleanCase is an honest refund: a coat back in a parcel that weighs a coat.
func cleanCase() rules.Case {
	o := order("T400", "tb_gus", item("COAT", 1, 1450))
	return returned(o, refund("R400", o), parcel("YT8800000000004", 1560))
}

func TestAssessStamps(t *testing.T) {
	c := cleanCase()
	cfg := rules.Defaults()
	cfg.Version = "2026-11-20.3"
	when := time.Date(2026, time.December, 1, 8, 30, 0, 0, cst)
	a := rules.Assess(c, cfg, when)
	if a.RulesetVersion != "2026-11-20.3" || !a.AssessedAt.Equal(when) {
		t.Errorf("stamped %q %v, want the config's version and %v", a.RulesetVersion, a.AssessedAt, when)
	}
	if a.Reasons == nil || len(a.Reasons) != 0 || a.Decision != rules.Approve || a.Score != 0 {
		t.Errorf("clean refund: %s %d %#v, want approve 0 and an empty, non-nil reasons", a.Decision, a.Score, a.Reasons)
	}
	b := jsonText(t, a)
	for _, part := range []string{`"reasons":[]`, `"assessed_at":"2026-12-01T08:30:00+08:00"`, `"ruleset_version":"2026-11-20.3"`, `"decision":"approve"`, `"score":0`} {
		if !strings.Contains(b, part) {
			t.Errorf("JSON %s lacks %s", b, part)
		}
	}
}

func assessmentSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	const path = "../testdata/schemas/assessment.schema.json"
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(path, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, v any) error {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(jsonText(t, v)))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(doc)
}

func TestAssessmentMatchesSchema(t *testing.T) {
	sch := assessmentSchema(t)
	for _, tc := range allCases(t) {
		a := rules.Assess(tc.c, tc.config(), now)
		if err := validate(t, sch, a); err != nil {
			t.Errorf("%s: %s\n%v", tc.name, jsonText(t, a), err)
		}
	}
	// The schema does catch what Assess must never produce.
	clean := rules.Assess(cleanCase(), rules.Defaults(), now)
	nilReasons := clean
	nilReasons.Reasons = nil
	blocked := rules.Assess(firingCases()[rules.EmptyParcel], rules.Defaults(), now)
	noZH := blocked
	noZH.Reasons = slices.Clone(blocked.Reasons)
	noZH.Reasons[0].Message.ZH = ""
	for name, bad := range map[string]rules.Assessment{"reasons null": nilReasons, "empty zh message": noZH} {
		if err := validate(t, sch, bad); err == nil {
			t.Errorf("%s: schema accepted %s", name, jsonText(t, bad))
		}
	}
}
