package rules_test

// Table tests for the rules past the first five: each fires on its pattern and
// stays silent on its honest look-alikes. Richer worlds are fixtures under
// testdata/assess/.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

// ---- the test shop ---------------------------------------------------------

var (
	warehouse = event.Address{Name: "售后仓", Phone: "0571-88880000", Province: "浙江省", City: "杭州市", District: "余杭区", Address: "仓前街道良睦路1号退货仓"}
	home      = event.Address{Name: "张丽", Phone: "138 0013 8000", Province: "浙江省", City: "杭州市", District: "西湖区", Address: "文三路100号3幢201室"}
	shenzhen  = event.Address{Name: "李强", Phone: "+86 139-0000-1111", Province: "广东", City: "深圳", District: "南山区", Address: "科技园南区８栋１０１"}
)

// shopConfig is the defaults with the test shop's setup: one return warehouse
// in Hangzhou and five accepted couriers.
func shopConfig() rules.Config {
	cfg := rules.Defaults()
	cfg.Warehouses = []event.Address{warehouse}
	cfg.AcceptedCarriers = []string{"SF", "YTO", "ZTO", "JD", "EMS"}
	return cfg
}

func shopCfg() *rules.Config { c := shopConfig(); return &c }

// ---- constructors ------------------------------------------------------------

func variant(product, sku string, grams int64) event.Item {
	return event.Item{SKUID: sku, ProductID: product, Title: sku, Quantity: 1, UnitPriceMinor: 2900, UnitWeightG: grams}
}

func to(o *event.Order, a event.Address) *event.Order { o.Receiver = &a; return o }

func createdAt(o *event.Order, t time.Time, status string) *event.Order {
	o.CreatedAt, o.Status = t, status
	return o
}

func signed(o *event.Order, grams int64, by string, when time.Time, exception bool) *event.Order {
	o.Shipment = &event.Shipment{Carrier: "ZTO", TrackingNo: "75123456789012", WeightG: &grams, ShippedAt: when.Add(-30 * time.Hour),
		SignedAt: when, SignedBy: by, SignedWithException: exception}
	return o
}

func reason(why string) refundOpt { return func(r *event.Refund) { r.Reason = why } }
func kind(k string) refundOpt     { return func(r *event.Refund) { r.RefundKind = k } }
func status(s string) refundOpt   { return func(r *event.Refund) { r.Status = s } }
func requested(t time.Time) refundOpt {
	return func(r *event.Refund) { r.RequestedAt = t }
}
func feeClaim(minor int64) refundOpt {
	return func(r *event.Refund) { r.ShippingFeeClaimMinor = minor }
}
func shipment(carrier, no string, filled time.Time) refundOpt {
	return func(r *event.Refund) {
		r.ReturnShipment = &event.ReturnShipment{Carrier: carrier, TrackingNo: no, FilledAt: filled}
	}
}

func past(id, orderID, kind, why, st string, when time.Time) rules.RefundSummary {
	return rules.RefundSummary{RefundID: id, OrderID: orderID, Kind: kind, Reason: why, Status: st, RequestedAt: when}
}

func msg(id, buyer, channel, text, orderID string, when time.Time) *event.Message {
	return &event.Message{Meta: event.Meta{EventID: "m-" + id, ShopID: "shop-1", OccurredAt: when},
		MessageID: id, BuyerID: buyer, Channel: channel, Text: text, OrderID: orderID}
}

// sent is a scanned return parcel of the given carrier, from and to addresses.
func sent(no, carrier string, grams int64, from, recipient *event.Address) *rules.Parcel {
	p := parcel(no, grams)
	p.Carrier, p.Status, p.Sender, p.Recipient = carrier, "in_transit", from, recipient
	return p
}

func addr(a event.Address) *event.Address { return &a }

func links(pairs ...string) []rules.Link {
	var out []rules.Link
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, rules.Link{OrderID: pairs[i], BuyerID: pairs[i+1]})
	}
	return out
}

func reviewAt(score int, rs ...wantReason) want {
	return want{Decision: rules.Review, Score: [2]int{score, score}, Reasons: rs}
}

func approveWith(score int, rs ...wantReason) want {
	return want{Decision: rules.Approve, Score: [2]int{score, score}, Reasons: rs}
}

func blockAt(score int, rs ...wantReason) want {
	return want{Decision: rules.Block, Score: [2]int{score, score}, Reasons: rs}
}

// ---- firing cases ----------------------------------------------------------

// catalogueFiringCases: one case per rule in which that rule alone fires with
// shopConfig().
func catalogueFiringCases() map[string]rules.Case {
	cs := map[string]rules.Case{}
	for _, tc := range catalogueCases() {
		code, rest, _ := strings.Cut(tc.name, ": ")
		if rest == "" || strings.Contains(code, "/") || len(tc.want.Reasons) != 1 || tc.want.Reasons[0].Rule != code {
			continue
		}
		if _, done := cs[code]; !done && tc.want.Decision != rules.Approve {
			cs[code] = tc.c
		}
	}
	return cs
}

func catalogueSwitches() map[string]func(*rules.Config) {
	return map[string]func(*rules.Config){
		rules.ReturnSenderShared:      func(c *rules.Config) { c.ReturnSenderShared.Enabled = false },
		rules.WrongItemSKUSwap:        func(c *rules.Config) { c.WrongItemSKUSwap.Enabled = false },
		rules.UnacceptedCarrier:       func(c *rules.Config) { c.UnacceptedCarrier.Enabled = false },
		rules.TrackingInvalid:         func(c *rules.Config) { c.TrackingInvalid.Enabled = false },
		rules.ReturnMisaddressed:      func(c *rules.Config) { c.ReturnMisaddressed.Enabled = false },
		rules.OrderContactAnomaly:     func(c *rules.Config) { c.OrderContactAnomaly.Enabled = false },
		rules.OrderBurst:              func(c *rules.Config) { c.OrderBurst.Enabled = false },
		rules.RefundOnlyAbuse:         func(c *rules.Config) { c.RefundOnlyAbuse.Enabled = false },
		rules.MissingItemContradicted: func(c *rules.Config) { c.MissingItem.Enabled = false },
		rules.ShippingFeeInflated:     func(c *rules.Config) { c.ShippingFeeInflated.Enabled = false },
		rules.StockoutClaimAbuse:      func(c *rules.Config) { c.StockoutClaimAbuse.Enabled = false },
		rules.ExtortionMessage:        func(c *rules.Config) { c.ExtortionMessage.Enabled = false },
		rules.KnownOffender:           func(c *rules.Config) { c.KnownOffender.Enabled = false },
	}
}

// ---- the cases -------------------------------------------------------------

// catalogueCases are named "<rule>: …" when the rule fires and
// "<rule>/honest: …" for a look-alike that must not fire. All run with the
// test shop's setup unless they say otherwise.
func catalogueCases() []assessCase {
	var cases []assessCase
	add := func(name string, c rules.Case, w want) {
		cases = append(cases, assessCase{name: name, c: c, want: w, cfg: shopCfg()})
	}
	addWith := func(name string, cfg rules.Config, c rules.Case, w want) {
		cases = append(cases, assessCase{name: name, c: c, want: w, cfg: &cfg})
	}
	senderCases(add)
	swapCases(add)
	carrierCases(add, addWith)
	trackingCases(add, addWith)
	misaddressedCases(add, addWith)
	contactCases(add)
	burstCases(add)
	refundOnlyCases(add)
	missingItemCases(add)
	feeCases(add, addWith)
	stockoutCases(add)
	extortionCases(add)
	offenderCases(add)
	return cases
}

type adder func(name string, c rules.Case, w want)

