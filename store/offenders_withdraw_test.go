package store_test

// Withdrawing a refund's known-offender confirmations (its fraud verdict was
// reopened), against a real redis-server.

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/offender"
)

func minute(m int) time.Time { return confirmedBase.Add(time.Duration(m) * time.Minute) }

// rec is a record as Offenses reports it: the earliest overall, then each
// shop's earliest as shop → {refund, minute}.
func rec(kind, shop, refund string, min int, byShop map[string]offender.ShopConfirmation) *offender.Record {
	return &offender.Record{Kind: kind, Shop: shop, RefundID: refund, ConfirmedAt: minute(min), ByShop: byShop}
}

func own(refund string, min int) offender.ShopConfirmation {
	return offender.ShopConfirmation{RefundID: refund, ConfirmedAt: minute(min)}
}

func (e *offenderEnv) withdraw(t *testing.T, shop, refund string, upTo time.Time) offender.Withdrawal {
	t.Helper()
	w, err := e.st.WithdrawOffenders(e.ctx, shop, refund, upTo)
	if err != nil {
		t.Fatalf("WithdrawOffenders(%s, %s): %v", shop, refund, err)
	}
	return w
}

// checkRecords compares Offenses for want's hashes: nil means never
// confirmed (absent).
func (e *offenderEnv) checkRecords(t *testing.T, want map[string]*offender.Record) {
	t.Helper()
	var hs []string
	for h := range want {
		hs = append(hs, h)
	}
	got := e.offenses(t, hs...)
	for h, w := range want {
		g, ok := got[h]
		switch {
		case w == nil && ok:
			t.Errorf("%s: still confirmed: %+v", h, g)
		case w != nil && !ok:
			t.Errorf("%s: not confirmed, want %+v", h, *w)
		case w != nil:
			checkRecord(t, g, *w)
		}
	}
}

// A withdrawal removes the refund's confirmations only: other refunds' and
// other shops' stand, and the earliest is derived again from them.
func TestOffendersWithdraw(t *testing.T) {
	e := startOffenders(t)
	for _, tc := range []struct {
		name          string
		confirms      []offender.Confirmation
		shop, refund  string
		wantWithdrawn int
		want          map[string]*offender.Record
	}{
		{
			name: "the earliest withdrawn: the next earliest overall and per shop",
			confirms: []offender.Confirmation{conf("h", "phone", "shop-1", "R1", 0), conf("h", "phone", "shop-1", "R2", 5),
				conf("h", "phone", "shop-2", "R9", 3)},
			shop: "shop-1", refund: "R1", wantWithdrawn: 1,
			want: map[string]*offender.Record{"h": rec("phone", "shop-2", "R9", 3,
				map[string]offender.ShopConfirmation{"shop-1": own("R2", 5), "shop-2": own("R9", 3)})},
		},
		{
			name:     "another shop's confirmation of the same refund id stands",
			confirms: []offender.Confirmation{conf("h", "account", "shop-1", "R1", 0), conf("h", "account", "shop-2", "R1", 2)},
			shop:     "shop-1", refund: "R1", wantWithdrawn: 1,
			want: map[string]*offender.Record{"h": rec("account", "shop-2", "R1", 2, map[string]offender.ShopConfirmation{"shop-2": own("R1", 2)})},
		},
		{
			name:     "the only confirmation: reads as never confirmed",
			confirms: []offender.Confirmation{conf("h", "address", "shop-1", "R1", 0)},
			shop:     "shop-1", refund: "R1", wantWithdrawn: 1,
			want: map[string]*offender.Record{"h": nil},
		},
		{
			name: "every hash the refund confirmed, no other",
			confirms: []offender.Confirmation{conf("h1", "account", "shop-1", "R1", 0), conf("h2", "phone", "shop-1", "R1", 0),
				conf("h3", "phone", "shop-1", "R2", 1)},
			shop: "shop-1", refund: "R1", wantWithdrawn: 2,
			want: map[string]*offender.Record{"h1": nil, "h2": nil,
				"h3": rec("phone", "shop-1", "R2", 1, map[string]offender.ShopConfirmation{"shop-1": own("R2", 1)})},
		},
		{
			name:     "confirmed again after the withdrawal's time: stands, as of then",
			confirms: []offender.Confirmation{conf("h", "sender", "shop-1", "R1", 0), conf("h", "sender", "shop-1", "R1", 20)},
			shop:     "shop-1", refund: "R1", wantWithdrawn: 0,
			want: map[string]*offender.Record{"h": rec("sender", "shop-1", "R1", 20, map[string]offender.ShopConfirmation{"shop-1": own("R1", 20)})},
		},
		{
			name:     "a refund that confirmed nothing",
			confirms: []offender.Confirmation{conf("h", "phone", "shop-1", "R1", 0)},
			shop:     "shop-1", refund: "R7", wantWithdrawn: 0,
			want: map[string]*offender.Record{"h": rec("phone", "shop-1", "R1", 0, map[string]offender.ShopConfirmation{"shop-1": own("R1", 0)})},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := e.rc.FlushAll(e.ctx).Err(); err != nil {
				t.Fatal(err)
			}
			e.confirm(t, tc.confirms...)
			w := e.withdraw(t, tc.shop, tc.refund, minute(10))
			if w.Withdrawn != tc.wantWithdrawn || !w.UpTo.Equal(minute(10)) {
				t.Errorf("withdrawal %+v, want %d up to %s", w, tc.wantWithdrawn, minute(10))
			}
			e.checkRecords(t, tc.want)
			// Idempotent: again, nothing more.
			if w := e.withdraw(t, tc.shop, tc.refund, minute(10)); w.Withdrawn != 0 {
				t.Errorf("second withdrawal: %+v", w)
			}
			e.checkRecords(t, tc.want)
			// The hashes stay in the feed (a filter hit is checked in Redis).
			hs, _ := e.since(t, time.Time{})
			for h := range tc.want {
				if !slices.Contains(hs, h) {
					t.Errorf("%s left the feed", h)
				}
			}
		})
	}
}

