package api

// Reasons in plain words with their evidence as links, and the evidence pack:
// one document with the facts, times and sources of a flagged refund that a
// seller attaches to an appeal on the platform or a report to the
// authorities.
//
//	GET /v1/cases/{refund_id}/evidence      the pack as JSON (the web UI prints it as HTML)

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

// Text is a phrase in both languages.
type Text = rules.Text

// Link points at another object the evidence names.
type Link struct {
	Kind string `json:"kind"` // refund, buyer, order, waybill, message
	ID   string `json:"id"`
	Href string `json:"href"` // the API resource; messages are quoted in the case instead
}

// Fact is one measured or reported value of the evidence.
type Fact struct {
	Key   string `json:"key"`
	Label Text   `json:"label"`
	Value Text   `json:"value"`
}

// Quote is a buyer message the evidence names, in full, with the phrases
// that matched.
type Quote struct {
	MessageID string   `json:"message_id"`
	Channel   string   `json:"channel,omitempty"`
	Text      string   `json:"text"`
	Phrases   []string `json:"phrases,omitempty"`
}

// ExplainedReason is a reason with its evidence turned into links, facts
// and quotes.
type ExplainedReason struct {
	rules.Reason
	RuleName Text    `json:"rule_name"`
	Links    []Link  `json:"links"`
	Facts    []Fact  `json:"facts"`
	Quotes   []Quote `json:"quotes,omitempty"`
}

// RuleNames names each rule in plain words.
var RuleNames = map[string]Text{
	rules.TrackingReused:          {ZH: "退货单号重复使用", EN: "Return waybill reused"},
	rules.EmptyParcel:             {ZH: "空包退货", EN: "Empty return parcel"},
	rules.InspectionFailed:        {ZH: "仓库验货不合格", EN: "Warehouse inspection failed"},
	rules.LowWeightReturn:         {ZH: "退货包裹过轻", EN: "Return parcel too light"},
	rules.MultiAccountAddress:     {ZH: "同一地址多个账号", EN: "Many accounts at one address"},
	rules.ReturnSenderShared:      {ZH: "退货寄件人相同", EN: "Return sender shared"},
	rules.WrongItemSKUSwap:        {ZH: "错发调包", EN: "Wrong item / SKU swap claims"},
	rules.UnacceptedCarrier:       {ZH: "不接受的快递公司", EN: "Carrier not accepted"},
	rules.TrackingInvalid:         {ZH: "退货单号无效", EN: "Invalid return waybill"},
	rules.ReturnMisaddressed:      {ZH: "退货地址不符", EN: "Return sent elsewhere"},
	rules.OrderContactAnomaly:     {ZH: "收货信息异常", EN: "Odd order contact"},
	rules.OrderBurst:              {ZH: "集中下单", EN: "Order burst"},
	rules.RefundOnlyAbuse:         {ZH: "仅退款滥用", EN: "Refund-only abuse"},
	rules.MissingItemContradicted: {ZH: "少件申诉与签收矛盾", EN: "Missing-item claim contradicted"},
	rules.ShippingFeeInflated:     {ZH: "运费虚高", EN: "Inflated shipping fee"},
	rules.StockoutClaimAbuse:      {ZH: "缺货索赔滥用", EN: "Stock-out claim abuse"},
	rules.ExtortionMessage:        {ZH: "勒索消息", EN: "Extortion message"},
	rules.KnownOffender:           {ZH: "已确认的欺诈者", EN: "Known offender"},
}

// RuleName is a rule's plain name; custom rules go by their code.
func RuleName(code string) Text {
	if t, ok := RuleNames[code]; ok {
		return t
	}
	return Text{ZH: code, EN: code}
}

