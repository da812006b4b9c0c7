package rules

// extortion_message: a buyer message that threatens a complaint to the
// platform or a regulator, a tax report over invoices, advertising-law
// "extreme words", leaked information, a lawsuit or a bad review, together
// with a demand for money. Either alone is an ordinary message: a polite
// invoice request, a complaint about a slow courier, a question about the
// promised cash-back.

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/sellerguard/sellerguard/event"
)

var threatWords = map[string]Text{
	"platform":   {ZH: "向平台投诉或曝光", EN: "a complaint to the platform or going public"},
	"regulator":  {ZH: "向12315或市场监管部门投诉", EN: "a complaint to 12315 or the market regulator"},
	"invoice":    {ZH: "向税务部门举报", EN: "a report to the tax office"},
	"ad_law":     {ZH: "举报广告法极限词或虚假宣传", EN: "a report under the advertising law (\"extreme words\", false advertising)"},
	"leak":       {ZH: "以信息泄露追责", EN: "a claim over leaked personal information"},
	"bad_review": {ZH: "差评", EN: "a bad review"},
	"legal":      {ZH: "起诉", EN: "a lawsuit"},
}

// amountRE finds a sum of money in a normalized text: 500元, 500块, ¥500,
// 五百块, 赔500, 给我500.
var amountRE = regexp.MustCompile(`[¥$]\d+(?:\.\d+)?|\d+(?:\.\d+)?(?:元|块|圆|rmb|人民币)|[一二两三四五六七八九十百千万]{2,}(?:元|块)|(?:赔|给我|补偿|转)\d{2,}`)

// extortionHit is one message that threatens and demands money.
type extortionHit struct {
	msg     *event.Message
	threats []string
	demands []string
	groups  []string
}

// extortionIn finds the threat and money-demand phrases of one text; ok when
// it has both.
func extortionIn(text string) (threats, demands, groups []string, ok bool) {
	t := normText(text)
	ph := data().phrases
	threats = ph.threats.find(t)
	if len(threats) == 0 {
		return nil, nil, nil, false
	}
	demands = ph.demands.find(t)
	if comp := ph.compensation.find(t); len(comp) > 0 {
		if amounts := amountRE.FindAllString(t, -1); len(amounts) > 0 {
			demands = append(demands, comp...)
			demands = append(demands, amounts...)
		}
	}
	if len(demands) == 0 {
		return nil, nil, nil, false
	}
	slices.Sort(demands)
	demands = slices.Compact(demands)
	g := map[string]bool{}
	for _, p := range threats {
		g[ph.threatGroup[p]] = true
	}
	return threats, demands, sortedSet(g), true
}

// aboutRefund: a message about this refund, its order, or about nothing in particular.
func aboutRefund(m *event.Message, r *event.Refund) bool {
	if m.BuyerID != "" && m.BuyerID != r.BuyerID {
		return false
	}
	return m.RefundID == r.RefundID || m.OrderID == r.OrderID || (m.RefundID == "" && m.OrderID == "")
}

func extortionMessage(c Case, cfg ExtortionConfig) []finding {
	r := c.Refund
	if !cfg.Enabled || len(c.Messages) == 0 {
		return nil
	}
	var hits []extortionHit
	seen := map[string]bool{}
	for _, m := range c.Messages {
		if m == nil || seen[m.MessageID] || !aboutRefund(m, r) {
			continue
		}
		seen[m.MessageID] = true
		if threats, demands, groups, ok := extortionIn(m.Text); ok {
			hits = append(hits, extortionHit{m, threats, demands, groups})
		}
	}
	if len(hits) == 0 {
		return nil
	}
	// Newest first, as the messages come, but fixed whatever order they came in.
	slices.SortFunc(hits, func(a, b extortionHit) int {
		if c := b.msg.OccurredAt.Compare(a.msg.OccurredAt); c != 0 {
			return c
		}
		return strings.Compare(a.msg.MessageID, b.msg.MessageID)
	})
	repeat := cfg.BlockAtMessages > 0 && len(hits) >= cfg.BlockAtMessages
	offender := cfg.BlockOnOffense && len(c.Offenses) > 0
	hard := cfg.Hard || repeat || offender

	h := hits[0]
	phrases := slices.Concat(h.threats, h.demands)
	slices.Sort(phrases)
	phrases = slices.Compact(phrases)
	ids := make([]string, len(hits))
	others := make([]map[string]any, 0, len(hits)-1)
	for i, x := range hits {
		ids[i] = x.msg.MessageID
		if i > 0 {
			others = append(others, map[string]any{"message_id": x.msg.MessageID, "channel": x.msg.Channel, "text": x.msg.Text,
				"threat_phrases": x.threats, "demand_phrases": x.demands})
		}
	}
	slices.Sort(ids)
	evidence := map[string]any{
		"message_id": h.msg.MessageID, "channel": h.msg.Channel, "text": h.msg.Text,
		"threat_groups": h.groups, "threat_phrases": h.threats, "demand_phrases": h.demands, "phrases": phrases,
		"extortion_messages": len(hits), "message_ids": ids, "other_messages": others,
		"repeat": repeat, "known_offender": len(c.Offenses) > 0,
	}
	var zhThreat, enThreat []string
	for _, g := range h.groups {
		w := threatWords[g]
		zhThreat, enThreat = append(zhThreat, w.ZH), append(enThreat, w.EN)
	}
	quoted := make([]string, len(phrases))
	for i, p := range phrases {
		quoted[i] = "“" + p + "”"
	}
	zh := fmt.Sprintf("买家消息 %s(%s)以%s相威胁并索要钱财:%s", h.msg.MessageID, h.msg.Channel, strings.Join(zhThreat, "、"), strings.Join(quoted, ""))
	en := fmt.Sprintf("Buyer message %s (%s) threatens %s and demands money: %s", h.msg.MessageID, h.msg.Channel,
		strings.Join(enThreat, ", "), strings.Join(phrases, ", "))
	switch {
	case repeat:
		zh += fmt.Sprintf(";该买家已有 %d 条此类消息", len(hits))
		en += fmt.Sprintf("; the buyer has sent %d such messages", len(hits))
	case offender:
		zh += ";该买家此前已被确认为恶意"
		en += "; the buyer was confirmed malicious before"
	}
	return []finding{newFinding(ExtortionMessage, cfg.Weight, hard, zh, en, evidence)}
}
