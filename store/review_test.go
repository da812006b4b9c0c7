package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/redistest"
	"github.com/sellerguard/sellerguard/review"
	"github.com/sellerguard/sellerguard/rules"
	"github.com/sellerguard/sellerguard/store"
)

// flag stores an assessment of a refund already applied, as the detector
// would: decision and the rules of its reasons.
func (e *env) flag(t *testing.T, shop, refundID string, d rules.Decision, score int, ruleCodes ...string) {
	t.Helper()
	l := e.loadShop(t, shop, refundID)[refundID]
	if !l.Found {
		t.Fatalf("flag: refund %s/%s unknown", shop, refundID)
	}
	a := rules.Assessment{RefundID: refundID, ShopID: shop, Decision: d, Score: score, Reasons: []rules.Reason{},
		AssessedAt: at(30), RulesetVersion: "test"}
	for _, c := range ruleCodes {
		a.Reasons = append(a.Reasons, rules.Reason{Rule: c, Severity: "high", Message: rules.Text{ZH: c, EN: c}, Evidence: map[string]any{}})
	}
	body, _ := json.Marshal(a)
	sig := fmt.Sprintf("%s/%d/%v", d, score, ruleCodes)
	if _, err := e.st.Save(e.ctx, []detector.Pending{{Ref: l.Ref, Version: l.Version, Assessment: a, JSON: body, Signature: sig}}); err != nil {
		t.Fatalf("save: %v", err)
	}
}

func (e *env) open(t *testing.T, shop string, ids ...string) {
	t.Helper()
	rows, err := e.st.ReviewRows(e.ctx, shop, ids)
	if err != nil {
		t.Fatal(err)
	}
	var opens []review.Open
	for _, r := range rows {
		var a rules.Assessment
		if err := json.Unmarshal(r.Assessment, &a); err != nil {
			t.Fatalf("assessment of %s: %v", r.RefundID, err)
		}
		var codes []string
		for _, x := range a.Reasons {
			codes = append(codes, x.Rule)
		}
		opens = append(opens, review.Open{RefundID: r.RefundID, OpenedAt: at(40), Deadline: at(40 + 8*60), Rules: codes})
	}
	if err := e.st.OpenReviewCases(e.ctx, shop, opens); err != nil {
		t.Fatal(err)
	}
}

// expect checks one step's outcome: expect(t, "what", "ok")(st.ClaimReviewCase(…)).
func expect(t *testing.T, what, want string) func(review.Step, error) review.Step {
	t.Helper()
	return func(res review.Step, err error) review.Step {
		t.Helper()
		return checkOutcome(t, what, res, err, want)
	}
}

func checkOutcome(t *testing.T, what string, res review.Step, err error, want string) review.Step {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if res.Outcome != want {
		t.Fatalf("%s: outcome %q (detail %q), want %q", what, res.Outcome, res.Detail, want)
	}
	return res
}

// seedQueue is three refunds of shop-1 in the queue and one approved.
func seedQueue(t *testing.T, e *env) {
	t.Helper()
	e.apply(t,
		ord(meta("o1", 1), "T1", "tb_a", addrA), rfd(meta("r1", 2), "R1", "T1", "tb_a", "YT7512345678901"),
		ord(meta("o2", 3), "T2", "tb_b", addrB), rfd(meta("r2", 4), "R2", "T2", "tb_b", "YT7512345678901"),
		ord(meta("o3", 5), "T3", "tb_c", addrD), rfd(meta("r3", 6), "R3", "T3", "tb_c", ""),
		rfd(meta("r4", 7), "R4", "T3", "tb_c", ""),
	)
	e.flag(t, shop1, "R1", rules.Review, 60, rules.TrackingReused)
	e.flag(t, shop1, "R2", rules.Block, 95, rules.TrackingReused, rules.LowWeightReturn)
	e.flag(t, shop1, "R3", rules.Review, 45, rules.MultiAccountAddress)
	e.flag(t, shop1, "R4", rules.Approve, 0)
}

