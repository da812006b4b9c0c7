package detector_test

import (
	"fmt"
	"testing"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

// emptyParcelFlood makes n refunds of coats whose return parcels weigh 20 g.
func emptyParcelFlood(n int) []event.Raw {
	var out []event.Raw
	for i := range n {
		o, r, w := fmt.Sprintf("TF%d", i), fmt.Sprintf("RF%d", i), fmt.Sprintf("SF14000077%05d", i)
		out = append(out,
			event.Raw{Topic: "orders", Value: fmt.Appendf(nil, `{"event_id":"o-%s","shop_id":"shop-1","occurred_at":"2026-11-10T10:00:00+08:00","order_id":"%s","buyer_id":"tb_f%d","status":"signed","created_at":"2026-11-09T10:00:00+08:00","items":[{"sku_id":"COAT","product_id":"P","quantity":1,"unit_weight_g":1450}],"amount_minor":59900,"receiver":{"name":"王","phone":"1370000%04d","province":"浙江省","city":"杭州市","district":"西湖区","address":"文一路%d号"}}`, o, o, i, i, i)},
			event.Raw{Topic: "refunds", Value: fmt.Appendf(nil, `{"event_id":"r-%s","shop_id":"shop-1","occurred_at":"2026-11-11T10:00:00+08:00","refund_id":"%s","order_id":"%s","buyer_id":"tb_f%d","kind":"return_refund","reason":"quality","status":"returned","requested_at":"2026-11-11T09:00:00+08:00","amount_minor":59900,"return_shipment":{"carrier":"SF","tracking_no":"%s","filled_at":"2026-11-11T10:00:00+08:00"}}`, r, r, o, i, w)},
			event.Raw{Topic: "returns", Value: fmt.Appendf(nil, `{"event_id":"t-%s","shop_id":"shop-1","occurred_at":"2026-11-11T12:00:00+08:00","tracking_no":"%s","carrier":"SF","status":"in_transit","weight_g":20}`, w, w)},
		)
	}
	return out
}

// A flood from one rule trips its guardrail: past the cap, holds become
// reviews that say why, and are counted.
func TestGuardrailTripsUnderAFlood(t *testing.T) {
	pl := newPipeline(t)
	cfg := rules.Defaults()
	cfg.Guardrails.MaxHoldsPerRulePerHour = 3
	set, err := rules.NewSet("guarded", cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	pl.p.SetRules(set)
	flood := emptyParcelFlood(8)
	for i := 0; i < len(flood); i += 3 { // one refund per batch, in order
		pl.feed(t, flood[i:i+3])
	}
	held, released := 0, 0
	for i := range 8 {
		a := pl.assessment(t, "shop-1", fmt.Sprintf("RF%d", i))
		switch {
		case a.Decision == rules.Block && a.Action == rules.HoldAndRefuse && a.Guardrail == nil:
			held++
		case a.Decision == rules.Review && a.Action == rules.HoldForReview && a.Guardrail != nil &&
			a.Guardrail.Scope == rules.EmptyParcel && a.Guardrail.Cap == 3 && a.Guardrail.Text.ZH != "":
			released++
		default:
			t.Errorf("RF%d: %s %s %+v", i, a.Decision, a.Action, a.Guardrail)
		}
	}
	if held != 3 || released != 5 {
		t.Errorf("held %d, released to review %d; want 3 and 5", held, released)
	}
	// Assessing the held ones again does not count them twice.
	pl.feed(t, flood[:3])
	if a := pl.assessment(t, "shop-1", "RF0"); a.Decision != rules.Block {
		t.Errorf("RF0 after redelivery: %s %+v", a.Decision, a.Guardrail)
	}
}