type adderWith func(name string, cfg rules.Config, c rules.Case, w want)

func senderCases(add adder) {
	const no = "YT8800000000500"
	base := func(sender event.Address, ls ...rules.SenderLink) rules.Case {
		o := order("T500", "tb_bea", item("COAT", 1, 1450))
		c := returned(o, refund("R500", o), sent(no, "YTO", 1580, &sender, addr(warehouse)))
		c.SenderLinks = ls
		return c
	}
	link := func(n int, buyer, match string) rules.SenderLink {
		return rules.SenderLink{TrackingNo: fmt.Sprintf("YT88000000005%02d", n), RefundID: fmt.Sprintf("R5%02d", n), BuyerID: buyer, Match: match}
	}
	shared := func(weight int, severity string, accounts []string, waybills []string, refunds []string, match ...string) wantReason {
		return wantReason{Rule: rules.ReturnSenderShared, Severity: severity,
			Evidence: map[string]any{"matched_by": match, "accounts": accounts, "waybills": waybills, "refunds": refunds},
			Mentions: []string{fmt.Sprint(len(accounts)), waybills[0]}}
	}
	add("return_sender_shared: three accounts' returns from one phone",
		base(home, link(1, "tb_cat", "phone"), link(2, "tb_dan", "phone")),
		reviewAt(45, shared(45, "medium", []string{"tb_bea", "tb_cat", "tb_dan"},
			[]string{no, "YT8800000000501", "YT8800000000502"}, []string{"R500", "R501", "R502"}, "phone")))
	add("return_sender_shared: same name and address behind three accounts, listed twice",
		base(home, link(3, "tb_cat", "name_address"), link(4, "tb_dan", "name_address"), link(4, "tb_dan", "name_address")),
		reviewAt(45, shared(45, "medium", []string{"tb_bea", "tb_cat", "tb_dan"},
			[]string{no, "YT8800000000503", "YT8800000000504"}, []string{"R500", "R503", "R504"}, "name_address")))
	add("return_sender_shared/honest: a couple sending each other's returns is only a weak signal",
		base(home, link(5, "tb_cat", "phone")),
		approveWith(20, shared(20, "low", []string{"tb_bea", "tb_cat"}, []string{no, "YT8800000000505"}, []string{"R500", "R505"}, "phone")))
	add("return_sender_shared/honest: the buyer's own earlier returns",
		base(home, link(6, "tb_bea", "phone"), link(7, "tb_bea", "name_address")), approve())
	masked := home
	masked.Phone = "138****8000"
	add("return_sender_shared/honest: a masked sender phone links nobody",
		base(masked, link(8, "tb_cat", "phone"), link(9, "tb_dan", "phone")), approve())
	var station []rules.SenderLink
	for i := range 11 {
		station = append(station, link(10+i, fmt.Sprintf("tb_s%02d", i), "phone"))
	}
	add("return_sender_shared/honest: a parcel station sending for twelve accounts is a hub", base(home, station...), approve())
	add("return_sender_shared/honest: the other refund names this very parcel (tracking_reused's business)",
		base(home, rules.SenderLink{TrackingNo: no, RefundID: "R599", BuyerID: "tb_cat", Match: "phone"},
			rules.SenderLink{TrackingNo: no, RefundID: "R598", BuyerID: "tb_dan", Match: "phone"}), approve())
}

func swapCases(add adder) {
	cs := func(sku string) event.Item { return variant("P-CASE", sku, 40) }
	own := func(why string) (*event.Order, *event.Refund) {
		o := order("T510", "tb_amy", cs("CASE-IP15"))
		return o, refund("R510", o, reason(why), status("requested"), requested(at(8, 10, 0)))
	}
	world := func(o *event.Order, r *event.Refund, others ...*event.Order) rules.Case {
		c := rules.Case{Refund: r, Order: o, AddressLinks: links("T510", "tb_amy"), History: map[string][]rules.RefundSummary{}}
		for _, x := range others {
			c.AddressLinks = append(c.AddressLinks, rules.Link{OrderID: x.OrderID, BuyerID: x.BuyerID})
			c.LinkedOrders = append(c.LinkedOrders, x)
		}
		return c
	}
	claim := func(c rules.Case, buyer, id, orderID, why, st string, when time.Time) rules.Case {
		c.History[buyer] = append(c.History[buyer], past(id, orderID, "return_refund", why, st, when))
		return c
	}
	ben := order("T511", "tb_ben", cs("CASE-IP16"))
	cai := order("T512", "tb_cai", cs("CASE-IP16PM"))
	swap := func(severity string, accounts, skus, refunds []string) wantReason {
		return wantReason{Rule: rules.WrongItemSKUSwap, Severity: severity,
			Evidence: map[string]any{"product_id": "P-CASE", "accounts": accounts, "skus": skus, "refunds": refunds},
			Mentions: append([]string{fmt.Sprint(len(accounts)), "P-CASE"}, refunds...)}
	}

	o, r := own("wrong_item")
	c := claim(world(o, r, ben), "tb_ben", "R511", "T511", "wrong_item", "requested", at(6, 9, 0))
	add("wrong_item_sku_swap: two linked accounts, two SKUs of one case, each says the wrong one came", c,
		reviewAt(55, swap("medium", []string{"tb_amy", "tb_ben"}, []string{"CASE-IP15", "CASE-IP16"}, []string{"R510", "R511"})))

	o, r = own("wrong_item")
	c = world(o, r, ben, cai)
	c = claim(c, "tb_ben", "R511", "T511", "wrong_item", "refunded", at(6, 9, 0))
	c = claim(c, "tb_cai", "R512", "T512", "wrong_item", "rejected", at(7, 9, 0))
	add("wrong_item_sku_swap: three accounts, three SKUs: blocked", c,
		blockAt(85, swap("critical", []string{"tb_amy", "tb_ben", "tb_cai"}, []string{"CASE-IP15", "CASE-IP16", "CASE-IP16PM"},
			[]string{"R510", "R511", "R512"})))

	o, r = own("wrong_item")
	sameSKU := order("T513", "tb_ben", cs("CASE-IP15"))
	add("wrong_item_sku_swap/honest: a linked account with the same SKU also got a wrong one (a mis-shipped batch)",
		claim(world(o, r, sameSKU), "tb_ben", "R513", "T513", "wrong_item", "requested", at(6, 9, 0)), approve())
	o, r = own("wrong_item")
	add("wrong_item_sku_swap/honest: the linked account complained about quality, not a wrong item",
		claim(world(o, r, ben), "tb_ben", "R511", "T511", "quality", "requested", at(6, 9, 0)), approve())
	o, r = own("wrong_item")
	add("wrong_item_sku_swap/honest: the linked claim was withdrawn",
		claim(world(o, r, ben), "tb_ben", "R511", "T511", "wrong_item", "cancelled", at(6, 9, 0)), approve())
	o, r = own("wrong_item")
	add("wrong_item_sku_swap/honest: the linked claim was two months earlier",
		claim(world(o, r, ben), "tb_ben", "R511", "T511", "wrong_item", "refunded", at(8, 10, 0).AddDate(0, -2, 0)), approve())
	o, r = own("quality")
	add("wrong_item_sku_swap/honest: this refund is not a wrong-item claim",
		claim(world(o, r, ben), "tb_ben", "R511", "T511", "wrong_item", "requested", at(6, 9, 0)), approve())
	o, r = own("wrong_item")
	c = claim(world(o, r), "tb_ben", "R511", "T511", "wrong_item", "requested", at(6, 9, 0))
	c.LinkedOrders = []*event.Order{ben} // an order the links do not name: a stranger
	add("wrong_item_sku_swap/honest: an unlinked stranger's claim on another SKU", c, approve())
}