// Confirmations and withdrawals of one refund, in any order and repeated,
// end in the right state: a confirmation dated at or before a withdrawal is
// void whenever it arrives; a later one (a new verdict) counts.
func TestOffendersWithdrawOrder(t *testing.T) {
	e := startOffenders(t)
	type step struct {
		what          string
		confirm       *offender.Confirmation // else a withdrawal up to upTo
		refund        string
		upTo          int
		wantWithdrawn int
		want          *offender.Record // of hash "h"; nil: not confirmed
	}
	c := func(refund string, min int) *offender.Confirmation {
		x := conf("h", "phone", "shop-1", refund, min)
		return &x
	}
	r1 := func(min int) *offender.Record {
		return rec("phone", "shop-1", "R1", min, map[string]offender.ShopConfirmation{"shop-1": own("R1", min)})
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"confirm, withdraw, confirm again", []step{
			{what: "verdict", confirm: c("R1", 0), want: r1(0)},
			{what: "reopen", refund: "R1", upTo: 10, wantWithdrawn: 1},
			{what: "reopen retried", refund: "R1", upTo: 10},
			{what: "the verdict's confirmation retried late", confirm: c("R1", 0)},
			{what: "a confirmation dated at the reopen", confirm: c("R1", 10)},
			{what: "a new verdict", confirm: c("R1", 20), want: r1(20)},
			{what: "the old withdrawal retried", refund: "R1", upTo: 10, want: r1(20)},
			{what: "the new verdict repeated", confirm: c("R1", 20), want: r1(20)},
			{what: "reopened again", refund: "R1", upTo: 30, wantWithdrawn: 1},
		}},
		{"the withdrawal before the confirmation it voids", []step{
			{what: "reopen first", refund: "R5", upTo: 10},
			{what: "the verdict's confirmation arrives", confirm: c("R5", 5)},
			{what: "a new verdict", confirm: c("R5", 15), want: rec("phone", "shop-1", "R5", 15,
				map[string]offender.ShopConfirmation{"shop-1": own("R5", 15)})},
		}},
		{"confirmed again before the withdrawal ran", []step{
			{what: "verdict", confirm: c("R1", 0), want: r1(0)},
			{what: "a new confirmation after the reopen's time", confirm: c("R1", 20), want: r1(0)},
			{what: "the withdrawal", refund: "R1", upTo: 10, want: r1(20)},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := e.rc.FlushAll(e.ctx).Err(); err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.steps {
				if s.confirm != nil {
					e.confirm(t, *s.confirm)
				} else if w := e.withdraw(t, "shop-1", s.refund, minute(s.upTo)); w.Withdrawn != s.wantWithdrawn {
					t.Errorf("%s: withdrew %d, want %d", s.what, w.Withdrawn, s.wantWithdrawn)
				}
				got, ok := e.offenses(t, "h")["h"]
				switch {
				case s.want == nil && ok:
					t.Fatalf("%s: confirmed %+v, want none", s.what, got)
				case s.want != nil && !ok:
					t.Fatalf("%s: not confirmed, want %+v", s.what, *s.want)
				case s.want != nil:
					checkRecord(t, got, *s.want)
				}
			}
		})
	}
}

