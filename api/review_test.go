package api

// Handler tests of the staff workflow against the real store on a real
// redis-server, with the world of package browsertest run through the real
// detector; the offender book and the decision topic are recorders.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sellerguard/sellerguard/browsertest"
	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/offender"
	"github.com/sellerguard/sellerguard/store"
)

// The store is a ReviewStore: the aliased row types of both packages agree.
var _ ReviewStore = (*store.Redis)(nil)
var _ CaseLoader = (*store.Redis)(nil)

const (
	rvAdmin    = "review-admin-token-000"
	rvAnn      = "review-ann-shop-1-0000"
	rvBob      = "review-bob-shop-1-0000"
	rvViewer   = "review-viewer-shop-1-00"
	rvOther    = "review-cat-shop-2-0000"
	rvNameless = "review-nameless-shop-1-0"
)

type recordingPublisher struct {
	mu   sync.Mutex
	msgs []event.Raw
	err  error
}

func (p *recordingPublisher) Publish(_ context.Context, msgs []event.Raw) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.msgs = append(p.msgs, msgs...)
	return nil
}

func (p *recordingPublisher) sent() []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]map[string]any, len(p.msgs))
	for i, m := range p.msgs {
		_ = json.Unmarshal(m.Value, &out[i])
	}
	return out
}

type reviewEnv struct {
	world *browsertest.World
	srv   *Server
	rv    *Review
	book  *fakeOffenderBook
	pub   *recordingPublisher
	reg   *prometheus.Registry
	now   time.Time
	mu    sync.Mutex
}

func (e *reviewEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *reviewEnv) setNow(t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = t
}

// worldNow is a Wednesday, 10:00 in China: the world's cases entered review
// at 09:00 that day.
var worldNow = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)