func carrierCases(add adder, addWith adderWith) {
	coat := func() (*event.Order, *event.Refund) {
		o := order("T520", "tb_amy", item("COAT", 1, 1450))
		return o, refund("R520", o)
	}
	unaccepted := func(carrier, no, source string) wantReason {
		return wantReason{Rule: rules.UnacceptedCarrier, Severity: "medium",
			Evidence: map[string]any{"carrier": carrier, "tracking_no": no, "source": source,
				"accepted_carriers": []string{"EMS", "JD", "SF", "YTO", "ZTO"}},
			Mentions: []string{carrier, no}}
	}
	o, r := coat()
	shipment("TTKD", "668123456789", at(5, 10, 0))(r)
	add("unaccepted_carrier: returned with 天天, which the shop does not take",
		rules.Case{Refund: r, Order: o, Parcel: sent("668123456789", "TTKD", 1580, addr(home), addr(warehouse))},
		reviewAt(40, unaccepted("TTKD", "668123456789", "parcel")))
	o, r = coat()
	shipment("天天快递", "668123456789", at(5, 10, 0))(r)
	add("unaccepted_carrier: the buyer typed 天天快递 and no courier record yet",
		rules.Case{Refund: r, Order: o}, reviewAt(40, unaccepted("TTKD", "668123456789", "refund")))
	o, r = coat()
	shipment("顺丰", "SF1402338841207", at(5, 10, 0))(r)
	add("unaccepted_carrier/honest: 顺丰 is SF", rules.Case{Refund: r, Order: o}, approve())
	o, r = coat()
	shipment(" sf ", "SF1402338841207", at(5, 10, 0))(r)
	add("unaccepted_carrier/honest: sf in lower case with spaces", rules.Case{Refund: r, Order: o}, approve())
	o, r = coat()
	shipment("TTKD", "668123456789", at(5, 10, 0))(r)
	addWith("unaccepted_carrier/honest: a shop without an accepted list takes every carrier", rules.Defaults(),
		rules.Case{Refund: r, Order: o, Parcel: sent("668123456789", "TTKD", 1580, addr(home), nil)}, approve())
	o, r = coat()
	refundOnly(r)
	add("unaccepted_carrier/honest: refund only sends nothing back", rules.Case{Refund: r, Order: o}, approve())
}

func trackingCases(add adder, addWith adderWith) {
	filled := at(10, 10, 0)
	coat := func(carrier, no string, opts ...refundOpt) (*event.Order, *event.Refund) {
		o := order("T530", "tb_amy", item("COAT", 1, 1450))
		return o, refund("R530", o, append([]refundOpt{shipment(carrier, no, filled)}, opts...)...)
	}
	invalid := func(no, carrier string, evidence map[string]any, mentions ...string) wantReason {
		evidence["tracking_no"], evidence["carrier"] = no, carrier
		return wantReason{Rule: rules.TrackingInvalid, Severity: "medium", Evidence: evidence, Mentions: append([]string{no}, mentions...)}
	}
	o, r := coat("YTO", "YT75123456")
	add("tracking_invalid: YT and eight digits is not a YTO number", rules.Case{Refund: r, Order: o},
		reviewAt(45, invalid("YT75123456", "YTO", map[string]any{"problems": []string{"format"}, "expected_format": "YT + 10–15 digits"})))
	o, r = coat("YTO", "SF1402338841207")
	add("tracking_invalid: an SF number under YTO", rules.Case{Refund: r, Order: o},
		reviewAt(45, invalid("SF1402338841207", "YTO", map[string]any{"problems": []string{"format"}, "fits_carriers": []string{"SF"}})))
	o, r = coat("ZTO", "000000000000")
	add("tracking_invalid: a placeholder of zeros", rules.Case{Refund: r, Order: o},
		reviewAt(45, invalid("000000000000", "ZTO", map[string]any{"problems": []string{"placeholder"}})))
	o, r = coat("EMS", "EA123456789CN")
	add("tracking_invalid: an S10 number with a wrong check digit", rules.Case{Refund: r, Order: o},
		reviewAt(45, invalid("EA123456789CN", "EMS", map[string]any{"problems": []string{"format"}})))
	o, r = coat("YTO", "YT7512345678901")
	add("tracking_invalid: no logistics record 74 hours after it was filled in",
		rules.Case{Refund: r, Order: o, Now: filled.Add(74 * time.Hour)},
		reviewAt(45, invalid("YT7512345678901", "YTO", map[string]any{"problems": []string{"no_record"}, "no_record_after_hours": 72,
			"filled_at": filled}, "72")))
	o, r = coat("YTO", "YT7512345678901")
	p := sent("YT7512345678901", "YTO", 0, nil, nil)
	p.Status, p.WeightG = "created", nil
	add("tracking_invalid: the waybill exists but was never picked up, 80 hours on",
		rules.Case{Refund: r, Order: o, Parcel: p, Now: filled.Add(80 * time.Hour)},
		reviewAt(45, invalid("YT7512345678901", "YTO", map[string]any{"problems": []string{"no_record"}, "no_record_after_hours": 72,
			"parcel_status": "created"}, "72")))
	o, r = coat("YTO", "YT751234")
	add("tracking_invalid: bad format and no record, one finding",
		rules.Case{Refund: r, Order: o, Now: filled.Add(100 * time.Hour)},
		reviewAt(45, invalid("YT751234", "YTO", map[string]any{"problems": []string{"format", "no_record"}}, "72")))

	o, r = coat("YTO", "YT7512345678901")
	add("tracking_invalid/honest: 71 hours is within the 72 allowed", rules.Case{Refund: r, Order: o, Now: filled.Add(71 * time.Hour)}, approve())
	o, r = coat("YTO", "YT7512345678901")
	late := sent("YT7512345678901", "YTO", 1580, addr(home), addr(warehouse))
	add("tracking_invalid/honest: typed in a day after the parcel was scanned",
		rules.Case{Refund: r, Order: o, Parcel: late, Now: filled.Add(96 * time.Hour)}, approve())
	o, r = coat("ZTO", "9ZTO-NEW-123")
	add("tracking_invalid/honest: a number our patterns do not know, but the courier scanned it",
		rules.Case{Refund: r, Order: o, Parcel: sent("9ZTO-NEW-123", "ZTO", 1580, addr(home), addr(warehouse))}, approve())
	for _, no := range []string{"SF140233884120", "SF1402338841207", "SF140233884120712", "ＳＦ １４０２ ３３８８ ４１２０７", "sf-1402-3388-4120-7"} {
		o, r = coat("SF", no)
		add("tracking_invalid/honest: SF number "+no, rules.Case{Refund: r, Order: o}, approve())
	}
	o, r = coat("EMS", "EA123456785CN")
	add("tracking_invalid/honest: an S10 number with its check digit", rules.Case{Refund: r, Order: o}, approve())
	o, r = coat("OTHER", "AB12345678")
	addWith("tracking_invalid/honest: a small courier whose format we do not keep", rules.Defaults(), rules.Case{Refund: r, Order: o}, approve())
	o, r = coat("YTO", "YT7512345678901", status("received"))
	add("tracking_invalid/honest: the warehouse received it though the courier feed is silent",
		rules.Case{Refund: r, Order: o, Now: filled.Add(200 * time.Hour)}, approve())
	o, r = coat("YTO", "YT7512345678901")
	add("tracking_invalid/honest: no shop clock yet", rules.Case{Refund: r, Order: o}, approve())
	o, r = coat("YTO", "YT7512345678901", status("cancelled"))
	add("tracking_invalid/honest: a withdrawn refund", rules.Case{Refund: r, Order: o, Now: filled.Add(200 * time.Hour)}, approve())
}