func TestReviewLifecycle(t *testing.T) {
	e := start(t)
	seedQueue(t, e)

	rows, err := e.st.ReviewCases(e.ctx, shop1, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.RefundID)
		if !r.Queued || r.Assessment == nil || r.Refund == nil || r.State.Status != "" {
			t.Errorf("row %s: queued %v, assessment %v, refund %v, state %+v", r.RefundID, r.Queued, r.Assessment != nil, r.Refund != nil, r.State)
		}
	}
	if want := []string{"R2", "R1", "R3"}; !slices.Equal(ids, want) {
		t.Fatalf("queue %v, want %v (blocked first, then by score)", ids, want)
	}
	e.open(t, shop1, "R1", "R2", "R3")
	e.open(t, shop1, "R1") // a second opening changes nothing
	rows, _ = e.st.ReviewRows(e.ctx, shop1, []string{"R1", "R4", "nope"})
	if s := rows[0].State; s.Status != "open" || !s.OpenedAt.Equal(at(40)) || !s.Deadline.Equal(at(520)) {
		t.Fatalf("R1 state %+v", s)
	}
	if rows[1].Queued || rows[2].Assessment != nil || rows[2].Refund != nil || rows[2].State.Status != "" {
		t.Fatalf("R4/nope rows %+v %+v", rows[1], rows[2])
	}

	// Claims: one owner; the owner's second claim is "already".
	expect(t, "claim R1 by ann", "ok")(e.st.ClaimReviewCase(e.ctx, shop1, "R1", "ann", at(50)))
	res := expect(t, "claim R1 by bob", "taken")(e.st.ClaimReviewCase(e.ctx, shop1, "R1", "bob", at(51)))
	if res.Detail != "ann" || res.State.Owner != "ann" || !res.State.ClaimedAt.Equal(at(50)) {
		t.Fatalf("taken: %+v", res)
	}
	expect(t, "claim R1 by ann again", "already")(e.st.ClaimReviewCase(e.ctx, shop1, "R1", "ann", at(52)))
	expect(t, "claim R4 (approved, never opened)", "not_opened")(e.st.ClaimReviewCase(e.ctx, shop1, "R4", "ann", at(52)))
	// Release: only the owner, or forced.
	expect(t, "release R1 by bob", "not_owner")(e.st.ReleaseReviewCase(e.ctx, shop1, "R1", "bob", false, at(53)))
	expect(t, "release R1 by admin", "ok")(e.st.ReleaseReviewCase(e.ctx, shop1, "R1", "admin", true, at(54)))
	expect(t, "release R1 again", "unclaimed")(e.st.ReleaseReviewCase(e.ctx, shop1, "R1", "ann", false, at(55)))
	// Verdict: the owner only.
	expect(t, "verdict unclaimed", "unclaimed")(e.st.DecideReviewCase(e.ctx, shop1, "R2", "bob", "fraud", "x", at(60)))
	expect(t, "claim R2 by bob", "ok")(e.st.ClaimReviewCase(e.ctx, shop1, "R2", "bob", at(61)))
	expect(t, "verdict by ann", "not_owner")(e.st.DecideReviewCase(e.ctx, shop1, "R2", "ann", "fraud", "x", at(62)))
	res = expect(t, "verdict by bob", "ok")(e.st.DecideReviewCase(e.ctx, shop1, "R2", "bob", "fraud", "空包,录像为证", at(63)))
	if s := res.State; s.Status != "closed" || s.Verdict != "fraud" || s.DecidedBy != "bob" || s.Owner != "" || !s.Pending ||
		s.Note != "空包,录像为证" || s.Decision != "block" || !slices.Equal(s.Rules, []string{rules.LowWeightReturn, rules.TrackingReused}) {
		t.Fatalf("closed state %+v", s)
	}
	expect(t, "verdict retried", "already")(e.st.DecideReviewCase(e.ctx, shop1, "R2", "bob", "fraud", "空包,录像为证", at(64)))
	expect(t, "other verdict", "closed")(e.st.DecideReviewCase(e.ctx, shop1, "R2", "bob", "legit", "", at(65)))
	expect(t, "claim closed", "closed")(e.st.ClaimReviewCase(e.ctx, shop1, "R2", "ann", at(66)))
	expect(t, "legit R3", "ok")(e.st.ClaimReviewCase(e.ctx, shop1, "R3", "ann", at(67)))
	expect(t, "legit R3", "ok")(e.st.DecideReviewCase(e.ctx, shop1, "R3", "ann", "legit", "一家人", at(68)))

	day := store.ReviewDay(at(63))
	counts, err := e.st.ReviewCounters(e.ctx, shop1, []string{day, "2001-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"tracking_reused|hits": 2, "low_weight_return|hits": 1, "multi_account_address|hits": 1,
		"tracking_reused|fraud": 1, "low_weight_return|fraud": 1, "multi_account_address|legit": 1, "|fraud": 1, "|legit": 1}
	if !mapsEqual(counts[0], want) || len(counts[1]) != 0 {
		t.Fatalf("counters %v, want %v", counts, want)
	}
	pending, _ := e.st.PendingReviewEffects(e.ctx, shop1)
	if !slices.Equal(pending, []string{"R2", "R3"}) {
		t.Fatalf("pending %v", pending)
	}
	if ok, err := e.st.ReviewEffectsDone(e.ctx, shop1, "R2", "fraud", at(1)); err != nil || ok {
		t.Fatalf("done with another verdict time: %v %v", ok, err)
	}
	if ok, err := e.st.ReviewEffectsDone(e.ctx, shop1, "R2", "fraud", at(63)); err != nil || !ok {
		t.Fatalf("done: %v %v", ok, err)
	}
	pending, _ = e.st.PendingReviewEffects(e.ctx, shop1)
	if !slices.Equal(pending, []string{"R3"}) {
		t.Fatalf("pending after done %v", pending)
	}

	// TTLs: open cases expire with retention; a verdict is kept.
	for k, keep := range map[string]bool{key(shop1, "rv:R1"): false, key(shop1, "al:R1"): false,
		key(shop1, "rv:R2"): true, key(shop1, "al:R2"): true} {
		ttl := e.rc.TTL(e.ctx, k).Val()
		if keep && ttl != -1 || !keep && (ttl <= 0 || ttl > e.cfg.Retention) {
			t.Errorf("%s: ttl %v (kept: %v)", k, ttl, keep)
		}
	}
	if ttl := e.rc.TTL(e.ctx, key(shop1, "vc:"+day)).Val(); ttl < 39*24*time.Hour || ttl > 40*24*time.Hour {
		t.Errorf("counter ttl %v", ttl)
	}

	// Reopen withdraws the verdict from the counters, keeps the log.
	expect(t, "reopen open case", "open")(e.st.ReopenReviewCase(e.ctx, shop1, "R1", "ann", "", at(70), at(900)))
	res = expect(t, "reopen R2", "ok")(e.st.ReopenReviewCase(e.ctx, shop1, "R2", "ann", "买家补充了视频", at(70), at(900)))
	if s := res.State; res.Detail != "fraud" || s.Status != "open" || s.Verdict != "" || s.Pending || s.Reopened != 1 || !s.Deadline.Equal(at(900)) || !s.OpenedAt.Equal(at(40)) {
		t.Fatalf("reopened %+v", res)
	}
	counts, _ = e.st.ReviewCounters(e.ctx, shop1, []string{day})
	if counts[0]["tracking_reused|fraud"] != 0 || counts[0]["|fraud"] != 0 || counts[0]["tracking_reused|hits"] != 2 {
		t.Fatalf("counters after reopen %v", counts[0])
	}
	if ttl := e.rc.TTL(e.ctx, key(shop1, "rv:R2")).Val(); ttl <= 0 {
		t.Errorf("reopened state ttl %v", ttl)
	}
	if ttl := e.rc.TTL(e.ctx, key(shop1, "al:R2")).Val(); ttl != -1 {
		t.Errorf("log with a withdrawn verdict: ttl %v, want none", ttl)
	}
	res = expect(t, "deadline", "ok")(e.st.SetReviewDeadline(e.ctx, shop1, "R2", "ann", at(1000), at(71)))
	if !res.State.Deadline.Equal(at(1000)) {
		t.Fatalf("deadline %v", res.State.Deadline)
	}
	// ... and a second verdict counts again, on its own day.
	expect(t, "claim reopened", "ok")(e.st.ClaimReviewCase(e.ctx, shop1, "R2", "ann", at(72)))
	expect(t, "legit reopened", "ok")(e.st.DecideReviewCase(e.ctx, shop1, "R2", "ann", "legit", "视频证明有货", at(73)))
	counts, _ = e.st.ReviewCounters(e.ctx, shop1, []string{day})
	if counts[0]["tracking_reused|legit"] != 1 || counts[0]["tracking_reused|fraud"] != 0 || counts[0]["|legit"] != 2 {
		t.Fatalf("counters after second verdict %v", counts[0])
	}

	log, err := e.st.ReviewAudit(e.ctx, shop1, "R2")
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, l := range log {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("audit entry %q: %v", l, err)
		}
		actions = append(actions, fmt.Sprint(m["action"], "/", m["by"], "/", m["verdict"]))
	}
	if want := []string{"opened/<nil>/<nil>", "claimed/bob/<nil>", "verdict/bob/fraud", "reopened/ann/fraud", "deadline/ann/<nil>",
		"claimed/ann/<nil>", "verdict/ann/legit"}; !slices.Equal(actions, want) {
		t.Fatalf("audit %v\nwant %v", actions, want)
	}
	shops, _ := e.st.ReviewShops(e.ctx)
	if !slices.Equal(shops, []string{shop1}) {
		t.Fatalf("review shops %v", shops)
	}
	// Every workflow key but the shop list is in the shop's slot.
	for _, k := range e.keys(t) {
		if k != "sg:review-shops" && !strings.HasPrefix(k, "sg:{"+shop1+"}:") && !strings.HasPrefix(k, "sg:refund-shops:") {
			t.Errorf("key %s outside the shop's slot", k)
		}
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// Many reviewers claiming one case at once: exactly one owns it.
func TestReviewClaimRace(t *testing.T) {
	e := start(t)
	seedQueue(t, e)
	e.open(t, shop1, "R1")
	var wg sync.WaitGroup
	outcomes := make([]string, 20)
	for i := range outcomes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.st.ClaimReviewCase(e.ctx, shop1, "R1", fmt.Sprintf("reviewer-%02d", i), at(50))
			if err != nil {
				t.Error(err)
				return
			}
			outcomes[i] = res.Outcome
		}()
	}
	wg.Wait()
	ok := 0
	for _, o := range outcomes {
		switch o {
		case "ok":
			ok++
		case "taken":
		default:
			t.Errorf("outcome %q", o)
		}
	}
	if ok != 1 {
		t.Fatalf("%d reviewers own the case: %v", ok, outcomes)
	}
	// Verdicts raced the same way count once.
	rows, _ := e.st.ReviewRows(e.ctx, shop1, []string{"R1"})
	owner := rows[0].State.Owner
	var oks int
	var mu sync.Mutex
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.st.DecideReviewCase(e.ctx, shop1, "R1", owner, "fraud", "", at(60))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if res.Outcome == "ok" {
				oks++
			} else if res.Outcome != "already" {
				t.Errorf("outcome %q", res.Outcome)
			}
		}()
	}
	wg.Wait()
	counts, _ := e.st.ReviewCounters(e.ctx, shop1, []string{store.ReviewDay(at(60))})
	if oks != 1 || counts[0]["tracking_reused|fraud"] != 1 {
		t.Fatalf("%d verdicts recorded, counters %v", oks, counts[0])
	}
}

