package store_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

// pending builds the assessment of one refund read at version ver.
func pending(t *testing.T, shop, refundID, ver string, d rules.Decision, score int) detector.Pending {
	t.Helper()
	a := rules.Assessment{RefundID: refundID, ShopID: shop, Decision: d, Score: score, Reasons: []rules.Reason{},
		AssessedAt: base, RulesetVersion: "test-1"}
	if d != rules.Approve {
		a.Reasons = []rules.Reason{{Rule: rules.TrackingReused, Severity: "high", Evidence: map[string]any{"n": score}}}
	}
	body, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := json.Marshal([]any{d, score, a.Reasons})
	if err != nil {
		t.Fatal(err)
	}
	return detector.Pending{Ref: detector.Ref{Shop: shop, RefundID: refundID}, Version: ver, Assessment: a,
		JSON: body, Signature: string(sig)}
}

func (e *env) save(t *testing.T, items ...detector.Pending) []detector.Saved {
	t.Helper()
	out, err := e.st.Save(e.ctx, items)
	if err != nil {
		t.Fatalf("save: %v", err)
	}
	if len(out) != len(items) {
		t.Fatalf("save: %d results for %d items", len(out), len(items))
	}
	return out
}

func (e *env) markPublished(t *testing.T, items ...detector.Pending) {
	t.Helper()
	if err := e.st.MarkPublished(e.ctx, items); err != nil {
		t.Fatalf("mark published: %v", err)
	}
}

func (e *env) version(t *testing.T, shop, refundID string) string {
	t.Helper()
	l := e.loadShop(t, shop, refundID)[refundID]
	if !l.Found {
		t.Fatalf("%s/%s not found", shop, refundID)
	}
	return l.Version
}

func (e *env) queue(t *testing.T, shop string, n int64) []string {
	t.Helper()
	q, err := e.st.ReviewQueue(e.ctx, shop, n)
	if err != nil {
		t.Fatalf("review queue: %v", err)
	}
	return q
}

func (e *env) stored(t *testing.T, shop, refundID string) (string, bool) {
	t.Helper()
	b, found, err := e.st.Assessment(e.ctx, shop, refundID)
	if err != nil {
		t.Fatalf("assessment %s/%s: %v", shop, refundID, err)
	}
	return string(b), found
}

// A save reports a change to publish until it is marked published; a save
// computed from facts that moved since they were read stores nothing.
func TestSaveOutcomes(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.apply(t, ord(meta("o-O1-1", 0), "O1", "B1", addrA), rfd(meta("r-R1-1", 10), "R1", "O1", "B1", wb1))
	v := e.version(t, shop1, "R1")
	approve := pending(t, shop1, "R1", v, rules.Approve, 0)
	review := pending(t, shop1, "R1", v, rules.Review, 60)

	type step struct {
		name     string
		do       func() []detector.Saved
		outcome  detector.Outcome
		previous rules.Decision
		stored   detector.Pending // what Assessment() returns after the step
	}
	save := func(p detector.Pending) func() []detector.Saved {
		return func() []detector.Saved { return e.save(t, p) }
	}
	saveThenMark := func(p detector.Pending) func() []detector.Saved {
		return func() []detector.Saved {
			out := e.save(t, p)
			e.markPublished(t, p)
			return out
		}
	}
	for _, s := range []step{
		{"first save", save(approve), detector.Changed, "", approve},
		{"same again, not yet published (crash before publish)", saveThenMark(approve), detector.Changed, "", approve},
		{"same again after publishing", save(approve), detector.Unchanged, "", approve},
		{"new decision", save(review), detector.Changed, rules.Approve, review},
		{"new decision again, unpublished: the stored previous decision", save(review), detector.Changed, rules.Approve, review},
		{"an old signature marked published does not mark the new one", func() []detector.Saved {
			e.markPublished(t, approve)
			return e.save(t, review)
		}, detector.Changed, rules.Approve, review},
		{"published at last", saveThenMark(review), detector.Changed, rules.Approve, review},
		{"unchanged", save(review), detector.Unchanged, "", review},
		{"back to approve", saveThenMark(approve), detector.Changed, rules.Review, approve},
	} {
		out := s.do()
		if out[0].Outcome != s.outcome || out[0].Previous != s.previous {
			t.Errorf("%s: outcome %v previous %q, want %v %q", s.name, out[0].Outcome, out[0].Previous, s.outcome, s.previous)
		}
		if got, found := e.stored(t, shop1, "R1"); !found || got != string(s.stored.JSON) {
			t.Errorf("%s: stored %q (found %v), want %s", s.name, got, found, s.stored.JSON)
		}
	}

	t.Run("stale", func(t *testing.T) {
		v := e.version(t, shop1, "R1")
		// The facts move after Load: a parcel event touches R1.
		if got := touched(t, shop1, e.apply(t, ret(meta("t-W1-1", 20), wb1, "delivered"))[0]); !slices.Contains(got, "R1") {
			t.Fatalf("setup: parcel event touched %v, not R1", got)
		}
		if nv := e.version(t, shop1, "R1"); nv == v {
			t.Fatalf("version stayed %q after R1 was touched", v)
		}
		before := e.dump(t)
		block := pending(t, shop1, "R1", v, rules.Block, 95)
		if out := e.save(t, block); out[0].Outcome != detector.Stale {
			t.Errorf("save read at version %s after a touch: %v, want Stale", v, out[0].Outcome)
		}
		if d := diff(before, e.dump(t)); d != "" {
			t.Errorf("a stale save changed Redis:%s", d)
		}
		// Read again, it goes through.
		block.Version = e.version(t, shop1, "R1")
		if out := e.save(t, block); out[0].Outcome != detector.Changed || out[0].Previous != rules.Approve {
			t.Errorf("save at the current version: %+v, want Changed from approve", out[0])
		}
	})

	t.Run("unknown refund", func(t *testing.T) {
		// Load of a refund never seen (or expired) reports no version.
		for _, v := range []string{"", "1"} {
			if out := e.save(t, pending(t, shop1, "R404", v, rules.Block, 90)); out[0].Outcome != detector.Stale {
				t.Errorf("save of a refund never seen, version %q: %v, want Stale", v, out[0].Outcome)
			}
		}
		if got, found := e.stored(t, shop1, "R404"); found || got != "" {
			t.Errorf("assessment of an unknown refund: %q found=%v", got, found)
		}
		if got, found := e.stored(t, "shop-2", "R1"); found {
			t.Errorf("R1 of shop-2 (only shop-1 has one): %q", got)
		}
	})
}

