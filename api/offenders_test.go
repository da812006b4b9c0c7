package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/offender"
)

// fakeOffenderBook records confirmations; it hashes with a real Hasher.
type fakeOffenderBook struct {
	h           *offender.Hasher
	mu          sync.Mutex
	calls       []offenderCall
	withdrawals []offenderCall
	err         error
}

type offenderCall struct {
	shop, refund string
	ids          []offender.Identifier
	at           time.Time
}

func (b *fakeOffenderBook) Hash(id offender.Identifier) string { return b.h.Hash(id) }

func (b *fakeOffenderBook) Confirm(_ context.Context, shop, refundID string, ids []offender.Identifier, at time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	b.calls = append(b.calls, offenderCall{shop, refundID, slices.Clone(ids), at})
	return nil
}

func (b *fakeOffenderBook) Withdraw(_ context.Context, shop, refundID string, upTo time.Time) (offender.Withdrawal, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return offender.Withdrawal{}, b.err
	}
	b.withdrawals = append(b.withdrawals, offenderCall{shop: shop, refund: refundID, at: upTo})
	return offender.Withdrawal{Withdrawn: 1, UpTo: upTo}, nil
}

const (
	offAdmin    = "off-admin-token-0000"
	offReviewer = "off-reviewer-shop-1-0"
	offViewer   = "off-viewer-shop-1-000"
)

func newOffenderServer(t *testing.T) (*Server, *fakeOffenderBook, *prometheus.Registry) {
	t.Helper()
	tokens, err := NewTokens([]Token{
		{Token: offAdmin, Shop: "*", Role: RoleAdmin, Name: "ops"},
		{Token: offReviewer, Shop: "shop-1", Role: RoleReviewer, Name: "after-sales"},
		{Token: offViewer, Shop: "shop-1", Role: RoleViewer},
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := offender.NewHasher([]byte("api-test-key-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	s := New(fakeLookup{}, tokens, nil, reg, reg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	book := &fakeOffenderBook{h: h}
	s.HandleOffenders(book)
	return s, book, reg
}

func postOffenders(t *testing.T, s *Server, token, body string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/offenders", strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, body %s", ct, rec.Body)
	}
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, rec.Body)
	}
	return rec, out
}

func errorOf(t *testing.T, body map[string]any) (code, msg string) {
	t.Helper()
	e, ok := body["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %v", body)
	}
	return e["code"].(string), e["message"].(string)
}

const phoneBody = `{"shop_id": "shop-1", "refund_id": "R1", "identifiers": [{"kind": "phone", "value": "+86 139-0000-1111"}]}`

func TestOffendersRoles(t *testing.T) {
	s, book, _ := newOffenderServer(t)
	for _, tc := range []struct {
		name, token, body string
		code              int
		errCode, shop     string
	}{
		{"no token", "", phoneBody, 401, "unauthorized", ""},
		{"viewer", offViewer, phoneBody, 403, "forbidden", ""},
		{"reviewer, own shop", offReviewer, phoneBody, 201, "", "shop-1"},
		{"reviewer, shop omitted", offReviewer, strings.Replace(phoneBody, `"shop_id": "shop-1", `, "", 1), 201, "", "shop-1"},
		{"reviewer, other shop", offReviewer, strings.Replace(phoneBody, "shop-1", "shop-2", 1), 403, "forbidden", ""},
		{"admin, any shop", offAdmin, strings.Replace(phoneBody, "shop-1", "shop-2", 1), 201, "", "shop-2"},
		{"admin, shop omitted", offAdmin, strings.Replace(phoneBody, `"shop_id": "shop-1", `, "", 1), 400, "bad_request", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(book.calls)
			rec, body := postOffenders(t, s, tc.token, tc.body)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			if tc.errCode != "" {
				if code, _ := errorOf(t, body); code != tc.errCode {
					t.Errorf("error code %q, want %q", code, tc.errCode)
				}
				if len(book.calls) != before {
					t.Error("a refused request reached the book")
				}
				return
			}
			if body["shop_id"] != tc.shop || len(book.calls) != before+1 || book.calls[before].shop != tc.shop {
				t.Errorf("confirmed for %v / %+v, want %s", body["shop_id"], book.calls[before:], tc.shop)
			}
		})
	}
}