func misaddressedCases(add adder, addWith adderWith) {
	const no = "YT8800000000540"
	to := func(recipient event.Address) rules.Case {
		o := order("T540", "tb_amy", item("COAT", 1, 1450))
		return returned(o, refund("R540", o), sent(no, "YTO", 1580, addr(home), &recipient))
	}
	wh := "杭州|余杭|仓前街道良睦路1号退货仓"
	near := func(recipient string, extra map[string]any) wantReason {
		ev := map[string]any{"tracking_no": no, "recipient": recipient, "near_warehouse": true, "warehouse": wh, "warehouses": []string{wh}}
		for k, v := range extra {
			ev[k] = v
		}
		return wantReason{Rule: rules.ReturnMisaddressed, Severity: "medium", Evidence: ev, Mentions: []string{no}}
	}
	street := func(s string) event.Address {
		a := warehouse
		a.Address = s
		return a
	}
	add("return_misaddressed: eight doors down the same road", to(street("仓前街道良睦路8号")),
		reviewAt(50, near("杭州|余杭|仓前街道良睦路8号", nil)))
	add("return_misaddressed: 12号 is not 1号", to(street("仓前街道良睦路12号")),
		reviewAt(50, near("杭州|余杭|仓前街道良睦路12号", nil)))
	add("return_misaddressed: the station across from the warehouse", to(street("仓前街道良睦路1号退货仓对面菜鸟驿站")),
		reviewAt(50, near("杭州|余杭|仓前街道良睦路1号退货仓对面菜鸟驿站", map[string]any{"near_words": []string{"对面", "菜鸟", "驿站"}})))
	add("return_misaddressed: another city altogether", to(shenzhen),
		reviewAt(50, wantReason{Rule: rules.ReturnMisaddressed, Severity: "medium",
			Evidence:       map[string]any{"tracking_no": no, "recipient": "深圳|南山|科技园南区8栋101", "near_warehouse": false, "warehouses": []string{wh}},
			AbsentEvidence: []string{"warehouse"}, Mentions: []string{no}}))

	add("return_misaddressed/honest: the warehouse exactly", to(warehouse), approve())
	add("return_misaddressed/honest: spaces, full width, no province", to(event.Address{City: "杭州", District: "余杭区",
		Address: "浙江杭州余杭区 仓前街道 良睦路 １号 退货仓"}), approve())
	add("return_misaddressed/honest: without the sub-district", to(street("良睦路1号退货仓")), approve())
	add("return_misaddressed/honest: only the house number", to(street("良睦路1号")), approve())
	add("return_misaddressed/honest: with the team's name after it", to(street("仓前街道良睦路1号退货仓售后组")), approve())
	add("return_misaddressed/honest: the courier record has no district", to(event.Address{Province: "浙江省", City: "杭州市",
		Address: "仓前街道良睦路1号退货仓"}), approve())
	c := to(street("仓前街道良睦路8号"))
	c.Parcel.RefundID = "R540"
	add("return_misaddressed/honest: the warehouse linked the parcel, so it arrived", c, approve())
	c = to(street("仓前街道良睦路8号"))
	c.Parcel.Inspection = &event.Inspection{Outcome: "ok", ItemsReceived: []event.ItemRef{ref("COAT", 1)}}
	add("return_misaddressed/honest: the warehouse inspected the parcel", c, approve())
	add("return_misaddressed/honest: too little of an address to judge", to(event.Address{Address: "良睦路"}), approve())
	addWith("return_misaddressed/honest: a shop without warehouses configured", rules.Defaults(), to(street("仓前街道良睦路8号")), approve())
}

func contactCases(add adder) {
	with := func(street, phone string) rules.Case {
		a := home
		a.Address, a.Phone = street, phone
		o := to(order("T550", "tb_amy", item("COAT", 1, 1450)), a)
		return rules.Case{Refund: refund("R550", o, status("requested")), Order: o}
	}
	anomaly := func(problems []string, extra map[string]any, mentions ...string) want {
		ev := map[string]any{"order_id": "T550", "problems": problems}
		for k, v := range extra {
			ev[k] = v
		}
		return reviewAt(40, wantReason{Rule: rules.OrderContactAnomaly, Severity: "medium", Evidence: ev, Mentions: append([]string{"T550"}, mentions...)})
	}
	phone := home.Phone
	for _, tc := range []struct {
		street   string
		problems []string
	}{
		{"aaaaaaa", []string{"address:repeated_characters"}},
		{"哈哈哈哈", []string{"address:repeated_characters"}},
		{"dfghjdfgh", []string{"address:keyboard_mash"}},
		{"xcvbnmlkjhg 88", []string{"address:keyboard_mash"}},
		{"sdfsdfsdfsd", []string{"address:keyboard_mash"}},
		{"测试", []string{"address:placeholder"}},
		{"TEST", []string{"address:placeholder"}},
		{"测试订单请勿发货", []string{"address:test_words"}},
		{"1号", []string{"address:too_short"}},
		{"abababab", []string{"address:repeated_characters"}},
		{"88888号", []string{"address:repeated_characters"}},
		{"金沙路88888号", []string{"address:repeated_characters"}},
	} {
		add(fmt.Sprintf("order_contact_anomaly: address %q", tc.street), with(tc.street, phone),
			anomaly(tc.problems, map[string]any{"address": tc.street}, "T550"))
	}
	for _, tc := range []struct{ phone, problem string }{
		{"12345678901", "invalid_mobile_prefix"},
		{"1380013800", "invalid_mobile_length"},
		{"138001380001", "invalid_mobile_length"},
		{"13800138", "invalid_mobile_length"},
		{"11111111111", "all_same_digit"},
		{"0000000", "all_same_digit"},
		{"+86 111 1111 1111", "all_same_digit"},
		{"12345", "too_short"},
		{"1234567890123456789", "too_long"},
	} {
		add(fmt.Sprintf("order_contact_anomaly: phone %q", tc.phone), with(home.Address, tc.phone),
			anomaly([]string{"phone:" + tc.problem}, map[string]any{"phone": tc.phone}, "T550"))
	}
	add("order_contact_anomaly: both junk", with("asdfgh", "12345678901"),
		anomaly([]string{"address:keyboard_mash", "address:test_words", "phone:invalid_mobile_prefix"},
			map[string]any{"address": "asdfgh", "phone": "12345678901"}))

	for _, street := range []string{"文三路100号3幢201室", "幸福里3号", "Room 1203, Tower A, Kerry Centre", "Zhongguancun Dajie 27 Hao",
		"11栋1111室", "Sunshine Property Management Office 3F", "Fifth Street 8", "Twelfth Avenue 12", "文三路***号", "****", "", "张家村", "8 Strength Road"} {
		add(fmt.Sprintf("order_contact_anomaly/honest: address %q", street), with(street, phone), approve())
	}
	for _, p := range []string{"138****5678", "138 0013 8000", "+86 138-0013-8000", "0571-88880000", "010 8888 0000", "88880000",
		"1088880000", "+1 415 555 0100", "+852 9123 4567", "17100001111-1234", "17100001111转1234", "17100001111[5678]", "",
		"0571-88880000-801", "(0571)88880000", "95588888"} {
		add(fmt.Sprintf("order_contact_anomaly/honest: phone %q", p), with(home.Address, p), approve())
	}
}

