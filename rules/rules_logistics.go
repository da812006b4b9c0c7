package rules

// Rules over the return waybill and the parcels: carrier, number format and
// logistics record, where the parcel is addressed, what its postage costs, and
// what the outbound parcel weighed.

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sellerguard/sellerguard/event"
)

// returnCarrier is the carrier of the return: the courier's own record when
// there is one, else what the buyer filled in.
func returnCarrier(c Case) (code, source string) {
	if p := c.Parcel; p != nil && carrierKey(p.Carrier) != "" {
		return carrierCode(p.Carrier), "parcel"
	}
	if s := c.Refund.ReturnShipment; s != nil && carrierKey(s.Carrier) != "" {
		return carrierCode(s.Carrier), "refund"
	}
	return "", ""
}

// returnTrackingNo is the return waybill as the buyer typed it, else the parcel's.
func returnTrackingNo(c Case) string {
	if s := c.Refund.ReturnShipment; s != nil && s.TrackingNo != "" {
		return s.TrackingNo
	}
	if c.Parcel != nil {
		return c.Parcel.TrackingNo
	}
	return ""
}

// unacceptedCarrier: the return was sent with a courier the shop does not
// accept. An empty accepted list accepts every carrier.
func unacceptedCarrier(c Case, cfg RuleConfig, accepted []string) []finding {
	if !cfg.Enabled || len(accepted) == 0 || withdrawnStatus(c.Refund.Status) {
		return nil
	}
	code, source := returnCarrier(c)
	if code == "" {
		return nil
	}
	ok := map[string]bool{}
	for _, a := range accepted {
		ok[carrierCode(a)] = true
	}
	if ok[code] {
		return nil
	}
	list := sortedSet(ok)
	no := returnTrackingNo(c)
	return []finding{newFinding(UnacceptedCarrier, cfg.Weight, cfg.Hard,
		fmt.Sprintf("退货快递 %s(%s,单号 %s)不在本店接受的快递之列(%s)", code, carrierName(code), no, strings.Join(list, "、")),
		fmt.Sprintf("The return was sent with %s (waybill %s), which the shop does not accept (accepted: %s)", code, no, strings.Join(list, ", ")),
		map[string]any{"carrier": code, "source": source, "tracking_no": no, "accepted_carriers": list})}
}

// parcelRecorded: the courier (or the warehouse) knows the parcel beyond a
// bare waybill.
func parcelRecorded(p *Parcel) bool {
	return p != nil && (p.Status != "created" || p.Inspection != nil)
}