func TestOffendersBadRequests(t *testing.T) {
	s, book, _ := newOffenderServer(t)
	wrap := func(ids string) string { return `{"refund_id": "R1", "identifiers": [` + ids + `]}` }
	many := strings.Repeat(`{"kind": "account", "value": "a"},`, 51)
	for _, tc := range []struct {
		name, body, field string
	}{
		{"not JSON", `{"refund_id": `, "body"},
		{"empty body", ``, "body"},
		{"two objects", phoneBody + phoneBody, "body"},
		{"unknown field", `{"refund_id": "R1", "identifiers": [], "note": "x"}`, `"note"`},
		{"unknown identifier field", wrap(`{"kind": "phone", "phone": "1"}`), `"phone"`},
		{"wrong type", `{"refund_id": 7, "identifiers": []}`, "refund_id"},
		{"wrong nested type", wrap(`{"kind": 1, "value": "a"}`), "kind"},
		{"trailing garbage", phoneBody + "}", "body"},
		{"no refund", `{"identifiers": [{"kind": "account", "value": "a"}]}`, "refund_id"},
		{"blank refund", `{"refund_id": "  ", "identifiers": [{"kind": "account", "value": "a"}]}`, "refund_id"},
		{"long refund", `{"refund_id": "` + strings.Repeat("R", 257) + `", "identifiers": [{"kind": "account", "value": "a"}]}`, "refund_id"},
		{"no identifiers", wrap(``), "identifiers"},
		{"too many identifiers", wrap(strings.TrimSuffix(many, ",")), "identifiers"},
		{"no kind", wrap(`{"value": "a"}`), "identifiers[0].kind"},
		{"unknown kind", wrap(`{"kind": "account", "value": "a"}, {"kind": "email", "value": "a@b.c"}`), "identifiers[1].kind"},
		{"account without value", wrap(`{"kind": "account"}`), "identifiers[0].value"},
		{"account with address", wrap(`{"kind": "account", "value": "a", "address": {"city": "杭州"}}`), "identifiers[0].address"},
		{"masked phone", wrap(`{"kind": "phone", "value": "138****5678"}`), "identifiers[0].value"},
		{"short phone", wrap(`{"kind": "phone", "value": "110"}`), "identifiers[0].value"},
		{"address as value", wrap(`{"kind": "address", "value": "杭州市西湖区文三路100号"}`), "identifiers[0].value"},
		{"incomplete address", wrap(`{"kind": "address", "address": {"address": "文三路"}}`), "identifiers[0].address"},
		{"sender, both", wrap(`{"kind": "sender", "value": "13900001111", "address": {"phone": "13900001111"}}`), "identifiers[0]"},
		{"sender, neither", wrap(`{"kind": "sender"}`), "identifiers[0].value"},
		{"sender, nothing usable", wrap(`{"kind": "sender", "address": {"name": "张丽", "phone": "139****1111"}}`), "identifiers[0].address"},
		{"too large", `{"refund_id": "R1", "identifiers": [{"kind": "account", "value": "` + strings.Repeat("a", 70<<10) + `"}]}`, "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, body := postOffenders(t, s, offReviewer, tc.body)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", rec.Code, rec.Body)
			}
			code, msg := errorOf(t, body)
			t.Log(msg)
			if code != "bad_request" || !strings.Contains(msg, tc.field) {
				t.Errorf("error %s %q does not name %s", code, msg, tc.field)
			}
		})
	}
	if len(book.calls) != 0 {
		t.Errorf("bad requests reached the book: %+v", book.calls)
	}
}