// Reopening a fraud case marks its refund's withdrawal in the same script:
// the time up to which its confirmations are void, the pending list, and
// how many identifiers in the audit log. WithdrawOffenders without a time
// uses it; OffenderWithdrawalDone ends it.
func TestOffendersWithdrawOnReopen(t *testing.T) {
	e := start(t)
	o := &offenderEnv{st: e.st, rc: e.rc, ctx: e.ctx}
	seedQueue(t, e)
	e.open(t, shop1, "R1", "R2", "R3")
	expect(t, "claim R2", "ok")(e.st.ClaimReviewCase(e.ctx, shop1, "R2", "bob", at(61)))
	expect(t, "fraud R2", "ok")(e.st.DecideReviewCase(e.ctx, shop1, "R2", "bob", "fraud", "空包", at(63)))
	verdict := func(hash string) offender.Confirmation {
		return offender.Confirmation{Hash: hash, Kind: "phone", Shop: shop1, RefundID: "R2", ConfirmedAt: at(63)}
	}
	o.confirm(t, verdict("h-a"), verdict("h-b"))
	o.confirm(t, offender.Confirmation{Hash: "h-b", Kind: "phone", Shop: "shop-2", RefundID: "R9", ConfirmedAt: at(90)})

	// Without a reopen (and no time given) there is nothing to withdraw.
	if w, err := e.st.WithdrawOffenders(e.ctx, shop1, "R2", time.Time{}); err != nil || w.Withdrawn != 0 || !w.UpTo.IsZero() {
		t.Fatalf("withdrawal before the reopen: %+v, %v", w, err)
	}
	if got := o.offenses(t, "h-a", "h-b"); len(got) != 2 {
		t.Fatalf("offenses before the reopen: %v", got)
	}
	expect(t, "reopen R2", "ok")(e.st.ReopenReviewCase(e.ctx, shop1, "R2", "ann", "视频", at(70), at(900)))
	log, _ := e.st.ReviewAudit(e.ctx, shop1, "R2")
	var last map[string]any
	if err := json.Unmarshal([]byte(log[len(log)-1]), &last); err != nil || last["action"] != "reopened" || last["offenders_withdrawn"] != 2.0 {
		t.Fatalf("reopen audit %v (%v)", last, err)
	}
	for _, tc := range []struct {
		before time.Time
		want   []string
	}{{at(69), nil}, {at(70), []string{"R2"}}} {
		got, err := e.st.PendingOffenderWithdrawals(e.ctx, shop1, tc.before)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("pending before %s: %v %v, want %v", tc.before, got, err, tc.want)
		}
	}
	// The verdict's confirmation retried after the reopen is void already.
	o.confirm(t, verdict("h-c"))
	if got := o.offenses(t, "h-c"); len(got) != 0 {
		t.Errorf("a late confirmation counted: %v", got)
	}
	w, err := e.st.WithdrawOffenders(e.ctx, shop1, "R2", time.Time{})
	if err != nil || w.Withdrawn != 2 || !w.UpTo.Equal(at(70)) {
		t.Fatalf("withdrawal %+v, %v", w, err)
	}
	o.checkRecords(t, map[string]*offender.Record{"h-a": nil,
		"h-b": {Kind: "phone", Shop: "shop-2", RefundID: "R9", ConfirmedAt: at(90), ByShop: map[string]offender.ShopConfirmation{"shop-2": {RefundID: "R9", ConfirmedAt: at(90)}}}})
	// A later reopen's withdrawal is not ended by an earlier one's done.
	if ok, err := e.st.OffenderWithdrawalDone(e.ctx, shop1, "R2", at(65)); err != nil || ok {
		t.Fatalf("done up to an earlier time: %v %v", ok, err)
	}
	if ok, err := e.st.OffenderWithdrawalDone(e.ctx, shop1, "R2", w.UpTo); err != nil || !ok {
		t.Fatalf("done: %v %v", ok, err)
	}
	if got, _ := e.st.PendingOffenderWithdrawals(e.ctx, shop1, at(1000)); len(got) != 0 {
		t.Errorf("still pending: %v", got)
	}
	if f := e.rc.HKeys(e.ctx, key(shop1, "ofr:R2")).Val(); !slices.Equal(f, []string{"w"}) {
		t.Errorf("index after the withdrawal: %v", f)
	}
	for _, k := range []string{key(shop1, "ofr:R2"), key(shop1, "ofw")} {
		if ttl := e.rc.TTL(e.ctx, k).Val(); ttl != -1 && ttl != -2 {
			t.Errorf("%s: ttl %v, want none", k, ttl)
		}
	}

	// A legit verdict's reopen withdraws nothing.
	expect(t, "claim R3", "ok")(e.st.ClaimReviewCase(e.ctx, shop1, "R3", "ann", at(71)))
	expect(t, "legit R3", "ok")(e.st.DecideReviewCase(e.ctx, shop1, "R3", "ann", "legit", "一家人", at(72)))
	expect(t, "reopen R3", "ok")(e.st.ReopenReviewCase(e.ctx, shop1, "R3", "ann", "", at(73), at(900)))
	if got, _ := e.st.PendingOffenderWithdrawals(e.ctx, shop1, at(1000)); len(got) != 0 {
		t.Errorf("a legit reopen is pending: %v", got)
	}
	if n := e.rc.Exists(e.ctx, key(shop1, "ofr:R3")).Val(); n != 0 {
		t.Error("a legit reopen wrote an index")
	}
	// A new fraud verdict confirms again.
	expect(t, "claim R2 again", "ok")(e.st.ClaimReviewCase(e.ctx, shop1, "R2", "bob", at(80)))
	expect(t, "fraud R2 again", "ok")(e.st.DecideReviewCase(e.ctx, shop1, "R2", "bob", "fraud", "再次确认", at(81)))
	o.confirm(t, offender.Confirmation{Hash: "h-a", Kind: "phone", Shop: shop1, RefundID: "R2", ConfirmedAt: at(81)})
	if got := o.offenses(t, "h-a")["h-a"]; !got.ConfirmedAt.Equal(at(81)) || got.RefundID != "R2" {
		t.Errorf("confirmed again: %+v", got)
	}
}