func burstCases(add adder) {
	t0 := at(1, 10, 0)
	world := func(own *event.Order, others ...*event.Order) rules.Case {
		c := rules.Case{Refund: refund("R560", own, status("requested")), Order: own, AddressLinks: links(own.OrderID, own.BuyerID)}
		for _, o := range others {
			c.AddressLinks = append(c.AddressLinks, rules.Link{OrderID: o.OrderID, BuyerID: o.BuyerID})
			c.LinkedOrders = append(c.LinkedOrders, o)
		}
		return c
	}
	mk := func(id, buyer string, t time.Time, st string) *event.Order {
		return createdAt(order(id, buyer, item("CASE", 1, 40)), t, st)
	}
	own := mk("T560", "tb_amy", t0.Add(20*time.Minute), "paid")
	add("order_burst: two accounts, five orders in 50 minutes, three unpaid",
		world(own, mk("T561", "tb_amy", t0, "created"), mk("T562", "tb_ben", t0.Add(5*time.Minute), "created"),
			mk("T563", "tb_amy", t0.Add(40*time.Minute), "closed"), mk("T564", "tb_ben", t0.Add(50*time.Minute), "paid"),
			mk("T565", "tb_ben", t0.Add(5*time.Hour), "created")),
		reviewAt(40, wantReason{Rule: rules.OrderBurst, Severity: "medium",
			Evidence: map[string]any{"orders": []string{"T560", "T561", "T562", "T563", "T564"}, "accounts": []string{"tb_amy", "tb_ben"},
				"order_count": 5, "unpaid_or_closed": 3, "window_minutes": 60, "first_at": t0, "last_at": t0.Add(50 * time.Minute)},
			Mentions: []string{"5", "2", "3"}}))

	var office []*event.Order
	for i := range 6 {
		office = append(office, mk(fmt.Sprintf("T57%d", i), fmt.Sprintf("tb_colleague%d", i), at(11, 0, i), "paid"))
	}
	add("order_burst/honest: six colleagues order once each at midnight on 11.11", world(office[0], office[1:]...), approve())
	add("order_burst/honest: four orders in an hour",
		world(own, mk("T561", "tb_amy", t0, "created"), mk("T562", "tb_ben", t0.Add(5*time.Minute), "created"),
			mk("T563", "tb_amy", t0.Add(40*time.Minute), "closed")), approve())
	spread := mk("T580", "tb_amy", at(1, 10, 0), "paid")
	add("order_burst/honest: five orders over five days",
		world(spread, mk("T581", "tb_amy", at(2, 10, 0), "paid"), mk("T582", "tb_amy", at(3, 10, 0), "paid"),
			mk("T583", "tb_amy", at(4, 10, 0), "paid"), mk("T584", "tb_amy", at(5, 10, 0), "paid")), approve())
	later := mk("T590", "tb_amy", at(8, 10, 0), "paid")
	add("order_burst/honest: a burst last week that this order is not part of",
		world(later, mk("T561", "tb_amy", t0, "created"), mk("T562", "tb_ben", t0.Add(5*time.Minute), "created"),
			mk("T563", "tb_amy", t0.Add(40*time.Minute), "closed"), mk("T564", "tb_ben", t0.Add(50*time.Minute), "paid"),
			mk("T566", "tb_ben", t0.Add(55*time.Minute), "paid")), approve())
}

func refundOnlyCases(add adder) {
	when := at(20, 10, 0)
	own := func(opts ...refundOpt) (*event.Order, *event.Refund) {
		o := order("T600", "tb_amy", item("COAT", 1, 1450))
		return o, refund("R600", o, append([]refundOpt{refundOnly, status("requested"), requested(when)}, opts...)...)
	}
	withHistory := func(o *event.Order, r *event.Refund, h map[string][]rules.RefundSummary, l ...rules.Link) rules.Case {
		return rules.Case{Refund: r, Order: o, History: h, PhoneLinks: l}
	}
	abuse := func(evidence map[string]any, mentions ...string) want {
		return reviewAt(45, wantReason{Rule: rules.RefundOnlyAbuse, Severity: "medium", Evidence: evidence, Mentions: mentions})
	}
	o, r := own()
	add("refund_only_abuse: the third refund-only request in 90 days",
		withHistory(o, r, map[string][]rules.RefundSummary{"tb_amy": {
			past("R601", "T601", "refund_only", "not_received", "refunded", when.AddDate(0, 0, -20)),
			past("R602", "T602", "refund_only", "quality", "refunded", when.AddDate(0, 0, -40)),
			past("R600", "T600", "refund_only", "not_received", "requested", when), // the store's copy of this refund
		}}),
		abuse(map[string]any{"patterns": []string{"repeated_refund_only"}, "refund_only_count": 3, "window_days": 90,
			"accounts": []string{"tb_amy"}}, "3", "90"))
	o, r = own()
	add("refund_only_abuse: three requests across two accounts behind one phone",
		withHistory(o, r, map[string][]rules.RefundSummary{"tb_ben": {
			past("R611", "T611", "refund_only", "not_received", "refunded", when.AddDate(0, 0, -3)),
			past("R612", "T612", "refund_only", "damaged", "rejected", when.AddDate(0, 0, -9)),
		}}, links("T600", "tb_amy", "T611", "tb_ben")...),
		abuse(map[string]any{"patterns": []string{"repeated_refund_only"}, "refund_only_count": 3, "accounts": []string{"tb_amy", "tb_ben"}}, "2", "3"))
	o, r = own()
	signed(o, 1600, "self", at(18, 15, 0), false)
	add("refund_only_abuse: not received, though the buyer signed in person two days earlier", rules.Case{Refund: r, Order: o},
		abuse(map[string]any{"patterns": []string{"not_received_after_signed"}, "signed_by": "self", "signed_at": at(18, 15, 0),
			"signed_with_exception": false, "outbound_tracking_no": "75123456789012"}, "T600"))
	o, r = own()
	signed(o, 1600, "locker", at(18, 15, 0), false)
	add("refund_only_abuse: not received, though it went into a locker", rules.Case{Refund: r, Order: o},
		abuse(map[string]any{"patterns": []string{"not_received_after_signed"}, "signed_by": "locker"}, "T600"))
	o, r = own()
	signed(o, 1600, "station", at(18, 15, 0), false)
	add("refund_only_abuse: both patterns are one finding",
		withHistory(o, r, map[string][]rules.RefundSummary{"tb_amy": {
			past("R601", "T601", "refund_only", "not_received", "refunded", when.AddDate(0, 0, -20)),
			past("R602", "T602", "refund_only", "not_received", "refunded", when.AddDate(0, 0, -40)),
		}}),
		abuse(map[string]any{"patterns": []string{"not_received_after_signed", "repeated_refund_only"}, "signed_by": "station", "refund_only_count": 3}))

	o, r = own()
	add("refund_only_abuse/honest: a second request is not yet a pattern",
		withHistory(o, r, map[string][]rules.RefundSummary{"tb_amy": {past("R601", "T601", "refund_only", "not_received", "refunded", when.AddDate(0, 0, -20))}}),
		approve())
	o, r = own()
	add("refund_only_abuse/honest: one of three was withdrawn, one is a return",
		withHistory(o, r, map[string][]rules.RefundSummary{"tb_amy": {
			past("R601", "T601", "refund_only", "not_received", "cancelled", when.AddDate(0, 0, -20)),
			past("R602", "T602", "return_refund", "quality", "refunded", when.AddDate(0, 0, -40)),
			past("R603", "T603", "refund_only", "not_received", "refunded", when.AddDate(0, 0, -41)),
		}}), approve())
	o, r = own()
	add("refund_only_abuse/honest: the others are older than 90 days",
		withHistory(o, r, map[string][]rules.RefundSummary{"tb_amy": {
			past("R601", "T601", "refund_only", "not_received", "refunded", when.AddDate(0, 0, -100)),
			past("R602", "T602", "refund_only", "not_received", "refunded", when.AddDate(0, 0, -200)),
		}}), approve())
	var hub []rules.Link
	hist := map[string][]rules.RefundSummary{}
	for i := range 25 {
		b := fmt.Sprintf("tb_student%02d", i)
		hub = append(hub, rules.Link{OrderID: fmt.Sprintf("T7%02d", i), BuyerID: b})
		hist[b] = []rules.RefundSummary{past(fmt.Sprintf("R7%02d", i), fmt.Sprintf("T7%02d", i), "refund_only", "not_received", "refunded", when.AddDate(0, 0, -1))}
	}
	o, r = own()
	add("refund_only_abuse/honest: a campus mailroom's other students", withHistory(o, r, hist, hub...), approve())
	for _, tc := range []struct {
		name string
		set  func(*event.Order)
	}{
		{"signed by a neighbour (proxy)", func(o *event.Order) { signed(o, 1600, "proxy", at(18, 15, 0), false) }},
		{"signed with an exception noted", func(o *event.Order) { signed(o, 1600, "self", at(18, 15, 0), true) }},
		{"signed after the request", func(o *event.Order) { signed(o, 1600, "self", at(21, 15, 0), false) }},
		{"signer unknown", func(o *event.Order) { signed(o, 1600, "unknown", at(18, 15, 0), false) }},
		{"shipped, not signed", func(o *event.Order) { signed(o, 1600, "", time.Time{}, false) }},
	} {
		o, r = own()
		tc.set(o)
		add("refund_only_abuse/honest: not received, "+tc.name, rules.Case{Refund: r, Order: o}, approve())
	}
	o, r = own(reason("damaged"))
	signed(o, 1600, "self", at(18, 15, 0), false)
	add("refund_only_abuse/honest: damaged after a normal signing", rules.Case{Refund: r, Order: o}, approve())
}