// Another shop's case with the same refund id is another case.
func TestReviewShopsApart(t *testing.T) {
	e := start(t)
	seedQueue(t, e)
	e.apply(t, inShop("shop-2", ord(meta("o9", 1), "T1", "tb_z", addrA)), inShop("shop-2", rfd(meta("r9", 2), "R1", "T1", "tb_z", "")))
	e.flag(t, "shop-2", "R1", rules.Review, 50, rules.OrderBurst)
	e.open(t, shop1, "R1")
	e.open(t, "shop-2", "R1")
	expect(t, "claim shop-1", "ok")(e.st.ClaimReviewCase(e.ctx, shop1, "R1", "ann", at(50)))
	expect(t, "claim shop-2", "ok")(e.st.ClaimReviewCase(e.ctx, "shop-2", "R1", "bob", at(50)))
	rows, _ := e.st.ReviewRows(e.ctx, "shop-2", []string{"R1", "R2"})
	if rows[0].State.Owner != "bob" || rows[1].Assessment != nil {
		t.Fatalf("shop-2 rows %+v", rows)
	}
	shops, _ := e.st.ReviewShops(e.ctx)
	if !slices.Equal(shops, []string{shop1, "shop-2"}) {
		t.Fatalf("shops %v", shops)
	}
}

func TestSearchRefunds(t *testing.T) {
	e := start(t)
	seedQueue(t, e)
	w := ret(meta("p1", 8), "YT 7512 3456 78901", "delivered")
	w.RefundID = "R3"
	w.WeightG = ptr(int64(120))
	e.apply(t, w)
	for q, want := range map[string]map[string][]string{
		"R1":                 {"refund": {"R1"}},
		"T3":                 {"order": {"R3", "R4"}},
		"tb_b":               {"buyer": {"R2"}},
		"yt7512345678901":    {"waybill": {"R1", "R2", "R3"}},
		" YT 7512345678901 ": {"waybill": {"R1", "R2", "R3"}},
		"nothing":            {},
		"":                   {},
	} {
		got, err := e.st.SearchRefunds(e.ctx, shop1, q)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("search %q: %v, want %v", q, got, want)
		}
	}
	if got, _ := e.st.SearchRefunds(e.ctx, "shop-2", "R1"); len(got) != 0 {
		t.Errorf("another shop finds %v", got)
	}
	src, err := e.st.ParcelSources(e.ctx, shop1, "YT7512345678901")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(src["weight_g"], "|p1") || !strings.HasSuffix(src["status"], "|p1") {
		t.Fatalf("parcel sources %v", src)
	}
}