func newReviewEnv(t *testing.T) *reviewEnv {
	t.Helper()
	tokens, err := NewTokens([]Token{
		{Token: rvAdmin, Shop: "*", Role: RoleAdmin, Name: "ops"},
		{Token: rvAnn, Shop: "shop-1", Role: RoleReviewer, Name: "ann"},
		{Token: rvBob, Shop: "shop-1", Role: RoleReviewer, Name: "bob"},
		{Token: rvViewer, Shop: "shop-1", Role: RoleViewer, Name: "vic"},
		{Token: rvOther, Shop: "shop-2", Role: RoleReviewer, Name: "cat"},
		{Token: rvNameless, Shop: "shop-1", Role: RoleReviewer},
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := offender.NewHasher([]byte("api-test-key-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	e := &reviewEnv{world: browsertest.NewWorld(t, worldNow), book: &fakeOffenderBook{h: h}, pub: &recordingPublisher{},
		reg: prometheus.NewRegistry(), now: worldNow}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.srv = New(fakeLookup{}, tokens, nil, e.reg, e.reg, log)
	e.rv = NewReview(e.world.Store, e.world.Store, e.book, e.pub, ReviewConfig{Now: e.clock}, e.reg, log)
	e.srv.HandleReview(e.rv)
	e.srv.HandleOpenAPI()
	return e
}

// call makes one request and decodes the JSON answer.
func (e *reviewEnv) call(t *testing.T, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: %d, not JSON: %q", method, path, rec.Code, rec.Body.String())
	}
	return rec.Code, out
}

func (e *reviewEnv) must(t *testing.T, want int, method, path, token string, body any) map[string]any {
	t.Helper()
	code, out := e.call(t, method, path, token, body)
	if code != want {
		t.Fatalf("%s %s as %s: %d %v, want %d", method, path, token, code, out, want)
	}
	return out
}

func errCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func caseIDs(out map[string]any) []string {
	var ids []string
	list, _ := out["cases"].([]any)
	if list == nil {
		list, _ = out["hits"].([]any)
	}
	for _, c := range list {
		m := c.(map[string]any)
		ids = append(ids, fmt.Sprint(m["shop_id"], "/", m["refund_id"]))
	}
	return ids
}

func TestReviewQueueOrderAndFilters(t *testing.T) {
	e := newReviewEnv(t)
	for _, tc := range []struct {
		token, query string
		want         []string
	}{
		// Blocked first; then by score; equal scores by amount (R1003 is 1196 yuan).
		{rvAnn, "", []string{"shop-1/R1002", "shop-1/R1003", "shop-1/R1001", "shop-1/R1004"}},
		{rvViewer, "", []string{"shop-1/R1002", "shop-1/R1003", "shop-1/R1001", "shop-1/R1004"}},
		{rvOther, "", []string{"shop-2/R2002", "shop-2/R2001"}},
		{rvAdmin, "", []string{"shop-1/R1002", "shop-2/R2002", "shop-1/R1003", "shop-1/R1001", "shop-2/R2001", "shop-1/R1004"}},
		{rvAdmin, "?shop_id=shop-2", []string{"shop-2/R2002", "shop-2/R2001"}},
		{rvAnn, "?shop_id=shop-2", nil}, // another shop looks empty
		{rvAnn, "?rule=low_weight_return", []string{"shop-1/R1003"}},
		{rvAnn, "?rule=extortion_message", []string{"shop-1/R1004"}},
		{rvAnn, "?decision=block", []string{"shop-1/R1002"}},
		{rvAnn, "?decision=review&limit=2", []string{"shop-1/R1003", "shop-1/R1001"}},
		{rvAnn, "?owner=none", []string{"shop-1/R1002", "shop-1/R1003", "shop-1/R1001", "shop-1/R1004"}},
		{rvAnn, "?owner=me", nil},
		{rvAnn, "?overdue=true", nil},
		{rvAnn, "?status=closed", nil},
	} {
		out := e.must(t, 200, "GET", "/v1/cases"+tc.query, tc.token, nil)
		if got := caseIDs(out); !slices.Equal(got, tc.want) {
			t.Errorf("%s %q: %v, want %v", tc.token, tc.query, got, tc.want)
		}
	}
	out := e.must(t, 200, "GET", "/v1/cases?limit=1", rvAnn, nil)
	c := out["cases"].([]any)[0].(map[string]any)
	if out["total"] != 4.0 || c["status"] != "open" || c["decision"] != "block" || c["score"] != 95.0 || c["amount_minor"] != 59900.0 ||
		c["overdue"] != false || c["buyer_id"] != "tb_bob" {
		t.Fatalf("first case %v (total %v)", c, out["total"])
	}
	// Entered review at the assessment (09:00 China time), due at 18:00 that day.
	if c["opened_at"] != "2026-11-25T01:00:00Z" || c["deadline"] != "2026-11-25T10:00:00Z" || c["age_seconds"] != 3600.0 {
		t.Fatalf("opened %v deadline %v age %v", c["opened_at"], c["deadline"], c["age_seconds"])
	}
	for _, q := range []string{"?decision=approve", "?status=x", "?overdue=maybe", "?limit=0", "?limit=5000"} {
		if out := e.must(t, 400, "GET", "/v1/cases"+q, rvAnn, nil); errCode(out) != "bad_request" {
			t.Errorf("%s: %v", q, out)
		}
	}
	e.must(t, 401, "GET", "/v1/cases", "", nil)
	e.must(t, 401, "GET", "/v1/cases", "not-a-token-at-all-000", nil)

	// After 18:00 every open case is overdue.
	e.setNow(time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC))
	if got := caseIDs(e.must(t, 200, "GET", "/v1/cases?overdue=true&decision=block", rvAnn, nil)); !slices.Equal(got, []string{"shop-1/R1002"}) {
		t.Fatalf("overdue: %v", got)
	}
}

func TestReviewAuthorization(t *testing.T) {
	e := newReviewEnv(t)
	// Another shop's case is unknown, to read and to change.
	for _, path := range []string{"/v1/cases/R1002", "/v1/cases/R1002?shop_id=shop-1", "/v1/cases/R1002/evidence", "/v1/buyers/tb_bob",
		"/v1/buyers/tb_bob?shop_id=shop-1"} {
		if out := e.must(t, 404, "GET", path, rvOther, nil); errCode(out) != "not_found" {
			t.Errorf("%s: %v", path, out)
		}
	}
	for _, step := range []string{"claim", "release", "reopen", "verdict", "deadline"} {
		body := map[string]any{"verdict": "fraud", "note": "x"}
		switch step {
		case "reopen":
			body = map[string]any{}
		case "deadline":
			body = map[string]any{"deadline": "2026-12-01T10:00:00+08:00"}
		case "claim", "release":
			body = nil
		}
		if out := e.must(t, 404, "POST", "/v1/cases/R1002/"+step, rvOther, body); errCode(out) != "not_found" {
			t.Errorf("%s by another shop: %v", step, out)
		}
		if out := e.must(t, 404, "POST", "/v1/cases/R1002/"+step+"?shop_id=shop-1", rvOther, body); errCode(out) != "not_found" {
			t.Errorf("%s by another shop naming it: %v", step, out)
		}
		// Viewers read only.
		if out := e.must(t, 403, "POST", "/v1/cases/R1002/"+step, rvViewer, body); errCode(out) != "forbidden" {
			t.Errorf("%s by a viewer: %v", step, out)
		}
		e.must(t, 401, "POST", "/v1/cases/R1002/"+step, "", body)
	}
	if got := caseIDs(e.must(t, 200, "GET", "/v1/search?q=R1002", rvOther, nil)); len(got) != 0 {
		t.Errorf("shop-2 finds %v", got)
	}
	// Nothing of shop-1 changed.
	out := e.must(t, 200, "GET", "/v1/cases/R1002", rvViewer, nil)
	if out["status"] != "open" || out["owner"] != nil || len(out["actions"].([]any)) != 0 {
		t.Fatalf("after refusals: %v", out)
	}
	// An admin acts anywhere; a refund id in one shop needs no shop_id.
	out = e.must(t, 200, "POST", "/v1/cases/R2002/claim", rvAdmin, nil)
	if out["owner"] != "ops" || out["shop_id"] != "shop-2" {
		t.Fatalf("admin claim: %v", out)
	}
	// The reviewer of shop-2 sees the admin's claim; an admin may release it.
	if out := e.must(t, 409, "POST", "/v1/cases/R2002/claim", rvOther, nil); errCode(out) != "case_taken" {
		t.Fatalf("claim of the admin's case: %v", out)
	}
	e.must(t, 404, "GET", "/v1/cases/R9999", rvAdmin, nil)
	e.must(t, 404, "GET", "/v1/cases/R9999", rvAnn, nil)
	// Approved refunds have a case view but cannot be claimed.
	out = e.must(t, 200, "GET", "/v1/cases/R1005", rvAnn, nil)
	if out["queued"] != false || out["decision"] != "approve" || len(out["actions"].([]any)) != 0 {
		t.Fatalf("approved refund: %v", out)
	}
	if out := e.must(t, 409, "POST", "/v1/cases/R1005/claim", rvAnn, nil); errCode(out) != "not_in_queue" {
		t.Fatalf("claim approved: %v", out)
	}
}

// decisionSchema validates decision events against the contract.
func decisionSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile(filepath.Join("..", "testdata", "schemas", "decision.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReviewClaimVerdictReopen(t *testing.T) {
	e := newReviewEnv(t)
	out := e.must(t, 200, "POST", "/v1/cases/R1002/claim", rvAnn, nil)
	if out["owner"] != "ann" || out["claimed_at"] != "2026-11-25T02:00:00Z" || !slices.Equal(anyStrings(out["actions"]), []string{"release", "verdict", "deadline"}) {
		t.Fatalf("claim: %v", out)
	}
	e.must(t, 200, "POST", "/v1/cases/R1002/claim", rvAnn, nil) // a double click
	// Two reviewers cannot own one case.
	if out := e.must(t, 409, "POST", "/v1/cases/R1002/claim", rvBob, nil); errCode(out) != "case_taken" || !strings.Contains(out["error"].(map[string]any)["message"].(string), "ann") {
		t.Fatalf("second claim: %v", out)
	}
	if out := e.must(t, 409, "POST", "/v1/cases/R1002/release", rvBob, nil); errCode(out) != "not_owner" {
		t.Fatalf("release by another: %v", out)
	}
	if out := e.must(t, 409, "POST", "/v1/cases/R1002/verdict", rvBob, map[string]any{"verdict": "legit", "note": "x"}); errCode(out) != "not_owner" {
		t.Fatalf("verdict by another: %v", out)
	}
	if out := e.must(t, 409, "POST", "/v1/cases/R1003/verdict", rvBob, map[string]any{"verdict": "legit", "note": "x"}); errCode(out) != "not_claimed" {
		t.Fatalf("verdict unclaimed: %v", out)
	}
	for _, body := range []any{`{"verdict": "fraud"}`, `{"verdict": "maybe", "note": "x"}`, `{"verdict": "fraud", "note": "x", "extra": 1}`, `not json`, ``} {
		if out := e.must(t, 400, "POST", "/v1/cases/R1002/verdict", rvAnn, body); errCode(out) != "bad_request" {
			t.Errorf("verdict %v: %v", body, out)
		}
	}
	if caseIDs(e.must(t, 200, "GET", "/v1/cases?owner=me", rvAnn, nil))[0] != "shop-1/R1002" {
		t.Fatal("owner=me misses the claim")
	}
	if got := caseIDs(e.must(t, 200, "GET", "/v1/cases?owner=ann", rvBob, nil)); !slices.Equal(got, []string{"shop-1/R1002"}) {
		t.Fatalf("owner=ann: %v", got)
	}

	e.setNow(worldNow.Add(30 * time.Minute))
	out = e.must(t, 200, "POST", "/v1/cases/R1002/verdict", rvAnn, map[string]any{"verdict": "fraud", "note": "同一退货单号已被 tb_alice 使用,包裹签收人不是本人"})
	if out["status"] != "closed" || out["verdict"] != "fraud" || out["decided_by"] != "ann" || out["owner"] != nil || out["pending_effects"] != nil ||
		!slices.Equal(anyStrings(out["actions"]), []string{"reopen"}) {
		t.Fatalf("verdict: %v", out)
	}
	audit := out["audit"].([]any)
	if last := audit[len(audit)-1].(map[string]any); last["action"] != "verdict" || last["by"] != "ann" || last["verdict"] != "fraud" || last["at"] != "2026-11-25T02:30:00Z" {
		t.Fatalf("audit %v", audit)
	}
	// Known offenders: the case's identifiers, as offender.Identifiers gives them.
	if len(e.book.calls) != 1 || e.book.calls[0].shop != "shop-1" || e.book.calls[0].refund != "R1002" ||
		!slices.Contains(e.book.calls[0].ids, offender.Identifier{Kind: offender.KindAccount, Value: "tb_bob"}) {
		t.Fatalf("offender confirmations %+v", e.book.calls)
	}
	// The decision topic hears the reviewer's outcome.
	sent := e.pub.sent()
	if len(sent) != 1 {
		t.Fatalf("published %d", len(sent))
	}
	m := sent[0]
	rev := m["review"].(map[string]any)
	if m["refund_id"] != "R1002" || m["decision"] != "block" || m["previous_decision"] != "block" || rev["verdict"] != "fraud" ||
		rev["reviewer"] != "ann" || rev["status"] != "closed" || string(e.pub.msgs[0].Key) != "R1002" {
		t.Fatalf("decision event %v", m)
	}
	schema := decisionSchema(t)
	doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(e.pub.msgs[0].Value))
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("decision event against the contract: %v", err)
	}
	// A retry of the same verdict is harmless: nothing counted or sent twice.
	e.must(t, 200, "POST", "/v1/cases/R1002/verdict", rvAnn, map[string]any{"verdict": "fraud", "note": "同一退货单号已被 tb_alice 使用,包裹签收人不是本人"})
	if len(e.pub.sent()) != 1 || len(e.book.calls) != 1 {
		t.Fatalf("retry published %d, confirmed %d", len(e.pub.sent()), len(e.book.calls))
	}
	if out := e.must(t, 409, "POST", "/v1/cases/R1002/verdict", rvAnn, map[string]any{"verdict": "legit", "note": "x"}); errCode(out) != "case_closed" {
		t.Fatalf("second verdict: %v", out)
	}
	if out := e.must(t, 409, "POST", "/v1/cases/R1002/claim", rvBob, nil); errCode(out) != "case_closed" {
		t.Fatalf("claim closed: %v", out)
	}
	if got := caseIDs(e.must(t, 200, "GET", "/v1/cases", rvAnn, nil)); slices.Contains(got, "shop-1/R1002") {
		t.Fatalf("closed case still listed: %v", got)
	}
	if got := caseIDs(e.must(t, 200, "GET", "/v1/cases?status=closed", rvAnn, nil)); !slices.Equal(got, []string{"shop-1/R1002"}) {
		t.Fatalf("closed: %v", got)
	}
	if v := testutil.ToFloat64(e.rv.m.verdicts.WithLabelValues("fraud")); v != 1 {
		t.Errorf("verdicts_total{fraud} = %v", v)
	}
	if v := testutil.ToFloat64(e.rv.m.ruleVerdicts.WithLabelValues("tracking_reused", "fraud")); v != 1 {
		t.Errorf("rule_verdicts_total{tracking_reused,fraud} = %v", v)
	}
	if n := testutil.CollectAndCount(e.rv.m.duration); n != 1 {
		t.Errorf("verdict duration series %d", n)
	}

	// Legit for R1003, then the rules page.
	e.must(t, 200, "POST", "/v1/cases/R1003/claim", rvBob, nil)
	e.must(t, 200, "POST", "/v1/cases/R1003/verdict", rvBob, map[string]any{"verdict": "legit", "note": "靴子是分两个包裹寄回的"})
	stats := ruleStats(e.must(t, 200, "GET", "/v1/rules", rvViewer, nil))
	if s := stats["tracking_reused"]; s["hits"] != 2.0 || s["fraud"] != 1.0 || s["legit"] != 0.0 || s["precision"] != 1.0 {
		t.Fatalf("tracking_reused 7d %v", s)
	}
	if s := stats["low_weight_return"]; s["hits"] != 1.0 || s["legit"] != 1.0 || s["precision"] != 0.0 {
		t.Fatalf("low_weight_return 7d %v", s)
	}
	if s := stats["empty_parcel"]; s["hits"] != 0.0 || s["precision"] != nil {
		t.Fatalf("empty_parcel %v", s)
	}
	// shop-2's cases are opened (and counted) by the sync loop.
	if err := e.rv.Sync(context.Background(), e.srv.tokens); err != nil {
		t.Fatal(err)
	}
	if s := ruleStats(e.must(t, 200, "GET", "/v1/rules", rvOther, nil))["tracking_reused"]; s["fraud"] != 0.0 || s["hits"] != 2.0 {
		t.Fatalf("shop-2 sees %v", s)
	}

	// Reopen: the verdict no longer counts, the case waits again.
	e.setNow(worldNow.Add(10 * time.Hour)) // 20:00 China time: due tomorrow 18:00
	out = e.must(t, 200, "POST", "/v1/cases/R1002/reopen", rvBob, map[string]any{"note": "买家提供了寄件视频"})
	if out["status"] != "open" || out["verdict"] != nil || out["reopened"] != 1.0 || out["deadline"] != "2026-11-26T10:00:00Z" {
		t.Fatalf("reopen: %v", out)
	}
	if out := e.must(t, 409, "POST", "/v1/cases/R1002/reopen", rvBob, nil); errCode(out) != "case_open" {
		t.Fatalf("reopen open: %v", out)
	}
	// The fraud verdict's confirmations are withdrawn, up to what the reopen recorded.
	if w := e.book.withdrawals; len(w) != 1 || w[0].shop != "shop-1" || w[0].refund != "R1002" || !w[0].at.IsZero() {
		t.Fatalf("offender withdrawals %+v", w)
	}
	if s := ruleStats(e.must(t, 200, "GET", "/v1/rules", rvViewer, nil))["tracking_reused"]; s["fraud"] != 0.0 || s["precision"] != nil {
		t.Fatalf("after reopen %v", s)
	}
	if sent := e.pub.sent(); len(sent) != 3 || sent[2]["review"].(map[string]any)["status"] != "reopened" || sent[2]["decision"] != "block" {
		t.Fatalf("reopen event %v", sent)
	}
	// Deadline moves, then release.
	e.must(t, 200, "POST", "/v1/cases/R1002/claim", rvBob, nil)
	out = e.must(t, 200, "POST", "/v1/cases/R1002/deadline", rvBob, map[string]any{"deadline": "2026-11-27T12:00:00+08:00"})
	if out["deadline"] != "2026-11-27T04:00:00Z" {
		t.Fatalf("deadline %v", out["deadline"])
	}
	e.must(t, 400, "POST", "/v1/cases/R1002/deadline", rvBob, map[string]any{"deadline": "tomorrow"})
	e.must(t, 200, "POST", "/v1/cases/R1002/release", rvBob, nil)
	if out := e.must(t, 409, "POST", "/v1/cases/R1002/release", rvBob, nil); errCode(out) != "not_claimed" {
		t.Fatalf("release twice: %v", out)
	}
	var actionsSeen []string
	for _, a := range e.must(t, 200, "GET", "/v1/cases/R1002", rvViewer, nil)["audit"].([]any) {
		m := a.(map[string]any)
		actionsSeen = append(actionsSeen, fmt.Sprint(m["action"], ":", m["by"]))
	}
	want := []string{"opened:<nil>", "claimed:ann", "verdict:ann", "reopened:bob", "claimed:bob", "deadline:bob", "released:bob"}
	if !slices.Equal(actionsSeen, want) {
		t.Fatalf("audit %v, want %v", actionsSeen, want)
	}
	// A token without a name acts under a short hash of itself.
	out = e.must(t, 200, "POST", "/v1/cases/R1004/claim", rvNameless, nil)
	if owner, _ := out["owner"].(string); !strings.HasPrefix(owner, "token-") || strings.Contains(owner, rvNameless) {
		t.Fatalf("nameless owner %q", owner)
	}
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// ruleStats is each rule's 7-day window.
func ruleStats(out map[string]any) map[string]map[string]any {
	m := map[string]map[string]any{}
	for _, r := range out["rules"].([]any) {
		r := r.(map[string]any)
		m[r["rule"].(string)] = r["days_7"].(map[string]any)
	}
	return m
}

func TestReviewEffectsRetried(t *testing.T) {
	e := newReviewEnv(t)
	e.pub.err = errors.New("kafka down")
	e.must(t, 200, "POST", "/v1/cases/R1004/claim", rvAnn, nil)
	out := e.must(t, 200, "POST", "/v1/cases/R1004/verdict", rvAnn, map[string]any{"verdict": "fraud", "note": "勒索"})
	if out["status"] != "closed" || out["pending_effects"] != true {
		t.Fatalf("verdict with the topic down: %v", out)
	}
	e.pub.err = nil
	// Sync leaves fresh verdicts to their own request, then retries.
	if err := e.rv.Sync(context.Background(), e.srv.tokens); err != nil {
		t.Fatal(err)
	}
	if len(e.pub.sent()) != 0 {
		t.Fatal("retried within the minute")
	}
	e.setNow(worldNow.Add(2 * time.Minute))
	if err := e.rv.Sync(context.Background(), e.srv.tokens); err != nil {
		t.Fatal(err)
	}
	if sent := e.pub.sent(); len(sent) != 1 || sent[0]["refund_id"] != "R1004" {
		t.Fatalf("after sync: %v", sent)
	}
	if out := e.must(t, 200, "GET", "/v1/cases/R1004", rvAnn, nil); out["pending_effects"] != nil {
		t.Fatalf("still pending: %v", out)
	}
	if err := e.rv.Sync(context.Background(), e.srv.tokens); err != nil || len(e.pub.sent()) != 1 {
		t.Fatalf("sync again: %v, %d sent", err, len(e.pub.sent()))
	}
}

func TestReviewMetrics(t *testing.T) {
	e := newReviewEnv(t)
	e.setNow(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)) // 20:00 China time: all overdue
	e.must(t, 200, "POST", "/v1/cases/R1003/claim", rvAnn, nil)
	e.must(t, 200, "POST", "/v1/cases/R1003/verdict", rvAnn, map[string]any{"verdict": "legit", "note": "ok"})
	if err := e.rv.Sync(context.Background(), e.srv.tokens); err != nil {
		t.Fatal(err)
	}
	b1, b2 := bucketLabel(ShopBucket("shop-1")), bucketLabel(ShopBucket("shop-2"))
	if b1 == b2 {
		t.Fatal("the test shops share a bucket")
	}
	for _, c := range []struct {
		g    prometheus.Collector
		want float64
	}{
		{e.rv.m.queue.WithLabelValues(b1, "review"), 2}, // R1001, R1004 (R1003 is closed)
		{e.rv.m.queue.WithLabelValues(b1, "block"), 1},
		{e.rv.m.queue.WithLabelValues(b2, "block"), 1},
		{e.rv.m.queue.WithLabelValues(b2, "review"), 1},
		{e.rv.m.overdue.WithLabelValues(b1), 3},
		{e.rv.m.oldest.WithLabelValues(b1), 11 * 3600},
		{e.rv.m.queue.WithLabelValues("00", "review"), 0},
	} {
		if got := testutil.ToFloat64(c.g); got != c.want {
			t.Errorf("%v = %v, want %v", c.g.(prometheus.Metric).Desc(), got, c.want)
		}
	}
	if fmt.Sprint(ShopBucket("shop-1")) == "" || bucketLabel(3) != "03" {
		t.Fatal("bucket label")
	}
	problems, err := testutil.GatherAndLint(e.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "sellerguard_review_") {
			t.Errorf("lint %s: %s", p.Metric, p.Text)
		}
	}
	names := map[string]bool{}
	mfs, _ := e.reg.Gather()
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, n := range []string{"sellerguard_review_queue_cases", "sellerguard_review_oldest_case_age_seconds", "sellerguard_review_overdue_cases",
		"sellerguard_review_verdicts_total", "sellerguard_review_rule_verdicts_total", "sellerguard_review_verdict_duration_seconds"} {
		if !names[n] {
			t.Errorf("metric %s missing", n)
		}
	}
}