// A withdrawal names the refunds, of every shop, that lookups matched to the
// hashes it withdrew from, so they can be assessed again.
func TestOffendersWithdrawNamesTheirHits(t *testing.T) {
	e := startOffenders(t)
	e.confirm(t, conf("h1", "account", "shop-1", "R1", 0), conf("h2", "phone", "shop-1", "R1", 0), conf("h3", "phone", "shop-1", "R5", 0))
	hits := []offender.Hit{{Hash: "h1", Shop: "shop-2", RefundID: "R7"}, {Hash: "h2", Shop: "shop-1", RefundID: "R3"},
		{Hash: "h1", Shop: "shop-2", RefundID: "R7"}, {Hash: "h3", Shop: "shop-3", RefundID: "R8"}}
	if err := e.st.RecordHits(e.ctx, hits); err != nil {
		t.Fatal(err)
	}
	if ttl := e.rc.TTL(e.ctx, "sg:offhit:h1").Val(); ttl <= 0 {
		t.Errorf("hits kept without a TTL (%v)", ttl)
	}
	w := e.withdraw(t, "shop-1", "R1", minute(1))
	got := slices.SortedFunc(slices.Values(w.Hits), func(a, b offender.Hit) int { return strings.Compare(a.Hash+a.RefundID, b.Hash+b.RefundID) })
	want := []offender.Hit{{Hash: "h1", Shop: "shop-2", RefundID: "R7"}, {Hash: "h2", Shop: "shop-1", RefundID: "R3"}}
	if !slices.Equal(got, want) {
		t.Errorf("hits %+v, want %+v (h3 was confirmed by another refund)", got, want)
	}
}