func missingItemCases(add adder) {
	coatTrousers := func(grams int64, opts ...refundOpt) rules.Case {
		o := signed(order("T610", "tb_amy", item("COAT", 1, 1450), item("TROUSERS", 2, 600)), grams, "self", at(3, 18, 0), false)
		r := refund("R610", o, append([]refundOpt{refundOnly, reason("missing_item"), claims(ref("TROUSERS", 1)), status("requested")}, opts...)...)
		return rules.Case{Refund: r, Order: o}
	}
	add("missing_item_contradicted: one pair of trousers 'missing' from a parcel that weighed all of it", coatTrousers(2900),
		reviewAt(45, wantReason{Rule: rules.MissingItemContradicted, Severity: "medium",
			Evidence: map[string]any{"order_id": "T610", "outbound_weight_g": 2900, "expected_order_g": 2650, "claimed_missing_g": 600,
				"max_weight_without_g": 2498, "signed_by": "self", "items_claimed": []event.ItemRef{ref("TROUSERS", 1)}},
			Mentions: []string{"T610", "2900", "2650", "600"}}))
	o := signed(order("T611", "tb_amy", item("COAT", 1, 1450), item("BELT", 1, 300)), 2000, "locker", at(3, 18, 0), false)
	add("missing_item_contradicted: nothing named: at least the lightest item, and the parcel weighed it",
		rules.Case{Refund: refund("R611", o, refundOnly, reason("missing_item")), Order: o},
		reviewAt(45, wantReason{Rule: rules.MissingItemContradicted, Severity: "medium",
			Evidence: map[string]any{"claimed_missing_g": 300, "max_weight_without_g": 1800, "items_claimed": []event.ItemRef{ref("BELT", 1)}}}))

	add("missing_item_contradicted/honest: 2400 g could be the parcel without the trousers", coatTrousers(2400), approve())
	c := coatTrousers(2900)
	c.Order.Shipment.SignedWithException = true
	add("missing_item_contradicted/honest: the buyer noted the shortage when signing", c, approve())
	c = coatTrousers(2900)
	c.Order.Shipment.SignedAt = time.Time{}
	add("missing_item_contradicted/honest: not signed for yet", c, approve())
	c = coatTrousers(2900)
	c.Order.Shipment.WeightG = nil
	add("missing_item_contradicted/honest: the courier gave no weight", c, approve())
	c = coatTrousers(2900, reason("wrong_item"))
	add("missing_item_contradicted/honest: a wrong-item claim", c, approve())
	o = signed(order("T612", "tb_amy", item("COAT", 1, 1450), item("EARRINGS", 1, 15)), 1700, "self", at(3, 18, 0), false)
	add("missing_item_contradicted/honest: 15 g earrings vanish in any scale's error",
		rules.Case{Refund: refund("R612", o, refundOnly, reason("missing_item"), claims(ref("EARRINGS", 1))), Order: o}, approve())
	o = signed(order("T613", "tb_amy", item("COAT", 1, 0), item("TROUSERS", 2, 600)), 2900, "self", at(3, 18, 0), false)
	add("missing_item_contradicted/honest: the coat's catalogue weight is unknown",
		rules.Case{Refund: refund("R613", o, refundOnly, reason("missing_item"), claims(ref("TROUSERS", 1))), Order: o}, approve())
}

func feeCases(add adder, addWith adderWith) {
	ret := func(carrier, no string, grams, claim int64, from *event.Address) rules.Case {
		o := order("T620", "tb_amy", item("COAT", 1, 1450))
		r := refund("R620", o, reason("wrong_item"), feeClaim(claim), shipment(carrier, no, at(5, 10, 0)))
		return rules.Case{Refund: r, Order: o, Parcel: sent(no, carrier, grams, from, addr(warehouse))}
	}
	inflated := func(claim, fee int64, ratio float64, zone, carrier string, grams, kg int64) want {
		return reviewAt(40, wantReason{Rule: rules.ShippingFeeInflated, Severity: "medium",
			Evidence: map[string]any{"claim_minor": claim, "typical_fee_minor": fee, "ratio": ratio, "zone": zone, "carrier": carrier,
				"weight_g": grams, "billed_kg": kg},
			Mentions: []string{fmt.Sprintf("%d.%02d", claim/100, claim%100), fmt.Sprintf("%d.%02d", fee/100, fee%100), fmt.Sprint(grams)}})
	}
	add("shipping_fee_inflated: 45 yuan for a same-city YTO parcel of 1.6 kg", ret("YTO", "YT8800000000620", 1580, 4500, addr(home)),
		inflated(4500, 1200, 3.8, "same_city", "YTO", 1580, 2))
	add("shipping_fee_inflated: 90 yuan for SF from Shenzhen, 2 kg", ret("SF", "SF1400000000620", 1580, 9000, addr(shenzhen)),
		inflated(9000, 3600, 2.5, "other_province", "SF", 1580, 2))
	add("shipping_fee_inflated/honest: 20 yuan same city", ret("YTO", "YT8800000000620", 1580, 2000, addr(home)), approve())
	add("shipping_fee_inflated/honest: 60 yuan for a 2.9 kg duvet by SF across provinces",
		ret("SF", "SF1400000000620", 2900, 6000, addr(shenzhen)), approve())
	add("shipping_fee_inflated/honest: the sender is unknown, so the dearest route is assumed",
		ret("YTO", "YT8800000000620", 1580, 4500, nil), approve())
	xj := event.Address{Province: "新疆维吾尔自治区", City: "乌鲁木齐市", District: "天山区", Address: "解放北路100号"}
	add("shipping_fee_inflated/honest: from Xinjiang", ret("SF", "SF1400000000620", 1500, 5000, &xj), approve())
	c := ret("YTO", "YT8800000000620", 1580, 4500, addr(home))
	c.Parcel.WeightG = nil
	add("shipping_fee_inflated/honest: the parcel has not been weighed", c, approve())
	c = ret("OTHER", "AB1234567890", 1580, 4500, addr(home))
	addWith("shipping_fee_inflated/honest: a carrier we have no prices for takes the dearest", rules.Defaults(), c, approve())
}