// The review queue holds review and block decisions, blocks first, then by
// score; approving removes a refund.
func TestReviewQueue(t *testing.T) {
	t.Parallel()
	e := start(t)
	decisions := []struct {
		id    string
		d     rules.Decision
		score int
	}{
		{"R1", rules.Review, 55}, {"R2", rules.Block, 80}, {"R3", rules.Review, 90}, {"R4", rules.Block, 95},
		{"R5", rules.Approve, 10}, {"R6", rules.Review, 70},
	}
	var evs []event.Event
	for i, d := range decisions {
		evs = append(evs, rfd(meta("r-"+d.id, i), d.id, "O"+d.id, "B"+d.id, ""))
	}
	e.apply(t, evs...)
	e.apply(t, inShop("shop-2", rfd(meta("r-X", 0), "X", "OX", "BX", "")))
	var items []detector.Pending
	for _, d := range decisions {
		items = append(items, pending(t, shop1, d.id, e.version(t, shop1, d.id), d.d, d.score))
	}
	for i, s := range e.save(t, items...) {
		if s.Outcome != detector.Changed {
			t.Fatalf("save %s: %v", items[i].RefundID, s.Outcome)
		}
	}
	e.save(t, pending(t, "shop-2", "X", e.version(t, "shop-2", "X"), rules.Block, 99))

	for _, tc := range []struct {
		n    int64
		want []string
	}{
		{10, []string{"R4", "R2", "R3", "R6", "R1"}},
		{2, []string{"R4", "R2"}},
		{1, []string{"R4"}},
	} {
		if got := e.queue(t, shop1, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("queue of %d: %v, want %v", tc.n, got, tc.want)
		}
	}
	if got := e.queue(t, "shop-2", 10); !slices.Equal(got, []string{"X"}) {
		t.Errorf("shop-2 queue %v, want [X]", got)
	}
	if got := e.queue(t, "shop-3", 10); len(got) != 0 {
		t.Errorf("queue of a shop with none: %v", got)
	}

	// Approve R3, block R1 (it moves to the front), lower R4 to review.
	for _, p := range []detector.Pending{
		pending(t, shop1, "R3", e.version(t, shop1, "R3"), rules.Approve, 0),
		pending(t, shop1, "R1", e.version(t, shop1, "R1"), rules.Block, 99),
		pending(t, shop1, "R4", e.version(t, shop1, "R4"), rules.Review, 60),
	} {
		if out := e.save(t, p); out[0].Outcome != detector.Changed {
			t.Fatalf("save %s: %v", p.RefundID, out[0].Outcome)
		}
	}
	if got, want := e.queue(t, shop1, 10), []string{"R1", "R2", "R6", "R4"}; !slices.Equal(got, want) {
		t.Errorf("queue after changes: %v, want %v", got, want)
	}
	// Approving the last ones empties it.
	for _, id := range []string{"R1", "R2", "R6", "R4"} {
		e.save(t, pending(t, shop1, id, e.version(t, shop1, id), rules.Approve, 0))
	}
	if got := e.queue(t, shop1, 10); len(got) != 0 {
		t.Errorf("queue after approving all: %v", got)
	}
}

// RefundShops names every shop with a refund of that id, sorted.
func TestRefundShops(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.apply(t,
		inShop("shop-b", rfd(meta("r-b", 0), "R1", "O1", "B1", "")),
		inShop("shop-a", rfd(meta("r-a", 0), "R1", "O9", "B9", "")),
		inShop("shop-c", rfd(meta("r-c", 0), "R2", "O2", "B2", "")),
		inShop("shop-b", rfd(meta("r-b2", 5), "R1", "O1", "B1", wb1)), // a newer event of the same refund
		inShop("shop-c", msg(meta("m-c", 0), "M1", "B1", "", "R1")),   // a message does not make a refund
	)
	for _, tc := range []struct {
		id   string
		want []string
	}{
		{"R1", []string{"shop-a", "shop-b"}},
		{"R2", []string{"shop-c"}},
		{"R404", []string{}},
	} {
		got, err := e.st.RefundShops(e.ctx, tc.id)
		if err != nil {
			t.Fatalf("refund shops %s: %v", tc.id, err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("refund shops of %s: %v, want %v", tc.id, got, tc.want)
		}
	}
}