// On a Redis Cluster every step is one script on one shop's slot; the shop
// list lives on its own.
func TestReviewCluster(t *testing.T) {
	addrs := redistest.StartCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	cfg := store.DefaultConfig()
	cfg.Addrs, cfg.Timeout, cfg.Retention = addrs, 5*time.Second, 2*time.Hour
	st, err := store.New(ctx, cfg, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e := &env{st: st, cfg: cfg, ctx: ctx}
	seedQueue(t, e)
	rows, err := st.ReviewCases(ctx, shop1, 10)
	if err != nil || len(rows) != 3 {
		t.Fatalf("queue: %d rows, %v", len(rows), err)
	}
	e.open(t, shop1, "R1", "R2", "R3")
	expect(t, "claim", "ok")(st.ClaimReviewCase(ctx, shop1, "R2", "bob", at(61)))
	expect(t, "verdict", "ok")(st.DecideReviewCase(ctx, shop1, "R2", "bob", "fraud", "x", at(63)))
	expect(t, "reopen", "ok")(st.ReopenReviewCase(ctx, shop1, "R2", "ann", "", at(70), at(900)))
	expect(t, "deadline", "ok")(st.SetReviewDeadline(ctx, shop1, "R2", "ann", at(950), at(71)))
	expect(t, "claim again", "ok")(st.ClaimReviewCase(ctx, shop1, "R2", "ann", at(72)))
	expect(t, "release", "ok")(st.ReleaseReviewCase(ctx, shop1, "R2", "ann", false, at(73)))
	if _, err := st.ReviewEffectsDone(ctx, shop1, "R2", "fraud", at(63)); err != nil {
		t.Fatal(err)
	}
	counts, err := st.ReviewCounters(ctx, shop1, []string{store.ReviewDay(at(63))})
	if err != nil || counts[0]["tracking_reused|hits"] != 2 || counts[0]["tracking_reused|fraud"] != 0 {
		t.Fatalf("counters %v, %v", counts, err)
	}
	if shops, err := st.ReviewShops(ctx); err != nil || !slices.Equal(shops, []string{shop1}) {
		t.Fatalf("shops %v, %v", shops, err)
	}
	if found, err := st.SearchRefunds(ctx, shop1, "tb_b"); err != nil || !slices.Equal(found["buyer"], []string{"R2"}) {
		t.Fatalf("search %v, %v", found, err)
	}
}
