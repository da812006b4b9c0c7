package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/rules"
)

// A reviewer marks the first buyer on a reused waybill safe from that rule:
// the refund is assessed again at once, approved, and says what was held back.
func TestAllowanceThroughTheAPI(t *testing.T) {
	s := startStack(t)
	s.produce(t, exampleRecords(t, s.cfg))
	s.waitDecision(t, "R1001", rules.Review)
	until := time.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)
	body := `{"refund_id":"R1001","kind":"account","value":"tb_alice","rules":["tracking_reused","tracking_invalid"],"until":"` + until + `","reason":"她的单号被人盗用"}`
	if code, out := s.post(t, "/v1/allowances", reviewer1, body); code != http.StatusCreated {
		t.Fatalf("%d %s", code, out)
	}
	a := s.waitDecision(t, "R1001", rules.Approve)
	if len(a.Suppressed) == 0 || a.Suppressed[0].Rule != rules.TrackingReused || a.Suppressed[0].Reason != "她的单号被人盗用" {
		t.Errorf("R1001 %+v", a)
	}
	if _, body := s.get(t, "/metrics", ""); !strings.Contains(string(body), `sellerguard_allowances_total{kind="account"} 1`) {
		t.Error("the allowance is not counted")
	}
	// R1002, the reuser, is untouched.
	if a := s.waitDecision(t, "R1002", rules.Block); len(a.Suppressed) != 0 {
		t.Errorf("R1002 %+v", a.Suppressed)
	}
	code, out := s.get(t, "/v1/allowances", shop1Token)
	var list struct{ Allowances []rules.Allowance }
	if code != 200 || json.Unmarshal(out, &list) != nil || len(list.Allowances) != 1 || list.Allowances[0].Key != "tb_alice" {
		t.Errorf("list: %d %s", code, out)
	}
	for _, tc := range []struct {
		name, token, body string
		code              int
	}{
		{"viewer", shop1Token, body, 403},
		{"another shop", reviewer1, strings.Replace(body, `{"refund_id"`, `{"shop_id":"shop-2","refund_id"`, 1), 403},
		{"bad kind", reviewer1, strings.Replace(body, `"account"`, `"planet"`, 1), 400},
		{"masked phone", reviewer1, strings.Replace(strings.Replace(body, `"account"`, `"phone"`, 1), `"tb_alice"`, `"138****5678"`, 1), 400},
		{"expired", reviewer1, strings.Replace(body, until, "2020-01-01T00:00:00Z", 1), 400},
		{"no reason", reviewer1, strings.Replace(body, `"她的单号被人盗用"`, `""`, 1), 400},
	} {
		if code, out := s.post(t, "/v1/allowances", tc.token, tc.body); code != tc.code {
			t.Errorf("%s: %d %s", tc.name, code, out)
		}
	}
}
