package api

// Known offenders through the staff workflow, end to end: a real offender
// book and the real detector on the store of package browsertest's world,
// so a verdict's confirmation and a reopen's withdrawal show in the linked
// refunds' assessments.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sellerguard/sellerguard/browsertest"
	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/offender"
	"github.com/sellerguard/sellerguard/rules"
)

// switchableReassessor fails while err is set.
type switchableReassessor struct {
	next Reassessor
	mu   sync.Mutex
	err  error
}

func (r *switchableReassessor) Reassess(ctx context.Context, refs []detector.Ref) error {
	r.mu.Lock()
	err := r.err
	r.mu.Unlock()
	if err != nil {
		return err
	}
	return r.next.Reassess(ctx, refs)
}

func (r *switchableReassessor) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

type offenderWorld struct {
	*reviewEnv
	book *offender.Book
	proc *detector.Processor
	reas *switchableReassessor
}

// linkedRefund is R1007 of tb_alice_2, who orders to tb_alice's address
// (T1006): an account linked to R1001's buyer, with no parcel of its own.
const linkedRefund = "R1007"

func newOffenderWorld(t *testing.T, reassessCap int) *offenderWorld {
	t.Helper()
	tokens, err := NewTokens([]Token{
		{Token: rvAdmin, Shop: "*", Role: RoleAdmin, Name: "ops"},
		{Token: rvAnn, Shop: "shop-1", Role: RoleReviewer, Name: "ann"},
	})
	if err != nil {
		t.Fatal(err)
	}
	w := browsertest.NewWorld(t, worldNow)
	h, err := offender.NewHasher([]byte("api-test-key-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := offender.NewFilter(1000, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	book := offender.NewBook(h, f, w.Store, reg)
	if err := book.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pub := &recordingPublisher{}
	topics := map[string]event.Kind{"orders": event.KindOrder, "refunds": event.KindRefund, "returns": event.KindReturn, "messages": event.KindMessage}
	proc, err := detector.New(detector.Config{Topics: topics, Rules: rules.DefaultSet(), Offenders: book,
		Clock: func() time.Time { return worldNow.Add(-time.Hour) }}, w.Store, w.Store, pub, pub, reg, log)
	if err != nil {
		t.Fatal(err)
	}
	x := &offenderWorld{reviewEnv: &reviewEnv{world: w, pub: pub, reg: reg, now: worldNow}, book: book, proc: proc,
		reas: &switchableReassessor{next: proc}}
	x.srv = New(w.Store, tokens, nil, reg, reg, log)
	x.rv = NewReview(w.Store, w.Store, book, pub, ReviewConfig{Now: x.clock, Reassess: x.reas, ReassessCap: reassessCap}, reg, log)
	x.srv.HandleReview(x.rv)
	day := worldNow.Add(-24 * time.Hour).Truncate(time.Second)
	if err := proc.Ingest(context.Background(), []event.Event{&event.Refund{
		Meta:     event.Meta{EventID: "ev-linked-1", ShopID: browsertest.Shop1, OccurredAt: day, SchemaVersion: 1},
		RefundID: linkedRefund, OrderID: "T1006", BuyerID: "tb_alice_2", RefundKind: "refund_only", Reason: "no_reason",
		Status: "requested", RequestedAt: day, AmountMinor: 59900, Description: "不想要了"}}); err != nil {
		t.Fatal(err)
	}
	return x
}

// knownOffender is the known_offender reason of a refund as the lookup API
// serves it; nil when it has none.
func (x *offenderWorld) knownOffender(t *testing.T, refundID string) map[string]any {
	t.Helper()
	return x.knownOffenderAs(t, rvAnn, refundID)
}

func (x *offenderWorld) knownOffenderAs(t *testing.T, token, path string) map[string]any {
	t.Helper()
	out := x.must(t, 200, "GET", "/v1/refunds/"+path, token, nil)
	for _, r := range out["reasons"].([]any) {
		if r := r.(map[string]any); r["rule"] == rules.KnownOffender {
			return r
		}
	}
	return nil
}

func (x *offenderWorld) fraud(t *testing.T, refundID string) {
	t.Helper()
	x.must(t, 200, "POST", "/v1/cases/"+refundID+"/claim", rvAnn, nil)
	out := x.must(t, 200, "POST", "/v1/cases/"+refundID+"/verdict", rvAnn, map[string]any{"verdict": "fraud", "note": "同一退货单号被两个账号使用"})
	if out["status"] != "closed" {
		t.Fatalf("verdict: %v", out)
	}
}

// hashes are the keyed hashes of a refund's identifiers now.
func (x *offenderWorld) hashes(t *testing.T, refundID string) []string {
	t.Helper()
	loaded, err := x.world.Store.Load(context.Background(), []detector.Ref{{Shop: browsertest.Shop1, RefundID: refundID}})
	if err != nil || !loaded[0].Found {
		t.Fatalf("load %s: %v", refundID, err)
	}
	var out []string
	for _, id := range offender.Identifiers(loaded[0].Case) {
		out = append(out, x.book.Hash(id))
	}
	return out
}

// A fraud verdict makes the linked refunds known offenders at once; its
// reopen takes that back at once, in Redis and in their assessments; a new
// verdict confirms again.
func TestReviewKnownOffenderConfirmAndWithdraw(t *testing.T) {
	x := newOffenderWorld(t, 0)
	ctx := context.Background()
	linked := []string{linkedRefund, browsertest.RefundReused} // same address; same waybill and sender
	for _, id := range linked {
		if r := x.knownOffender(t, id); r != nil {
			t.Fatalf("%s is a known offender before any verdict: %v", id, r)
		}
	}
	x.setNow(worldNow.Add(30 * time.Minute))
	x.fraud(t, browsertest.RefundFirstUse)
	for _, id := range linked {
		r := x.knownOffender(t, id)
		if r == nil {
			t.Fatalf("%s not re-assessed to known_offender after the verdict", id)
		}
		if ev := fmt.Sprint(r["evidence"]); !strings.Contains(ev, browsertest.RefundFirstUse) {
			t.Errorf("%s: evidence %s does not name the confirming refund", id, ev)
		}
	}
	if v := testutil.ToFloat64(x.rv.m.reassessed.WithLabelValues(causeConfirm)); v != 2 {
		t.Errorf("reassessed{confirm} = %v, want 2", v)
	}
	hashes := x.hashes(t, browsertest.RefundFirstUse)
	if recs, err := x.world.Store.Offenses(ctx, hashes); err != nil || len(recs) != len(hashes) {
		t.Fatalf("offenses after the verdict: %d of %d, %v", len(recs), len(hashes), err)
	}

	x.setNow(worldNow.Add(time.Hour))
	out := x.must(t, 200, "POST", "/v1/cases/"+browsertest.RefundFirstUse+"/reopen", rvAnn, map[string]any{"note": "买家提供了寄件视频"})
	audit := out["audit"].([]any)
	if last := audit[len(audit)-1].(map[string]any); last["action"] != "reopened" || last["offenders_withdrawn"] != float64(len(hashes)) {
		t.Fatalf("reopen audit %v, want %d identifiers withdrawn", last, len(hashes))
	}
	for _, id := range linked {
		if r := x.knownOffender(t, id); r != nil {
			t.Errorf("%s still a known offender after the reopen: %v", id, r)
		}
	}
	if recs, err := x.world.Store.Offenses(ctx, hashes); err != nil || len(recs) != 0 {
		t.Errorf("offender lookup after the reopen: %v, %v", recs, err)
	}
	loaded, _ := x.world.Store.Load(ctx, []detector.Ref{{Shop: browsertest.Shop1, RefundID: linkedRefund}})
	if got, err := x.book.Lookup(ctx, browsertest.Shop1, loaded[0].Case); err != nil || len(got) != 0 {
		t.Errorf("book lookup for %s after the reopen: %v, %v", linkedRefund, got, err)
	}
	if v := testutil.ToFloat64(x.rv.m.reassessed.WithLabelValues(causeWithdraw)); v != 2 {
		t.Errorf("reassessed{withdraw} = %v, want 2", v)
	}
	if pending, err := x.world.Store.PendingOffenderWithdrawals(ctx, browsertest.Shop1, worldNow.Add(24*time.Hour)); err != nil || len(pending) != 0 {
		t.Errorf("withdrawal left pending: %v, %v", pending, err)
	}
	if n := withdrawals(t, x.reg); n != float64(len(hashes)) {
		t.Errorf("withdrawals_total = %v, want %d", n, len(hashes))
	}

	// Judged fraud again: confirmed again.
	x.setNow(worldNow.Add(2 * time.Hour))
	x.fraud(t, browsertest.RefundFirstUse)
	if r := x.knownOffender(t, linkedRefund); r == nil {
		t.Errorf("%s not a known offender after the second verdict", linkedRefund)
	}
}

func withdrawals(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "sellerguard_offender_withdrawals_total" {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("sellerguard_offender_withdrawals_total not registered")
	return 0
}

// A reopen whose re-assessment failed is carried out again by Sync, once
// its own request has had a minute.
func TestReviewOffenderWithdrawalRetried(t *testing.T) {
	x := newOffenderWorld(t, 0)
	ctx := context.Background()
	x.setNow(worldNow.Add(30 * time.Minute))
	x.fraud(t, browsertest.RefundFirstUse)
	x.reas.fail(errors.New("kafka down"))
	x.setNow(worldNow.Add(time.Hour))
	x.must(t, 200, "POST", "/v1/cases/"+browsertest.RefundFirstUse+"/reopen", rvAnn, nil)
	pending := func() []string {
		ids, err := x.world.Store.PendingOffenderWithdrawals(ctx, browsertest.Shop1, worldNow.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := pending(); !slices.Equal(got, []string{browsertest.RefundFirstUse}) {
		t.Fatalf("pending %v", got)
	}
	if x.knownOffender(t, linkedRefund) == nil {
		t.Fatal("re-assessed although the re-assessment failed")
	}
	x.reas.fail(nil)
	if err := x.rv.Sync(ctx, x.srv.tokens); err != nil {
		t.Fatal(err)
	}
	if len(pending()) != 1 {
		t.Fatal("retried within the minute")
	}
	x.setNow(worldNow.Add(time.Hour + 2*time.Minute))
	if err := x.rv.Sync(ctx, x.srv.tokens); err != nil {
		t.Fatal(err)
	}
	if got := pending(); len(got) != 0 {
		t.Fatalf("still pending after sync: %v", got)
	}
	if r := x.knownOffender(t, linkedRefund); r != nil {
		t.Errorf("%s still a known offender after the retry: %v", linkedRefund, r)
	}
}

// Past the cap the buyer's and the address-linked accounts' refunds come
// first; the rest wait for their next event, counted.
func TestReviewOffenderReassessCap(t *testing.T) {
	x := newOffenderWorld(t, 1)
	x.setNow(worldNow.Add(30 * time.Minute))
	x.fraud(t, browsertest.RefundFirstUse)
	if x.knownOffender(t, linkedRefund) == nil {
		t.Errorf("%s (linked account) not re-assessed", linkedRefund)
	}
	if x.knownOffender(t, browsertest.RefundReused) != nil {
		t.Errorf("%s re-assessed past the cap", browsertest.RefundReused)
	}
	if v := testutil.ToFloat64(x.rv.m.reassessCapped.WithLabelValues(causeConfirm)); v != 1 {
		t.Errorf("capped{confirm} = %v", v)
	}
}

func TestAffectedRefunds(t *testing.T) {
	refund := func(id, buyer, status string) *event.Refund {
		return &event.Refund{RefundID: id, BuyerID: buyer, Status: status}
	}
	sum := func(id, status string) rules.RefundSummary { return rules.RefundSummary{RefundID: id, Status: status} }
	for _, tc := range []struct {
		name string
		c    rules.Case
		want []string
	}{
		{"nothing linked", rules.Case{Refund: refund("R1", "b1", "requested")}, nil},
		{
			name: "the buyer's own first, then linked accounts by id; not the case itself, not settled ones",
			c: rules.Case{Refund: refund("R1", "b2", "requested"), History: map[string][]rules.RefundSummary{
				"b1": {sum("R10", "requested"), sum("R11", "refunded")},
				"b2": {sum("R1", "requested"), sum("R20", "returned"), sum("R21", "cancelled")},
				"b3": {sum("R30", "agreed"), sum("R31", "rejected"), sum("R32", "closed")},
			}},
			want: []string{"R20", "R10", "R30"},
		},
		{
			name: "buyer refunds, waybill and sender links, each once",
			c: rules.Case{Refund: refund("R1", "b1", "requested"),
				History:        map[string][]rules.RefundSummary{"b1": {sum("R2", "requested")}},
				BuyerRefunds:   map[string][]string{"b4": {"R40", "R2"}},
				WaybillRefunds: []rules.Related{{Refund: refund("R50", "b5", "returned")}, {Refund: refund("R51", "b5", "refunded")}, {}},
				SenderLinks:    []rules.SenderLink{{RefundID: "R60"}, {RefundID: "R40"}, {RefundID: ""}},
			},
			want: []string{"R2", "R40", "R50", "R60"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range affectedRefunds("shop-1", tc.c) {
				if r.Shop != "shop-1" {
					t.Errorf("ref of shop %q", r.Shop)
				}
				got = append(got, r.RefundID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("affected %v, want %v", got, tc.want)
			}
		})
	}
}

// Another shop's refund that a confirmation flagged (on its next event) loses
// known_offender as soon as the confirming case is reopened: the withdrawal
// reaches every refund a lookup matched to the withdrawn hashes.
func TestReviewWithdrawalReachesOtherShops(t *testing.T) {
	x := newOffenderWorld(t, 0)
	ctx := context.Background()
	day := worldNow.Add(-24 * time.Hour).Truncate(time.Second)
	elsewhere := func(status string, at time.Time) {
		t.Helper()
		if err := x.proc.Ingest(ctx, []event.Event{&event.Refund{
			Meta:     event.Meta{EventID: "ev-other-" + status, ShopID: "shop-2", OccurredAt: at, SchemaVersion: 1},
			RefundID: "R2001", OrderID: "T2001", BuyerID: "tb_alice", RefundKind: "refund_only", Reason: "no_reason",
			Status: status, RequestedAt: day, AmountMinor: 12900, Description: "不想要了"}}); err != nil {
			t.Fatal(err)
		}
	}
	const other = "R2001?shop_id=shop-2"
	elsewhere("requested", day)
	x.setNow(worldNow.Add(30 * time.Minute))
	x.fraud(t, browsertest.RefundFirstUse)
	if r := x.knownOffenderAs(t, rvAdmin, other); r != nil {
		t.Fatalf("another shop's refund re-assessed by the confirmation: %v (it waits for its next event)", r)
	}
	elsewhere("agreed", day.Add(time.Hour))
	if r := x.knownOffenderAs(t, rvAdmin, other); r == nil {
		t.Fatal("another shop's refund of the confirmed account is not a known offender on its next event")
	}
	x.setNow(worldNow.Add(time.Hour))
	x.must(t, 200, "POST", "/v1/cases/"+browsertest.RefundFirstUse+"/reopen", rvAnn, map[string]any{"note": "买家提供了寄件视频"})
	if r := x.knownOffenderAs(t, rvAdmin, other); r != nil {
		t.Errorf("another shop's refund still a known offender after the reopen: %v", r)
	}
}