func stockoutCases(add adder) {
	when := at(20, 10, 0)
	own := func(h ...rules.RefundSummary) rules.Case {
		o := order("T630", "tb_amy", item("CASE", 1, 40))
		r := refund("R630", o, refundOnly, reason("out_of_stock"), status("requested"), requested(when))
		return rules.Case{Refund: r, Order: o, History: map[string][]rules.RefundSummary{"tb_amy": h}}
	}
	add("stockout_claim_abuse: a third 'no stock' claim in 90 days", own(
		past("R631", "T631", "refund_only", "out_of_stock", "refunded", when.AddDate(0, 0, -10)),
		past("R632", "T632", "refund_only", "out_of_stock", "refunded", when.AddDate(0, 0, -30))),
		reviewAt(45, wantReason{Rule: rules.StockoutClaimAbuse, Severity: "medium",
			Evidence: map[string]any{"claim_count": 3, "window_days": 90, "accounts": []string{"tb_amy"}, "orders": []string{"T630", "T631", "T632"}},
			Mentions: []string{"3", "90"}}))
	add("stockout_claim_abuse/honest: the shop really ran out twice", own(
		past("R631", "T631", "refund_only", "out_of_stock", "refunded", when.AddDate(0, 0, -10))), approve())
	add("stockout_claim_abuse/honest: one of them long ago, one withdrawn", own(
		past("R631", "T631", "refund_only", "out_of_stock", "refunded", when.AddDate(0, 0, -120)),
		past("R632", "T632", "refund_only", "out_of_stock", "cancelled", when.AddDate(0, 0, -3))), approve())
	c := own(past("R631", "T631", "refund_only", "out_of_stock", "refunded", when.AddDate(0, 0, -10)),
		past("R632", "T632", "refund_only", "out_of_stock", "refunded", when.AddDate(0, 0, -30)))
	c.Refund.Reason = "quality"
	add("stockout_claim_abuse/honest: this refund is about quality", c, approve())
}

// extortionText is the contract's example message M1.
const extortionText = "你们详情页写着“全网最低价”,这是违反广告法的极限词。赔我500块,不然我就去12315和工商局投诉你们。"

func extortionCases(add adder) {
	own := func(ms ...*event.Message) rules.Case {
		o := order("T640", "tb_bob", item("COAT", 1, 1450))
		return rules.Case{Refund: refund("R640", o, status("requested")), Order: o, Messages: ms}
	}
	m1 := msg("M1", "tb_bob", "chat", extortionText, "T640", at(9, 11, 5))
	phrases := func(ps ...string) []string { slices.Sort(ps); return ps }
	add("extortion_message: the contract's example", own(m1),
		reviewAt(50, wantReason{Rule: rules.ExtortionMessage, Severity: "medium",
			Evidence: map[string]any{"message_id": "M1", "channel": "chat", "text": extortionText,
				"threat_groups": []string{"ad_law", "platform", "regulator"}, "demand_phrases": []string{"赔我"},
				"threat_phrases": phrases("广告法", "极限词", "12315", "工商局", "投诉你"),
				"phrases":        phrases("广告法", "极限词", "12315", "工商局", "投诉你", "赔我"), "extortion_messages": 1, "repeat": false},
			Mentions: []string{"M1", "12315"}}))
	complaint := msg("M2", "tb_bob", "complaint", "不 给 我 退 款 加 赔 偿 ２００ 元 ， 我 就 给 你 们 差 评 ， 还 要 打 １２３１５", "", at(9, 12, 0))
	add("extortion_message: spaced out and in full width, on no particular order", own(complaint),
		reviewAt(50, wantReason{Rule: rules.ExtortionMessage, Severity: "medium",
			Evidence: map[string]any{"message_id": "M2", "channel": "complaint", "threat_groups": []string{"bad_review", "regulator"},
				"demand_phrases": phrases("200元", "给我", "赔偿")}, Mentions: []string{"M2"}}))
	tax := msg("M3", "tb_bob", "chat", "你们不开发票就是偷税漏税,给我转300,不然举报到税务局", "T640", at(9, 13, 0))
	add("extortion_message: invoices and the tax office", own(tax),
		reviewAt(50, wantReason{Rule: rules.ExtortionMessage, Severity: "medium",
			Evidence: map[string]any{"threat_groups": []string{"invoice"}, "demand_phrases": phrases("给我转", "给我", "转300")}}))
	add("extortion_message: a repeat is blocked", own(m1, tax),
		blockAt(85, wantReason{Rule: rules.ExtortionMessage, Severity: "critical",
			Evidence: map[string]any{"message_id": "M3", "extortion_messages": 2, "message_ids": []string{"M1", "M3"}, "repeat": true},
			Mentions: []string{"M3", "2"}}))

	for _, tc := range []struct{ name, text string }{
		{"a polite invoice request", "你好,大衣尺码偏大,想退货,麻烦发票也一起开一下,谢谢!"},
		{"a company invoice", "您好,公司报销需要发票,抬头和税号我发在下面了,麻烦开一下~"},
		{"a slow courier", "快递太慢了,三天了还没到,再不到我就投诉快递了"},
		{"a lost parcel", "物流一直没动,是不是丢件了?麻烦看看,谢谢"},
		{"a threat without money", "质量太差了,我要给差评"},
		{"cash-back for a good review", "好评返现的红包什么时候发?"},
		{"postage for a wrong item", "发错货了,麻烦赔偿运费10元"},
		{"12315 inside a phone number", "我的电话是13812315678,发错货了赔我钱吧"},
		{"工商 as the bank", "退款退到工商银行卡就行,给我500元的那张"},
	} {
		add("extortion_message/honest: "+tc.name, own(msg("M9", "tb_bob", "chat", tc.text, "T640", at(9, 11, 0))), approve())
	}
	other := msg("M8", "tb_bob", "chat", extortionText, "T999", at(9, 11, 0))
	add("extortion_message/honest: about another order", own(other), approve())
	stranger := msg("M7", "tb_eve", "chat", extortionText, "T640", at(9, 11, 0))
	add("extortion_message/honest: another buyer's message", own(stranger), approve())
}

func offenderCases(add adder) {
	own := func(os ...rules.Offense) rules.Case {
		o := order("T650", "tb_amy", item("COAT", 1, 1450))
		return rules.Case{Refund: refund("R650", o, status("requested")), Order: o, Offenses: os}
	}
	confirmed := time.Date(2026, time.October, 1, 15, 0, 0, 0, cst)
	add("known_offender: this shop confirmed the account before", own(rules.Offense{Kind: "account", ConfirmedAt: confirmed, SameShop: true, RefundID: "R90"}),
		reviewAt(50, wantReason{Rule: rules.KnownOffender, Severity: "medium",
			Evidence: map[string]any{"matched": []string{"account"},
				"matches": []map[string]any{{"kind": "account", "same_shop": true, "confirmed_at": confirmed, "refund_id": "R90"}}},
			Mentions: []string{"R90", "2026-10-01"}}))
	add("known_offender: another shop's confirmation shows no details of it",
		own(rules.Offense{Kind: "phone", ConfirmedAt: confirmed, SameShop: false, RefundID: "R-OTHER-SHOP"},
			rules.Offense{Kind: "phone", ConfirmedAt: confirmed.Add(time.Hour), SameShop: false, RefundID: "R-OTHER-2"},
			rules.Offense{Kind: "sender", ConfirmedAt: confirmed, SameShop: true}),
		reviewAt(50, wantReason{Rule: rules.KnownOffender, Severity: "medium",
			Evidence: map[string]any{"matched": []string{"phone", "sender"},
				"matches": []map[string]any{{"kind": "phone", "same_shop": false, "confirmed_on": "2026-10-01"},
					{"kind": "sender", "same_shop": true, "confirmed_at": confirmed}}},
			Mentions: []string{"2026-10-01"}}))
	add("known_offender/honest: nothing confirmed", own(), approve())
}