// factLabels names evidence keys shown as facts; keys not listed are shown
// under their own name.
var factLabels = map[string]Text{
	"tracking_no":           {ZH: "退货单号", EN: "Return waybill"},
	"measured_g":            {ZH: "实测重量(克)", EN: "Measured weight (g)"},
	"expected_g":            {ZH: "商品应重(克)", EN: "Expected weight (g)"},
	"floor_g":               {ZH: "空包下限(克)", EN: "Empty-parcel floor (g)"},
	"packaging_allowance_g": {ZH: "包装扣除(克)", EN: "Packaging allowance (g)"},
	"ratio":                 {ZH: "实测/应重", EN: "Measured / expected"},
	"outcome":               {ZH: "验货结果", EN: "Inspection outcome"},
	"note":                  {ZH: "备注", EN: "Note"},
	"inspected_at":          {ZH: "验货时间", EN: "Inspected at"},
	"items_claimed":         {ZH: "申请退货商品", EN: "Items claimed"},
	"items_received":        {ZH: "实收商品", EN: "Items received"},
	"items_missing":         {ZH: "缺少商品", EN: "Items missing"},
	"first_use":             {ZH: "首次使用该单号", EN: "First use of the waybill"},
	"match":                 {ZH: "关联方式", EN: "Linked by"},
	"matched_by":            {ZH: "关联方式", EN: "Linked by"},
	"matched":               {ZH: "匹配项", EN: "Matched"},
	"carrier":               {ZH: "快递公司", EN: "Carrier"},
	"channel":               {ZH: "渠道", EN: "Channel"},
	"window_days":           {ZH: "统计天数", EN: "Window (days)"},
	"claim_count":           {ZH: "申请次数", EN: "Claims"},
	"refund_only_count":     {ZH: "仅退款次数", EN: "Refund-only requests"},
	"order_count":           {ZH: "订单数", EN: "Orders"},
	"problems":              {ZH: "问题", EN: "Problems"},
	"recipient":             {ZH: "收件地址", EN: "Recipient"},
	"recipient_name":        {ZH: "收件人", EN: "Recipient name"},
	"warehouse":             {ZH: "最近的退货仓", EN: "Nearest warehouse"},
	"claim_minor":           {ZH: "申请运费(分)", EN: "Fee claimed (minor units)"},
	"typical_fee_minor":     {ZH: "常见运费(分)", EN: "Typical fee (minor units)"},
	"signed_at":             {ZH: "签收时间", EN: "Signed at"},
	"signed_by":             {ZH: "签收人", EN: "Signed by"},
	"hours_without_record":  {ZH: "无物流记录小时数", EN: "Hours without a logistics record"},
	"parcel_status":         {ZH: "包裹状态", EN: "Parcel status"},
	"expected_format":       {ZH: "应有格式", EN: "Expected format"},
	"extortion_messages":    {ZH: "勒索消息数", EN: "Extortion messages"},
	"repeat":                {ZH: "多次", EN: "Repeated"},
	"known_offender":        {ZH: "已确认欺诈者", EN: "Known offender"},
	"source":                {ZH: "来源", EN: "Source"},
	"filled_at":             {ZH: "填写单号时间", EN: "Waybill filled in at"},
	"product_id":            {ZH: "商品", EN: "Product"},
}

// linkKeys are evidence keys whose values name objects.
var linkKeys = map[string]string{
	"refund_id": "refund", "other_refunds": "refund", "refunds": "refund",
	"buyer_id": "buyer", "accounts": "buyer",
	"order_id": "order", "orders": "order",
	"tracking_no": "waybill", "waybills": "waybill", "outbound_tracking_no": "waybill",
	"message_id": "message", "message_ids": "message",
}

// quoteKeys hold message text and phrases, shown as quotes.
var quoteKeys = map[string]bool{"text": true, "phrases": true, "threat_phrases": true, "demand_phrases": true,
	"threat_groups": true, "other_messages": true, "message_ids": true}

// LinkHref is the API resource of a link.
func LinkHref(shop, kind, id string) string {
	q := url.Values{"shop_id": {shop}}
	switch kind {
	case "refund":
		return "/v1/cases/" + url.PathEscape(id) + "?" + q.Encode()
	case "buyer":
		return "/v1/buyers/" + url.PathEscape(id) + "?" + q.Encode()
	case "message":
		return ""
	}
	q.Set("q", id)
	return "/v1/search?" + q.Encode()
}

