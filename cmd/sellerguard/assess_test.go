package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sellerguard/sellerguard/rules"
)

func (s stack) post(t *testing.T, path, token, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// A refund workflow that asks before the stream delivered the refund gets
// the assessment at once, and the facts it sent count like streamed ones.
func TestSynchronousAssess(t *testing.T) {
	s := startStack(t)
	order := `{"event_id":"o-S1","shop_id":"shop-1","occurred_at":"2026-11-10T10:00:00+08:00","order_id":"TS1","buyer_id":"tb_s","status":"signed","created_at":"2026-11-09T10:00:00+08:00","items":[{"sku_id":"COAT","product_id":"P","quantity":1,"unit_weight_g":1450}],"amount_minor":59900,"receiver":{"name":"王","phone":"13700001234","province":"浙江省","city":"杭州市","district":"西湖区","address":"文一路1号2幢301"}}`
	parcel := `{"event_id":"t-S1","shop_id":"shop-1","occurred_at":"2026-11-12T10:00:00+08:00","tracking_no":"SF1400000099001","carrier":"SF","status":"in_transit","weight_g":30}`
	refund := `{"event_id":"r-S1","shop_id":"shop-1","occurred_at":"2026-11-11T10:00:00+08:00","refund_id":"RS1","order_id":"TS1","buyer_id":"tb_s","kind":"return_refund","reason":"quality","status":"returned","requested_at":"2026-11-11T09:00:00+08:00","amount_minor":59900,"return_shipment":{"carrier":"SF","tracking_no":"SF1400000099001","filled_at":"2026-11-11T10:00:00+08:00"}}`
	body := `{"order":` + order + `,"return":` + parcel + `,"refund":` + refund + `}`

	code, out := s.post(t, "/v1/refunds/assess", reviewer1, body)
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, out)
	}
	var a rules.Assessment
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatal(err)
	}
	if a.RefundID != "RS1" || a.Decision != rules.Block || !hasRule(a, rules.EmptyParcel) {
		t.Errorf("assessment %+v", a)
	}
	// Asking again changes nothing: the same answer.
	code, again := s.post(t, "/v1/refunds/assess", reviewer1, body)
	if code != http.StatusOK || !bytes.Equal(out, again) {
		t.Errorf("second ask: %d %s\nfirst %s", code, again, out)
	}
	// And the lookup API serves what was stored.
	if code, got := s.get(t, "/v1/refunds/RS1", shop1Token); code != 200 || !bytes.Equal(got, out) {
		t.Errorf("lookup after assess: %d %s", code, got)
	}
	for _, tc := range []struct {
		name, token, body, errCode string
		code                       int
	}{
		{"viewer token", shop1Token, body, "forbidden", 403},
		{"another shop's token", shop2Token, body, "forbidden", 403},
		{"no refund", reviewer1, `{"order":` + order + `}`, "bad_request", 400},
		{"invalid refund", reviewer1, `{"refund":` + strings.Replace(refund, `"kind":"return_refund"`, `"kind":"teleport"`, 1) + `}`, "bad_request", 400},
		{"not JSON", reviewer1, `{`, "bad_request", 400},
	} {
		code, got := s.post(t, "/v1/refunds/assess", tc.token, tc.body)
		var e struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal(got, &e)
		if code != tc.code || e.Error.Code != tc.errCode {
			t.Errorf("%s: %d %s, want %d %s", tc.name, code, got, tc.code, tc.errCode)
		}
	}
}

func hasRule(a rules.Assessment, code string) bool {
	for _, r := range a.Reasons {
		if r.Rule == code {
			return true
		}
	}
	return false
}