// trackingInvalid: the return waybill does not fit its carrier's format, or
// there is still no logistics record N hours after it was filled in.
func trackingInvalid(c Case, cfg TrackingInvalidConfig) []finding {
	r := c.Refund
	s := r.ReturnShipment
	if !cfg.Enabled || s == nil || withdrawnStatus(r.Status) || parcelRecorded(c.Parcel) {
		// A parcel the courier scanned is real, whatever our patterns say,
		// and whenever the buyer typed its number in.
		return nil
	}
	code := carrierCode(s.Carrier)
	no := NormalizeTracking(s.TrackingNo)
	evidence := map[string]any{"tracking_no": s.TrackingNo, "carrier": code}
	var problems, zh, en []string

	if cfg.CheckFormat {
		fits, known := waybillFits(code, no)
		switch {
		case no == "":
			problems = append(problems, "placeholder")
			zh = append(zh, "不是有效单号(无数字、过短或全为同一字符)")
			en = append(en, "is not a waybill number (no digit, too short, or one character repeated)")
		case known && !fits:
			f := data().waybills.Carriers[code]
			problems = append(problems, "format")
			evidence["expected_format"] = f.Describe
			if others := carriersFitting(no); len(others) > 0 {
				evidence["fits_carriers"] = others
			}
			zh = append(zh, fmt.Sprintf("不符合%s单号格式(%s)", f.Name, f.DescribeZH))
			en = append(en, fmt.Sprintf("does not fit the %s format (%s)", code, f.Describe))
		}
	}

	// No record: the receiving warehouse has not confirmed it either.
	filled := s.FilledAt
	if filled.IsZero() {
		filled = r.OccurredAt // the waybill was there by this refund state at the latest
	}
	received := r.Status == "received" || r.Status == "refunded"
	if cfg.NoRecordAfter > 0 && !received && !c.Now.IsZero() && !filled.IsZero() {
		if waited := c.Now.Sub(filled); waited >= cfg.NoRecordAfter {
			// The threshold, not the hours waited: those grow with the shop's
			// clock, and an assessment must not depend on when it was made.
			hours := int(cfg.NoRecordAfter / time.Hour)
			problems = append(problems, "no_record")
			evidence["filled_at"] = filled
			evidence["no_record_after_hours"] = hours
			if c.Parcel != nil {
				evidence["parcel_status"] = c.Parcel.Status
			}
			zh = append(zh, fmt.Sprintf("填写超过 %d 小时仍无物流记录", hours))
			en = append(en, fmt.Sprintf("has no logistics record more than %d hours after it was filled in", hours))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	evidence["problems"] = problems
	return []finding{newFinding(TrackingInvalid, cfg.Weight, cfg.Hard,
		fmt.Sprintf("退货单号 %s(%s)%s", s.TrackingNo, code, strings.Join(zh, ",且")),
		fmt.Sprintf("Return waybill %s (%s) %s", s.TrackingNo, code, strings.Join(en, ", and ")),
		evidence)}
}

// addrParts is an address in canonical parts.
type addrParts struct{ city, dist, street string }

func partsOf(a event.Address) (addrParts, bool) {
	city, dist, street, ok := canonicalAddressParts(a)
	return addrParts{city, dist, street}, ok
}

func (p addrParts) String() string { return p.city + "|" + p.dist + "|" + p.street }

// human is the address for messages: "杭州 余杭 良睦路8号".
func (p addrParts) human() string {
	var parts []string
	for _, s := range []string{p.city, p.dist, p.street} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

func sameOrMissing(a, b string) bool { return a == b || a == "" || b == "" }

// sameArea: the same city and district, as far as both say.
func sameArea(a, b addrParts) bool {
	return sameOrMissing(a.city, b.city) && sameOrMissing(a.dist, b.dist) &&
		(a.city != "" && a.city == b.city || a.dist != "" && a.dist == b.dist)
}

// streetPrefix reports whether short is long cut after a whole token: a digit
// ending short must not continue with a digit (良睦路1 is not 良睦路12号).
func streetPrefix(short, long string) bool {
	if !strings.HasPrefix(long, short) {
		return false
	}
	if len(short) == len(long) || short == "" {
		return len(short) == len(long)
	}
	last, next := short[len(short)-1], long[len(short)]
	return !(last >= '0' && last <= '9' && next >= '0' && next <= '9')
}

// atWarehouse: the recipient is the warehouse, typed more or less fully: the
// same street line, or the warehouse's cut short (良睦路1号 for 良睦路1号退货仓),
// or the warehouse's followed by more detail that does not point next to it
// (…退货仓售后组, but not …对面菜鸟驿站); with or without the sub-district or
// town in front (仓前街道).
func atWarehouse(rc, wc addrParts) (ok bool, nearWords []string) {
	if !sameArea(rc, wc) {
		return false, nil
	}
	for _, pair := range [][2]string{{rc.street, wc.street}, {streetCore(rc.street), streetCore(wc.street)}} {
		r, w := pair[0], pair[1]
		if streetPrefix(r, w) {
			return true, nil
		}
		if streetPrefix(w, r) {
			if near := data().phrases.nearWords.find(r[len(w):]); len(near) > 0 {
				return false, near
			}
			return true, nil
		}
	}
	return false, nil
}

// streetCore is a street line without a leading sub-district, town or
// township (仓前街道, 太和镇), which people often leave out.
func streetCore(s string) string {
	for _, suffix := range []string{"街道", "镇", "乡"} {
		if i := strings.Index(s, suffix); i > 0 {
			if n := utf8.RuneCountInString(s[:i]); n >= 2 && n <= 6 && len(s) > i+len(suffix) {
				return s[i+len(suffix):]
			}
		}
	}
	return s
}

// returnMisaddressed: the return parcel is addressed somewhere other than any
// of the shop's return warehouses, typically near one.
func returnMisaddressed(c Case, cfg RuleConfig, warehouses []event.Address) []finding {
	p := c.Parcel
	if !cfg.Enabled || len(warehouses) == 0 || p == nil || p.Recipient == nil {
		return nil
	}
	// The warehouse opened or linked the parcel: it arrived, wherever the
	// courier's record says it was addressed.
	if p.Inspection != nil || p.RefundID != "" {
		return nil
	}
	rc, ok := partsOf(*p.Recipient)
	if !ok {
		return nil // too little of an address to judge
	}
	var all, allHuman []string
	var near *addrParts
	var nearWords []string
	for _, w := range warehouses {
		wc, ok := partsOf(w)
		if !ok {
			continue
		}
		at, words := atWarehouse(rc, wc)
		if at {
			return nil
		}
		all = append(all, wc.String())
		allHuman = append(allHuman, wc.human())
		if sameArea(rc, wc) && (near == nil || wc.String() < near.String()) {
			near, nearWords = &wc, words
		}
	}
	if len(all) == 0 {
		return nil
	}
	slices.Sort(all)
	all = slices.Compact(all)
	slices.Sort(allHuman)
	allHuman = slices.Compact(allHuman)
	evidence := map[string]any{"tracking_no": p.TrackingNo, "recipient": rc.String(), "warehouses": all,
		"near_warehouse": near != nil}
	if name := NormalizeName(p.Recipient.Name); name != "" {
		evidence["recipient_name"] = name
	}
	if near == nil {
		return []finding{newFinding(ReturnMisaddressed, cfg.Weight, cfg.Hard,
			fmt.Sprintf("退货包裹(单号 %s)寄往 %s,不是本店的退货仓库(%s)", p.TrackingNo, rc.human(), strings.Join(allHuman, ";")),
			fmt.Sprintf("Return parcel %s is addressed to %s, not to a return warehouse of the shop (%s)", p.TrackingNo, rc.human(), strings.Join(allHuman, "; ")),
			evidence)}
	}
	evidence["warehouse"] = near.String()
	if len(nearWords) > 0 {
		evidence["near_words"] = nearWords
	}
	return []finding{newFinding(ReturnMisaddressed, cfg.Weight, cfg.Hard,
		fmt.Sprintf("退货包裹(单号 %s)寄往仓库附近的 %s(同区不同地址),不是退货仓库 %s", p.TrackingNo, rc.human(), near.human()),
		fmt.Sprintf("Return parcel %s is addressed near the warehouse, to %s (same district, another address), not to the warehouse %s", p.TrackingNo, rc.human(), near.human()),
		evidence)}
}

// province is the canonical province of an address, from its province field or
// from a municipality city.
func province(a event.Address) string {
	if p := adminBase(cleanAddrText(a.Province, false)); p != "" {
		return p
	}
	if c := adminBase(cleanAddrText(a.City, false)); isMunicipality(c) {
		return c
	}
	return ""
}

// route is the postage zone between two addresses; unknown is priced as remote.
func route(from, to *event.Address) string {
	if from == nil || to == nil {
		return zoneUnknown
	}
	fc, fok := partsOf(*from)
	tc, tok := partsOf(*to)
	fp, tp := province(*from), province(*to)
	if isRemoteProvince(fp) || isRemoteProvince(tp) {
		return zoneRemote
	}
	if fok && tok && fc.city != "" && fc.city == tc.city {
		return zoneSameCity
	}
	if fp == "" || tp == "" {
		return zoneUnknown
	}
	if fp == tp {
		return zoneSameProvince
	}
	return zoneOtherProvince
}

var zoneWords = map[string]Text{
	zoneSameCity:      {ZH: "同城", EN: "same city"},
	zoneSameProvince:  {ZH: "省内", EN: "within the province"},
	zoneOtherProvince: {ZH: "跨省", EN: "between provinces"},
	zoneRemote:        {ZH: "偏远地区", EN: "remote area"},
	zoneUnknown:       {ZH: "路线未知,按最高价计", EN: "route unknown, priced as the most expensive"},
}

// shippingFeeInflated: return postage claimed far above what the parcel's
// weight and route cost with its carrier.
func shippingFeeInflated(c Case, cfg ShippingFeeConfig, warehouses []event.Address) []finding {
	r, p := c.Refund, c.Parcel
	claim := r.ShippingFeeClaimMinor
	if !cfg.Enabled || claim <= 0 || withdrawnStatus(r.Status) || p == nil || p.WeightG == nil {
		return nil
	}
	code, _ := returnCarrier(c)
	to := p.Recipient
	if to == nil && len(warehouses) == 1 {
		to = &warehouses[0]
	}
	zone := route(p.Sender, to)
	grams := *p.WeightG
	fee, kg := typicalFee(code, zone, grams)
	if float64(claim) < cfg.MinRatio*float64(fee) || claim-fee < cfg.MinExcessMinor {
		return nil
	}
	ratio := math.Round(float64(claim)/float64(fee)*10) / 10
	name, nameZH := code, carrierName(code)
	if name == "" {
		name, nameZH = "carrier unknown", "快递未知"
	}
	z := zoneWords[zone]
	return []finding{newFinding(ShippingFeeInflated, cfg.Weight, cfg.Hard,
		fmt.Sprintf("退货运费索赔 %s 元,是该包裹(%d 克,%s,%s)常见运费 %s 元的 %.1f 倍", yuan(claim), grams, nameZH, z.ZH, yuan(fee), ratio),
		fmt.Sprintf("Return postage claimed %s yuan is %.1f times the usual %s yuan for this parcel (%d g, %s, %s)", yuan(claim), ratio, yuan(fee), grams, name, z.EN),
		map[string]any{"claim_minor": claim, "typical_fee_minor": fee, "ratio": ratio, "carrier": code,
			"weight_g": grams, "billed_kg": kg, "zone": zone, "tracking_no": p.TrackingNo})}
}

// missingItemContradicted: "missing item" although the outbound parcel
// weighed the whole order and the buyer signed without exception.
func missingItemContradicted(c Case, cfg MissingItemConfig) []finding {
	r, o := c.Refund, c.Order
	if !cfg.Enabled || r.Reason != "missing_item" || withdrawnStatus(r.Status) || o == nil {
		return nil
	}
	s := o.Shipment
	if s == nil || s.WeightG == nil || s.SignedAt.IsZero() || s.SignedWithException {
		return nil
	}
	full, ok := event.ExpectedWeightG(o, nil)
	if !ok {
		return nil
	}
	// What is claimed missing; with no items named, the least it could be:
	// one unit of the lightest line.
	var missing int64
	claimed := r.Items
	if len(claimed) > 0 {
		if missing, ok = event.ExpectedWeightG(o, claimed); !ok {
			return nil
		}
	} else {
		lightest := o.Items[0]
		for _, it := range o.Items[1:] {
			if it.UnitWeightG < lightest.UnitWeightG || (it.UnitWeightG == lightest.UnitWeightG && it.SKUID < lightest.SKUID) {
				lightest = it
			}
		}
		missing = lightest.UnitWeightG
		claimed = []event.ItemRef{{SKUID: lightest.SKUID, Quantity: 1}}
	}
	measured := *s.WeightG
	packaging := max(cfg.PackagingG, int64(math.Round(cfg.PackagingShare*float64(full))))
	without := full - missing + packaging + cfg.ToleranceG // the most the parcel could weigh without the items
	if float64(measured) < cfg.MinMatchRatio*float64(full) || measured <= without {
		return nil
	}
	signer := s.SignedBy
	if signer == "" {
		signer = "unknown"
	}
	when := s.SignedAt.In(chinaTime).Format("2006-01-02 15:04")
	return []finding{newFinding(MissingItemContradicted, cfg.Weight, cfg.Hard,
		fmt.Sprintf("买家称少发 %d 克的商品,但订单 %s 发货时快递称重 %d 克(整单商品 %d 克,缺少时最多约 %d 克),且已于 %s 无异常签收",
			missing, o.OrderID, measured, full, without, when),
		fmt.Sprintf("The buyer says %d g of goods were missing, but order %s weighed %d g at the courier (whole order %d g, at most about %d g without them) and was signed for without exception on %s",
			missing, o.OrderID, measured, full, without, when),
		map[string]any{"order_id": o.OrderID, "outbound_tracking_no": s.TrackingNo, "outbound_carrier": s.Carrier,
			"outbound_weight_g": measured, "expected_order_g": full, "claimed_missing_g": missing, "items_claimed": claimed,
			"max_weight_without_g": without, "signed_at": s.SignedAt, "signed_by": signer})}
}