// Explain turns one reason's evidence into links, facts and quotes.
func Explain(shop, refundID string, r rules.Reason) ExplainedReason {
	out := ExplainedReason{Reason: r, RuleName: RuleName(r.Rule), Links: []Link{}, Facts: []Fact{}}
	seen := map[string]bool{}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		kind, ok := linkKeys[key]
		switch x := v.(type) {
		case string:
			if ok && x != "" && !(kind == "refund" && x == refundID) && !seen[kind+"\x00"+x] {
				seen[kind+"\x00"+x] = true
				out.Links = append(out.Links, Link{Kind: kind, ID: x, Href: LinkHref(shop, kind, x)})
			}
		case []any:
			for _, e := range x {
				walk(key, e)
			}
		case []string:
			for _, e := range x {
				walk(key, e)
			}
		case map[string]any:
			for _, k := range sortedKeys(x) {
				walk(k, x[k])
			}
		}
	}
	for _, k := range sortedKeys(r.Evidence) {
		v := r.Evidence[k]
		walk(k, v)
		if quoteKeys[k] {
			continue
		}
		if _, isLink := linkKeys[k]; isLink && k != "tracking_no" {
			continue
		}
		if val, ok := factValue(v); ok {
			label, known := factLabels[k]
			if !known {
				label = Text{ZH: k, EN: k}
			}
			out.Facts = append(out.Facts, Fact{Key: k, Label: label, Value: val})
		}
	}
	// The weights side by side first: measured vs expected.
	slices.SortStableFunc(out.Facts, func(a, b Fact) int { return cmp.Compare(factRank(a.Key), factRank(b.Key)) })
	if text, _ := r.Evidence["text"].(string); text != "" {
		id, _ := r.Evidence["message_id"].(string)
		ch, _ := r.Evidence["channel"].(string)
		out.Quotes = append(out.Quotes, Quote{MessageID: id, Channel: ch, Text: text, Phrases: strs(r.Evidence["phrases"])})
	}
	for _, o := range anySlice(r.Evidence["other_messages"]) {
		m, _ := o.(map[string]any)
		text, _ := m["text"].(string)
		if text == "" {
			continue
		}
		id, _ := m["message_id"].(string)
		ch, _ := m["channel"].(string)
		ph := append(strs(m["threat_phrases"]), strs(m["demand_phrases"])...)
		slices.Sort(ph)
		out.Quotes = append(out.Quotes, Quote{MessageID: id, Channel: ch, Text: text, Phrases: slices.Compact(ph)})
	}
	return out
}

func factRank(k string) int {
	switch k {
	case "measured_g":
		return 0
	case "expected_g":
		return 1
	case "ratio":
		return 2
	}
	return 3
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func anySlice(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case []map[string]any:
		out := make([]any, len(x))
		for i, m := range x {
			out[i] = m
		}
		return out
	}
	return nil
}

func strs(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// factValue renders a scalar, a list of scalars or a list of items; nested
// objects are not facts (their ids become links).
func factValue(v any) (Text, bool) {
	same := func(s string) (Text, bool) { return Text{ZH: s, EN: s}, s != "" }
	switch x := v.(type) {
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return same(t.In(chinaTime).Format("2006-01-02 15:04 (UTC+8)"))
		}
		return same(x)
	case bool:
		if x {
			return Text{ZH: "是", EN: "yes"}, true
		}
		return Text{ZH: "否", EN: "no"}, true
	case float64:
		return same(strconv.FormatFloat(x, 'f', -1, 64))
	case int, int64:
		return same(fmt.Sprint(x))
	case time.Time:
		return same(x.In(chinaTime).Format("2006-01-02 15:04 (UTC+8)"))
	case []any, []string, []map[string]any:
		var parts []string
		for _, e := range anySlice(v) {
			switch y := e.(type) {
			case string:
				parts = append(parts, y)
			case float64:
				parts = append(parts, strconv.FormatFloat(y, 'f', -1, 64))
			case map[string]any:
				sku, _ := y["sku_id"].(string)
				if sku == "" {
					return Text{}, false
				}
				parts = append(parts, fmt.Sprintf("%s×%v", sku, y["quantity"]))
			default:
				return Text{}, false
			}
		}
		if s, ok := v.([]string); ok {
			parts = s
		}
		if len(parts) == 0 {
			return Text{ZH: "无", EN: "none"}, true
		}
		return Text{ZH: strings.Join(parts, "、"), EN: strings.Join(parts, ", ")}, true
	}
	return Text{}, false
}