// ---- tests beyond the tables -----------------------------------------------

// Another shop's offense must not leak: no refund id of it, anywhere.
func TestKnownOffenderHidesOtherShops(t *testing.T) {
	o := order("T651", "tb_amy", item("COAT", 1, 1450))
	c := rules.Case{Refund: refund("R651", o), Order: o, Offenses: []rules.Offense{
		{Kind: "account", ConfirmedAt: at(1, 1, 0), SameShop: false, RefundID: "R-SECRET-1"}}}
	a := rules.Assess(c, rules.Defaults(), now)
	if b := jsonText(t, a); strings.Contains(b, "R-SECRET-1") || !strings.Contains(b, rules.KnownOffender) {
		t.Errorf("assessment %s", b)
	}
}

// A buyer with a confirmed offense is blocked at the first extortion message;
// both findings are reported.
func TestExtortionBlocksKnownOffender(t *testing.T) {
	o := order("T660", "tb_bob", item("COAT", 1, 1450))
	c := rules.Case{Refund: refund("R660", o, status("requested")), Order: o,
		Messages: []*event.Message{msg("M1", "tb_bob", "chat", extortionText, "T660", at(9, 11, 5))},
		Offenses: []rules.Offense{{Kind: "account", ConfirmedAt: at(1, 1, 0), SameShop: true, RefundID: "R90"}}}
	a := rules.Assess(c, rules.Defaults(), now)
	if a.Decision != rules.Block || !slices.Equal(codes(a), []string{rules.ExtortionMessage, rules.KnownOffender}) {
		t.Fatalf("%s %v", a.Decision, codes(a))
	}
	for _, r := range a.Reasons {
		if r.Rule == rules.ExtortionMessage && (r.Severity != "critical" || r.Evidence["known_offender"] != true) {
			t.Errorf("extortion reason %+v", r)
		}
	}
	cfg := rules.Defaults()
	cfg.ExtortionMessage.BlockOnOffense = false
	if a := rules.Assess(c, cfg, now); a.Decision != rules.Review || a.Score != 75 {
		t.Errorf("block_on_offense off: %s %d, want review 75 (noisy-OR of 50 and 50)", a.Decision, a.Score)
	}
	cfg = rules.Defaults()
	cfg.ExtortionMessage.BlockAtMessages = 0
	c.Offenses = nil
	c.Messages = append(c.Messages, msg("M2", "tb_bob", "complaint", extortionText, "T660", at(9, 12, 0)))
	if a := rules.Assess(c, cfg, now); a.Decision != rules.Review {
		t.Errorf("block_at_messages 0, two messages: %s, want review", a.Decision)
	}
}

// Thresholds come from the config.
func TestCatalogueThresholdsFollowConfig(t *testing.T) {
	firing := catalogueFiringCases()
	tests := []struct {
		name string
		code string
		set  func(*rules.Config)
		fire bool
	}{
		{"tracking_invalid without the format check", rules.TrackingInvalid, func(c *rules.Config) { c.TrackingInvalid.CheckFormat = false }, false},
		{"return_sender_shared needs four accounts", rules.ReturnSenderShared, func(c *rules.Config) { c.ReturnSenderShared.MinAccounts = 4 }, true},
		{"wrong_item_sku_swap needs three accounts", rules.WrongItemSKUSwap, func(c *rules.Config) { c.WrongItemSKUSwap.MinAccounts = 3 }, false},
		{"order_burst needs six orders", rules.OrderBurst, func(c *rules.Config) { c.OrderBurst.MinOrders = 6 }, false},
		{"order_burst in 30 minutes", rules.OrderBurst, func(c *rules.Config) { c.OrderBurst.Window = 30 * time.Minute }, false},
		{"refund_only_abuse needs four", rules.RefundOnlyAbuse, func(c *rules.Config) { c.RefundOnlyAbuse.MinRefunds = 4 }, false},
		{"shipping_fee_inflated at four times", rules.ShippingFeeInflated, func(c *rules.Config) { c.ShippingFeeInflated.MinRatio = 4 }, false},
		{"stockout_claim_abuse needs four", rules.StockoutClaimAbuse, func(c *rules.Config) { c.StockoutClaimAbuse.MinClaims = 4 }, false},
		{"missing_item_contradicted with 800 g packaging", rules.MissingItemContradicted, func(c *rules.Config) { c.MissingItem.PackagingG = 800 }, false},
		{"missing_item_contradicted with 35 % packaging", rules.MissingItemContradicted, func(c *rules.Config) { c.MissingItem.PackagingShare = 0.35 }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := shopConfig()
			tc.set(&cfg)
			got := slices.Contains(codes(rules.Assess(firing[tc.code], cfg, now)), tc.code)
			if got != tc.fire {
				t.Errorf("fires = %v, want %v", got, tc.fire)
			}
		})
	}
	// The run of identical characters that makes a street line junk.
	for _, tc := range catalogueCases() {
		if strings.HasPrefix(tc.name, `order_contact_anomaly: address "金沙路88888号"`) {
			cfg := shopConfig()
			cfg.OrderContactAnomaly.RepeatRun = 6
			if a := rules.Assess(tc.c, cfg, now); len(a.Reasons) != 0 {
				t.Errorf("repeat_run 6, a run of five: %v", codes(a))
			}
		}
	}
	// With four accounts required, three are the weak signal.
	cfg := shopConfig()
	cfg.ReturnSenderShared.MinAccounts = 4
	if a := rules.Assess(firing[rules.ReturnSenderShared], cfg, now); a.Decision != rules.Approve || a.Score != 20 {
		t.Errorf("three accounts below min_accounts 4: %s %d, want approve 20", a.Decision, a.Score)
	}
	// Never block a SKU swap.
	cfg = shopConfig()
	cfg.WrongItemSKUSwap.BlockAccounts = 0
	for _, tc := range catalogueCases() {
		if strings.HasPrefix(tc.name, "wrong_item_sku_swap: three") {
			if a := rules.Assess(tc.c, cfg, now); a.Decision != rules.Review {
				t.Errorf("block_accounts 0: %s, want review", a.Decision)
			}
		}
	}
	// The no-record wait is the config's.
	cfg = shopConfig()
	cfg.TrackingInvalid.NoRecordAfter = 100 * time.Hour
	for _, tc := range catalogueCases() {
		if strings.HasPrefix(tc.name, "tracking_invalid: no logistics record 74") {
			if a := rules.Assess(tc.c, cfg, now); len(a.Reasons) != 0 {
				t.Errorf("no_record_after 100h, 74 h waited: %v", codes(a))
			}
		}
	}
}

// Evidence marshals to JSON and back to the same document, so decision events
// carry it faithfully.
func TestCatalogueEvidenceIsJSON(t *testing.T) {
	for _, tc := range catalogueCases() {
		a := rules.Assess(tc.c, tc.config(), now)
		for _, r := range a.Reasons {
			b, err := json.Marshal(r.Evidence)
			if err != nil || len(b) < 3 {
				t.Errorf("%s: %s evidence %v: %v", tc.name, r.Rule, r.Evidence, err)
			}
		}
	}
}