func TestSearchAndBuyer(t *testing.T) {
	e := newReviewEnv(t)
	for _, tc := range []struct {
		token, q string
		want     []string
		matched  string
	}{
		{rvAnn, "R1002", []string{"shop-1/R1002"}, "refund"},
		{rvAnn, "T1002", []string{"shop-1/R1002"}, "order"},
		{rvAnn, "yt 7512 3456 78901", []string{"shop-1/R1002", "shop-1/R1001"}, "waybill"},
		{rvAnn, "tb_bob", []string{"shop-1/R1002"}, "buyer"},
		{rvAnn, "YT7599999999999", nil, ""},
		{rvOther, "YT7599999999999", []string{"shop-2/R2002", "shop-2/R2001"}, "waybill"},
		{rvAdmin, "R2002", []string{"shop-2/R2002"}, "refund"},
		{rvAdmin, "tb_bob", []string{"shop-1/R1002"}, "buyer"},
		{rvAnn, "   ", nil, ""},
		{rvAnn, "nothing-like-this", nil, ""},
	} {
		out := e.must(t, 200, "GET", "/v1/search?q="+urlQuery(tc.q), tc.token, nil)
		if got := caseIDs(out); !slices.Equal(got, tc.want) {
			t.Errorf("%s search %q: %v, want %v", tc.token, tc.q, got, tc.want)
			continue
		}
		if len(tc.want) > 0 {
			hit := out["hits"].([]any)[0].(map[string]any)
			if !slices.Contains(anyStrings(hit["matched_by"]), tc.matched) {
				t.Errorf("search %q matched by %v", tc.q, hit["matched_by"])
			}
		}
	}
	e.must(t, 400, "GET", "/v1/search?q="+strings.Repeat("x", 200), rvAnn, nil)

	out := e.must(t, 200, "GET", "/v1/buyers/tb_alice", rvViewer, nil)
	refunds := out["refunds"].([]any)
	if len(refunds) != 1 || refunds[0].(map[string]any)["refund_id"] != "R1001" || refunds[0].(map[string]any)["decision"] != "review" || out["flagged"] != 1.0 {
		t.Fatalf("tb_alice refunds %v", out)
	}
	if orders := out["orders"].([]any); len(orders) != 1 || orders[0].(map[string]any)["order_id"] != "T1001" {
		t.Fatalf("tb_alice orders %v", orders)
	}
	linked := out["linked"].([]any)
	if len(linked) != 1 {
		t.Fatalf("tb_alice linked %v", linked)
	}
	l := linked[0].(map[string]any)
	via := l["via"].([]any)
	kinds := []string{}
	for _, v := range via {
		kinds = append(kinds, v.(map[string]any)["kind"].(string))
		if v.(map[string]any)["their_order_id"] != "T1006" {
			t.Errorf("via %v", v)
		}
	}
	slices.Sort(kinds)
	if l["buyer_id"] != "tb_alice_2" || !slices.Equal(kinds, []string{"address", "phone"}) {
		t.Fatalf("linked %v", l)
	}
	// A verdict shows on the buyer page.
	e.must(t, 200, "POST", "/v1/cases/R1002/claim", rvAnn, nil)
	e.must(t, 200, "POST", "/v1/cases/R1002/verdict", rvAnn, map[string]any{"verdict": "fraud", "note": "x"})
	out = e.must(t, 200, "GET", "/v1/buyers/tb_bob", rvAnn, nil)
	if r := out["refunds"].([]any)[0].(map[string]any); r["verdict"] != "fraud" || r["case_status"] != "closed" || out["fraud"] != 1.0 {
		t.Fatalf("tb_bob %v", out)
	}
	e.must(t, 404, "GET", "/v1/buyers/nobody", rvAnn, nil)
	e.must(t, 200, "GET", "/v1/buyers/tb_bob", rvAdmin, nil)
}