var chinaTime = time.FixedZone("UTC+8", 8*60*60)

// --- evidence pack ----------------------------------------------------------

// Source names where a fact came from: the input topic's kind and event.
type Source struct {
	Kind       string    `json:"kind"` // order, refund, return, message, review
	EventID    string    `json:"event_id,omitempty"`
	OccurredAt time.Time `json:"occurred_at,omitzero"`
}

// TimelineEntry is one dated fact.
type TimelineEntry struct {
	At     time.Time `json:"at"`
	What   Text      `json:"what"`
	Source Source    `json:"source"`
}

// EvidenceParcel is the return parcel as the courier and the warehouse
// reported it, each field with the event it came from.
type EvidenceParcel struct {
	TrackingNo      string            `json:"tracking_no"`
	Carrier         string            `json:"carrier,omitempty"`
	Status          string            `json:"status,omitempty"`
	WeightG         *int64            `json:"weight_g,omitempty"`
	ExpectedWeightG *int64            `json:"expected_weight_g,omitempty"`
	Inspection      *event.Inspection `json:"inspection,omitempty"`
	Sender          *event.Address    `json:"sender,omitempty"`
	Recipient       *event.Address    `json:"recipient,omitempty"`
	LinkedRefund    string            `json:"linked_refund_id,omitempty"`
	Sources         map[string]Source `json:"sources"`
}

// EvidenceRefund is another refund the evidence names.
type EvidenceRefund struct {
	RefundID    string    `json:"refund_id"`
	OrderID     string    `json:"order_id,omitempty"`
	BuyerID     string    `json:"buyer_id,omitempty"`
	Status      string    `json:"status,omitempty"`
	RequestedAt time.Time `json:"requested_at,omitzero"`
	TrackingNo  string    `json:"tracking_no,omitempty"`
	FilledAt    time.Time `json:"filled_at,omitzero"`
	Decision    string    `json:"decision,omitempty"`
	Verdict     string    `json:"verdict,omitempty"`
	Why         []string  `json:"why"` // how it is linked: waybill, sender, rule codes
}

// EvidencePack is everything known about one flagged refund, with sources.
type EvidencePack struct {
	GeneratedAt    time.Time        `json:"generated_at"`
	GeneratedBy    string           `json:"generated_by"`
	ShopID         string           `json:"shop_id"`
	RefundID       string           `json:"refund_id"`
	Case           CaseDetail       `json:"case"`
	Refund         *event.Refund    `json:"refund,omitempty"`
	Order          *event.Order     `json:"order,omitempty"`
	Parcel         *EvidenceParcel  `json:"parcel,omitempty"`
	WaybillRefunds []EvidenceRefund `json:"waybill_refunds"`
	LinkedRefunds  []EvidenceRefund `json:"linked_refunds"`
	Messages       []*event.Message `json:"messages"`
	Timeline       []TimelineEntry  `json:"timeline"`
}