// Values are normalized as offender.Identifiers normalizes a case's, spelling
// variants collapse, and the answer lists the hashes stored.
func TestOffendersCreated(t *testing.T) {
	s, book, reg := newOffenderServer(t)
	body := `{"refund_id": "R7", "identifiers": [
		{"kind": "account", "value": "tb_alice"},
		{"kind": "phone", "value": "+86 139-0000-1111"},
		{"kind": "phone", "value": "13900001111"},
		{"kind": "address", "address": {"province": "浙江省", "city": "杭州市", "district": "西湖区", "address": "文三路100号3幢201室"}},
		{"kind": "address", "address": {"province": "浙江", "city": "杭州", "district": "西湖区", "address": "文三路100号 3栋 201"}},
		{"kind": "sender", "value": "0086 139 0000 1111"},
		{"kind": "sender", "address": {"name": "李四", "phone": "13900139000", "province": "浙江省", "city": "杭州市", "district": "余杭区", "address": "良睦路1号5幢302室"}}
	]}`
	before := time.Now().Add(-time.Second)
	rec, out := postOffenders(t, s, offReviewer, body)
	if rec.Code != http.StatusCreated {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	addr := event.Address{Province: "浙江省", City: "杭州市", District: "西湖区", Address: "文三路100号3幢201室"}
	sender := event.Address{Name: "李四", Phone: "13900139000", Province: "浙江省", City: "杭州市", District: "余杭区", Address: "良睦路1号5幢302室"}
	addrID, _ := offender.AddressID(addr)
	want := append([]offender.Identifier{
		{Kind: "account", Value: "tb_alice"},
		{Kind: "phone", Value: "m:13900001111"},
		addrID,
		{Kind: "sender", Value: "m:13900001111"},
	}, offender.SenderIDs(sender)...)
	if len(book.calls) != 1 {
		t.Fatalf("%d calls", len(book.calls))
	}
	c := book.calls[0]
	if c.shop != "shop-1" || c.refund != "R7" || !slices.Equal(c.ids, want) {
		t.Errorf("confirmed %s/%s %v, want shop-1/R7 %v", c.shop, c.refund, c.ids, want)
	}
	if c.at.Before(before) || c.at.After(time.Now()) {
		t.Errorf("confirmed at %s, want now", c.at)
	}
	got, _ := out["identifiers"].([]any)
	if len(got) != len(want) {
		t.Fatalf("answer lists %d identifiers, want %d: %s", len(got), len(want), rec.Body)
	}
	for i, g := range got {
		m := g.(map[string]any)
		if m["kind"] != want[i].Kind || m["hash"] != book.h.Hash(want[i]) {
			t.Errorf("identifiers[%d] = %v, want %s %s", i, m, want[i].Kind, book.h.Hash(want[i]))
		}
	}
	if strings.Contains(rec.Body.String(), "13900001111") || strings.Contains(rec.Body.String(), "tb_alice") {
		t.Errorf("the answer echoes raw identifiers: %s", rec.Body)
	}
	if at, err := time.Parse(time.RFC3339, out["confirmed_at"].(string)); err != nil || !at.Equal(c.at) {
		t.Errorf("confirmed_at %v (%v), want %s", out["confirmed_at"], err, c.at)
	}
	if n := testutil.ToFloat64(s.m.requests.WithLabelValues("/v1/offenders", "201")); n != 1 {
		t.Errorf("requests{route=/v1/offenders,code=201} = %v", n)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestOffendersUnavailable(t *testing.T) {
	s, book, _ := newOffenderServer(t)
	book.err = errors.New("redis down")
	rec, body := postOffenders(t, s, offAdmin, phoneBody)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if code, msg := errorOf(t, body); code != "unavailable" || strings.Contains(msg, "redis down") {
		t.Errorf("error %s %q", code, msg)
	}
}

// Other methods on the path get the API's JSON errors, not the mux's text.
func TestOffendersOtherMethod(t *testing.T) {
	s, _, _ := newOffenderServer(t)
	req := httptest.NewRequest(http.MethodGet, "/v1/offenders", nil)
	req.Header.Set("Authorization", "Bearer "+offAdmin)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code < 400 {
		t.Errorf("GET /v1/offenders: %d %s", rec.Code, rec.Body)
	}
}
