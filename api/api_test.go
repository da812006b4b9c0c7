package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeLookup is an in-memory Lookup: shop -> refund -> assessment JSON.
type fakeLookup struct {
	data map[string]map[string]string
	err  error
}

func (f fakeLookup) Assessment(_ context.Context, shop, id string) ([]byte, bool, error) {
	if f.err != nil {
		return nil, false, f.err
	}
	body, ok := f.data[shop][id]
	return []byte(body), ok, nil
}

func (f fakeLookup) RefundShops(_ context.Context, id string) ([]string, error) {
	if f.err != nil {
		return nil, f.err
	}
	var shops []string
	for _, s := range []string{"shop-1", "shop-2"} {
		if _, ok := f.data[s][id]; ok {
			shops = append(shops, s)
		}
	}
	return shops, nil
}

const (
	admin = "admin-token-000000000"
	one   = "shop-1-token-00000000"
	two   = "shop-2-token-00000000"
)

func newServer(t *testing.T, lookup Lookup, checks ...Check) (*Server, *prometheus.Registry) {
	t.Helper()
	tokens, err := NewTokens([]Token{
		{Token: admin, Shop: "*", Role: RoleAdmin},
		{Token: one, Shop: "shop-1", Role: RoleViewer},
		{Token: two, Shop: "shop-2", Role: RoleReviewer},
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	return New(lookup, tokens, checks, reg, reg, slog.New(slog.NewTextHandler(io.Discard, nil))), reg
}

func TestGetRefund(t *testing.T) {
	lookup := fakeLookup{data: map[string]map[string]string{
		"shop-1": {"R1": `{"refund_id":"R1","shop_id":"shop-1"}`, "R9": `{"refund_id":"R9","shop_id":"shop-1"}`},
		"shop-2": {"R2": `{"refund_id":"R2","shop_id":"shop-2"}`, "R9": `{"refund_id":"R9","shop_id":"shop-2"}`},
	}}
	s, reg := newServer(t, lookup)
	for _, tc := range []struct {
		name, path, auth string
		code             int
		body, errCode    string
	}{
		{"own shop", "/v1/refunds/R1", "Bearer " + one, 200, `"shop_id":"shop-1"`, ""},
		{"other shop is not found", "/v1/refunds/R2", "Bearer " + one, 404, "", "not_found"},
		{"shop token ignores shop_id", "/v1/refunds/R2?shop_id=shop-2", "Bearer " + one, 404, "", "not_found"},
		{"admin finds any shop", "/v1/refunds/R2", "Bearer " + admin, 200, `"shop_id":"shop-2"`, ""},
		{"admin, id in two shops", "/v1/refunds/R9", "Bearer " + admin, 409, "", "ambiguous_refund"},
		{"admin names the shop", "/v1/refunds/R9?shop_id=shop-2", "Bearer " + admin, 200, `"shop_id":"shop-2"`, ""},
		{"admin, unknown", "/v1/refunds/R404", "Bearer " + admin, 404, "", "not_found"},
		{"no token", "/v1/refunds/R1", "", 401, "", "unauthorized"},
		{"unknown token", "/v1/refunds/R1", "Bearer nope-nope-nope-nope", 401, "", "unauthorized"},
		{"not bearer", "/v1/refunds/R1", "Basic " + one, 401, "", "unauthorized"},
		{"unknown route", "/v2/refunds/R1", "Bearer " + admin, 404, "", "not_found"},
		{"healthz", "/healthz", "", 200, `"ok"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("content type %q", ct)
			}
			if tc.body != "" && !strings.Contains(rec.Body.String(), tc.body) {
				t.Errorf("body %s lacks %s", rec.Body, tc.body)
			}
			if tc.errCode != "" {
				var e struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code != tc.errCode || e.Error.Message == "" {
					t.Errorf("error body %s, want code %s", rec.Body, tc.errCode)
				}
			}
		})
	}
	if n := testutil.ToFloat64(s.m.requests.WithLabelValues("/v1/refunds/{refund_id}", "401")); n != 3 {
		t.Errorf("401s counted %v, want 3", n)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("metrics lint: %v %v", problems, err)
	}
}

func TestStoreDownIs503(t *testing.T) {
	s, _ := newServer(t, fakeLookup{err: errors.New("dial tcp: refused")})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/v1/refunds/R1", nil)
	req.Header.Set("Authorization", "Bearer "+one)
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"unavailable"`) {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "refused") {
		t.Error("internal error text leaked to the client")
	}
}

func TestReadyz(t *testing.T) {
	ok := Check{Name: "redis", Ping: func(context.Context) error { return nil }}
	down := Check{Name: "kafka", Ping: func(context.Context) error { return errors.New("no broker") }}
	for _, tc := range []struct {
		checks []Check
		code   int
		want   map[string]string
	}{
		{[]Check{ok}, 200, map[string]string{"redis": "ok"}},
		{[]Check{ok, down}, 503, map[string]string{"redis": "ok", "kafka": "no broker"}},
	} {
		s, _ := newServer(t, fakeLookup{}, tc.checks...)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		var got map[string]string
		_ = json.Unmarshal(rec.Body.Bytes(), &got)
		if rec.Code != tc.code || len(got) != len(tc.want) {
			t.Errorf("%d %v, want %d %v", rec.Code, got, tc.code, tc.want)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %q, want %q", k, got[k], v)
			}
		}
	}
}

func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		name, file, err string
		n               int
	}{
		{"valid", "tokens:\n  - {token: aaaaaaaaaaaaaaaa, shop: s1, role: viewer}\n  - {token: bbbbbbbbbbbbbbbb, shop: \"*\", role: admin}\n", "", 2},
		{"short token", "tokens:\n  - {token: short, shop: s1, role: viewer}\n", "line 2: token", 0},
		{"bad role", "tokens:\n  - {token: aaaaaaaaaaaaaaaa, shop: s1, role: viewer}\n  - {token: bbbbbbbbbbbbbbbb, shop: s1, role: boss}\n", "line 3: role", 0},
		{"admin of one shop", "tokens:\n  - {token: aaaaaaaaaaaaaaaa, shop: s1, role: admin}\n", "line 2: shop", 0},
		{"no shop", "tokens:\n  - {token: aaaaaaaaaaaaaaaa, role: viewer}\n", "line 2: shop", 0},
		{"unknown key", "tokenz: []\n", "tokenz", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTokens(strings.NewReader(tc.file))
			if tc.err == "" {
				if err != nil || len(got) != tc.n {
					t.Fatalf("%v %v", got, err)
				}
				if _, err := NewTokens(got); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want it to contain %q", err, tc.err)
			}
		})
	}
	if _, err := NewTokens([]Token{{Token: admin, Shop: "*", Role: RoleAdmin}, {Token: admin, Shop: "*", Role: RoleAdmin}}); err == nil {
		t.Error("duplicate tokens accepted")
	}
}