func urlQuery(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, " ", "+"), "_", "_") }

func TestCaseExplainedAndEvidence(t *testing.T) {
	e := newReviewEnv(t)
	out := e.must(t, 200, "GET", "/v1/cases/R1002", rvViewer, nil)
	r := out["reasons"].([]any)[0].(map[string]any)
	if r["rule"] != "tracking_reused" || r["rule_name"].(map[string]any)["zh"] != "退货单号重复使用" ||
		!strings.Contains(r["message"].(map[string]any)["zh"].(string), "已用于退款 R1001") {
		t.Fatalf("reason %v", r)
	}
	var links []string
	for _, l := range r["links"].([]any) {
		m := l.(map[string]any)
		links = append(links, m["kind"].(string)+":"+m["id"].(string))
		if m["kind"] == "refund" && m["href"] != "/v1/cases/R1001?shop_id=shop-1" {
			t.Errorf("href %v", m["href"])
		}
	}
	slices.Sort(links)
	if want := []string{"buyer:tb_alice", "order:T1001", "refund:R1001", "waybill:YT7512345678901"}; !slices.Equal(links, want) {
		t.Fatalf("links %v, want %v", links, want)
	}
	out = e.must(t, 200, "GET", "/v1/cases/R1003", rvViewer, nil)
	facts := out["reasons"].([]any)[0].(map[string]any)["facts"].([]any)
	if f := facts[0].(map[string]any); f["key"] != "measured_g" || f["value"].(map[string]any)["en"] != "1264" {
		t.Fatalf("facts %v", facts)
	}
	if f := facts[1].(map[string]any); f["key"] != "expected_g" || f["value"].(map[string]any)["en"] != "4440" {
		t.Fatalf("facts %v", facts)
	}
	out = e.must(t, 200, "GET", "/v1/cases/R1004", rvViewer, nil)
	q := out["reasons"].([]any)[0].(map[string]any)["quotes"].([]any)[0].(map[string]any)
	if q["text"] != browsertest.ExtortionText || q["message_id"] != "M9001" || !slices.Contains(anyStrings(q["phrases"]), "12315") {
		t.Fatalf("quote %v", q)
	}

	// The evidence pack: facts with times and sources.
	p := e.must(t, 200, "GET", "/v1/cases/R1003/evidence", rvViewer, nil)
	parcel := p["parcel"].(map[string]any)
	if parcel["weight_g"] != 1264.0 || parcel["expected_weight_g"] != 4440.0 || parcel["tracking_no"] != "YT8800000000003" {
		t.Fatalf("parcel %v", parcel)
	}
	if src := parcel["sources"].(map[string]any)["weight_g"].(map[string]any); src["kind"] != "return" || !strings.HasPrefix(src["event_id"].(string), "ev-shop-1-") {
		t.Fatalf("weight source %v", src)
	}
	tl := p["timeline"].([]any)
	var prev string
	for _, x := range tl {
		at := x.(map[string]any)["at"].(string)
		if ta, tb := mustTime(t, prev), mustTime(t, at); prev != "" && ta.After(tb) {
			t.Fatalf("timeline out of order: %v", tl)
		}
		prev = at
	}
	if len(tl) < 5 {
		t.Fatalf("timeline %v", tl)
	}
	p = e.must(t, 200, "GET", "/v1/cases/R1002/evidence", rvViewer, nil)
	if wr := p["waybill_refunds"].([]any); len(wr) != 1 || wr[0].(map[string]any)["refund_id"] != "R1001" {
		t.Fatalf("waybill refunds %v", wr)
	}
	if lr := p["linked_refunds"].([]any); len(lr) != 1 || lr[0].(map[string]any)["refund_id"] != "R1001" ||
		!slices.Equal(anyStrings(lr[0].(map[string]any)["why"]), []string{"tracking_reused"}) || lr[0].(map[string]any)["decision"] != "review" {
		t.Fatalf("linked refunds %v", lr)
	}
	p = e.must(t, 200, "GET", "/v1/cases/R1004/evidence", rvViewer, nil)
	if msgs := p["messages"].([]any); len(msgs) != 1 || msgs[0].(map[string]any)["text"] != browsertest.ExtortionText ||
		msgs[0].(map[string]any)["event_id"] == "" {
		t.Fatalf("messages %v", msgs)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCalendarDeadline(t *testing.T) {
	c := DefaultCalendar()
	cst := c.Location
	for _, tc := range []struct{ at, want time.Time }{
		{time.Date(2026, 11, 25, 9, 0, 0, 0, cst), time.Date(2026, 11, 25, 18, 0, 0, 0, cst)},  // Wednesday morning
		{time.Date(2026, 11, 25, 3, 0, 0, 0, cst), time.Date(2026, 11, 25, 18, 0, 0, 0, cst)},  // before hours: the same day
		{time.Date(2026, 11, 25, 18, 0, 0, 0, cst), time.Date(2026, 11, 26, 18, 0, 0, 0, cst)}, // after hours: the next day
		{time.Date(2026, 11, 27, 19, 0, 0, 0, cst), time.Date(2026, 11, 30, 18, 0, 0, 0, cst)}, // Friday evening: Monday
		{time.Date(2026, 11, 28, 12, 0, 0, 0, cst), time.Date(2026, 11, 30, 18, 0, 0, 0, cst)}, // Saturday: Monday
		{time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 18, 0, 0, 0, cst)},
	} {
		if got := c.Deadline(tc.at); !got.Equal(tc.want) {
			t.Errorf("deadline of %v: %v, want %v", tc.at, got, tc.want)
		}
	}
}