// Evidence builds a case's evidence pack.
func (rv *Review) Evidence(ctx context.Context, tok Token, shop, refundID string) (EvidencePack, error) {
	d, err := rv.Case(ctx, tok, shop, refundID)
	if err != nil {
		return EvidencePack{}, err
	}
	shop = d.ShopID
	loaded, err := rv.cases.Load(ctx, []detector.Ref{{Shop: shop, RefundID: refundID}})
	if err != nil {
		return EvidencePack{}, unavailable(err)
	}
	p := EvidencePack{GeneratedAt: rv.cfg.Now().UTC().Truncate(time.Second), GeneratedBy: Actor(tok), ShopID: shop, RefundID: refundID,
		Case: d, WaybillRefunds: []EvidenceRefund{}, LinkedRefunds: []EvidenceRefund{}, Messages: []*event.Message{}}
	if len(loaded) != 1 || !loaded[0].Found {
		return p, nil
	}
	c := loaded[0].Case
	p.Refund, p.Order = c.Refund, c.Order
	if c.Messages != nil {
		p.Messages = c.Messages
	}
	add := func(at time.Time, what Text, src Source) {
		if !at.IsZero() {
			p.Timeline = append(p.Timeline, TimelineEntry{At: at, What: what, Source: src})
		}
	}
	if o := c.Order; o != nil {
		src := Source{Kind: "order", EventID: o.EventID, OccurredAt: o.OccurredAt}
		add(o.CreatedAt, Text{ZH: "下单 " + o.OrderID, EN: "Order " + o.OrderID + " placed"}, src)
		if s := o.Shipment; s != nil {
			add(s.ShippedAt, Text{ZH: "发货,运单 " + s.TrackingNo, EN: "Shipped, waybill " + s.TrackingNo}, src)
			add(s.SignedAt, Text{ZH: "签收:" + s.SignedBy, EN: "Signed for by " + s.SignedBy}, src)
		}
	}
	r := c.Refund
	rsrc := Source{Kind: "refund", EventID: r.EventID, OccurredAt: r.OccurredAt}
	add(r.RequestedAt, Text{ZH: fmt.Sprintf("申请退款 %s(%s,%s)", r.RefundID, r.RefundKind, r.Reason),
		EN: fmt.Sprintf("Refund %s requested (%s, %s)", r.RefundID, r.RefundKind, r.Reason)}, rsrc)
	if s := r.ReturnShipment; s != nil {
		add(s.FilledAt, Text{ZH: "填写退货单号 " + s.TrackingNo + "(" + s.Carrier + ")", EN: "Return waybill " + s.TrackingNo + " (" + s.Carrier + ") filled in"}, rsrc)
	}
	if pc := c.Parcel; pc != nil {
		ep := &EvidenceParcel{TrackingNo: pc.TrackingNo, Carrier: pc.Carrier, Status: pc.Status, WeightG: pc.WeightG,
			Inspection: pc.Inspection, Sender: pc.Sender, Recipient: pc.Recipient, LinkedRefund: pc.RefundID, Sources: map[string]Source{}}
		items := r.Items
		if w, ok := event.ExpectedWeightG(c.Order, items); ok {
			ep.ExpectedWeightG = &w
		}
		srcs, err := rv.store.ParcelSources(ctx, shop, pc.TrackingNo)
		if err != nil {
			return EvidencePack{}, unavailable(err)
		}
		for field, v := range srcs {
			ts, id, _ := strings.Cut(v, "|")
			at, _ := time.Parse(time.RFC3339Nano, ts)
			ep.Sources[field] = Source{Kind: "return", EventID: id, OccurredAt: at}
		}
		if s, ok := ep.Sources["status"]; ok {
			add(s.OccurredAt, Text{ZH: "退货包裹状态:" + pc.Status, EN: "Return parcel status: " + pc.Status}, s)
		}
		if s, ok := ep.Sources["weight_g"]; ok && pc.WeightG != nil {
			add(s.OccurredAt, Text{ZH: fmt.Sprintf("退货包裹称重 %d 克", *pc.WeightG), EN: fmt.Sprintf("Return parcel weighed %d g", *pc.WeightG)}, s)
		}
		if in := pc.Inspection; in != nil {
			s := ep.Sources["inspection"]
			at := in.InspectedAt
			if at.IsZero() {
				at = s.OccurredAt
			}
			add(at, Text{ZH: "仓库验货:" + in.Outcome + " " + in.Note, EN: "Warehouse inspection: " + in.Outcome + " " + in.Note}, s)
		}
		p.Parcel = ep
	}
	for _, w := range c.WaybillRefunds {
		if w.Refund == nil {
			continue
		}
		er := evidenceRefund(w.Refund, "waybill")
		p.WaybillRefunds = append(p.WaybillRefunds, er)
		if s := w.Refund.ReturnShipment; s != nil {
			add(s.FilledAt, Text{ZH: "退款 " + w.Refund.RefundID + " 也填写了退货单号 " + s.TrackingNo, EN: "Refund " + w.Refund.RefundID + " filled in the same waybill " + s.TrackingNo},
				Source{Kind: "refund", EventID: w.Refund.EventID, OccurredAt: w.Refund.OccurredAt})
		}
	}
	// Refunds the reasons name, and other parcels of the same sender.
	why := map[string][]string{}
	for _, reason := range d.Reasons {
		for _, l := range reason.Links {
			if l.Kind == "refund" {
				why[l.ID] = append(why[l.ID], reason.Rule)
			}
		}
	}
	for _, sl := range c.SenderLinks {
		if sl.RefundID != "" && sl.RefundID != refundID {
			why[sl.RefundID] = append(why[sl.RefundID], "sender_"+sl.Match)
		}
	}
	if len(why) > 0 {
		ids := make([]string, 0, len(why))
		for id := range why {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		if len(ids) > 100 {
			ids = ids[:100]
		}
		rows, err := rv.store.ReviewRows(ctx, shop, ids)
		if err != nil {
			return EvidencePack{}, unavailable(err)
		}
		now := rv.cfg.Now()
		for i, row := range rows {
			cs, ok := rv.summarize(shop, row, now)
			er := EvidenceRefund{RefundID: ids[i]}
			if ok && cs.refund != nil {
				er = evidenceRefund(cs.refund, "")
			}
			er.Decision, er.Verdict = cs.Decision, cs.Verdict
			w := why[ids[i]]
			slices.Sort(w)
			er.Why = slices.Compact(w)
			p.LinkedRefunds = append(p.LinkedRefunds, er)
		}
	}
	for _, m := range c.Messages {
		add(m.OccurredAt, Text{ZH: "买家消息 " + m.MessageID + "(" + m.Channel + ")", EN: "Buyer message " + m.MessageID + " (" + m.Channel + ")"},
			Source{Kind: "message", EventID: m.EventID, OccurredAt: m.OccurredAt})
	}
	for _, a := range d.Audit {
		w := auditWords[a.Action]
		what := Text{ZH: "审核:" + cmp.Or(w.ZH, a.Action), EN: "Review: " + cmp.Or(w.EN, a.Action)}
		if v, ok := verdictWords[a.Verdict]; ok {
			what.ZH += "(" + v.ZH + ")"
			what.EN += " (" + v.EN + ")"
		}
		add(a.At, what, Source{Kind: "review", EventID: a.By})
	}
	slices.SortStableFunc(p.Timeline, func(a, b TimelineEntry) int { return a.At.Compare(b.At) })
	return p, nil
}

var auditWords = map[string]Text{
	"opened": {ZH: "进入审核队列", EN: "entered review"}, "claimed": {ZH: "认领", EN: "claimed"},
	"released": {ZH: "放弃认领", EN: "released"}, "verdict": {ZH: "结案", EN: "verdict"},
	"reopened": {ZH: "重新打开", EN: "reopened"}, "deadline": {ZH: "修改截止时间", EN: "deadline moved"},
}

var verdictWords = map[string]Text{VerdictFraud: {ZH: "欺诈", EN: "fraud"}, VerdictLegit: {ZH: "正常", EN: "legit"}}

func evidenceRefund(r *event.Refund, why string) EvidenceRefund {
	er := EvidenceRefund{RefundID: r.RefundID, OrderID: r.OrderID, BuyerID: r.BuyerID, Status: r.Status, RequestedAt: r.RequestedAt, Why: []string{}}
	if s := r.ReturnShipment; s != nil {
		er.TrackingNo, er.FilledAt = s.TrackingNo, s.FilledAt
	}
	if why != "" {
		er.Why = append(er.Why, why)
	}
	return er
}

func (s *Server) handleEvidence(rv *Review) {
	s.route("GET /v1/cases/{refund_id}/evidence", "/v1/cases/{refund_id}/evidence", s.authed(func(w http.ResponseWriter, r *http.Request, tok Token) {
		p, err := rv.Evidence(r.Context(), tok, r.URL.Query().Get("shop_id"), r.PathValue("refund_id"))
		if err == nil {
			w.Header().Set("Content-Disposition", `inline; filename="evidence-`+safeName(p.ShopID)+"-"+safeName(p.RefundID)+`.json"`)
		}
		s.answer(w, http.StatusOK, p, err)
	}))
}

// safeName keeps a file name to letters, digits, dash and underscore.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
