package store_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

const (
	wb1 = "YT7500000001"
	wb2 = "YT7500000002"
	wb9 = "SF9000000009"
)

// world is a small shop: two accounts at one address, two refunds sharing
// a waybill, its parcel from the courier and the warehouse, and a message.
func world() []event.Event {
	courier := ret(meta("t-W1-1", 20), wb1, "picked_up")
	courier.WeightG, courier.Sender = ptr(int64(1580)), ptr(addrA)
	wh := ret(meta("t-W1-2", 30), wb1, "signed")
	wh.RefundID = "R1"
	wh.Inspection = &event.Inspection{Outcome: "ok", ItemsReceived: []event.ItemRef{{SKUID: "SKU-1", Quantity: 1}}}
	return []event.Event{
		ord(meta("o-O1-1", 0), "O1", "B1", addrA),
		ord(meta("o-O2-1", 1), "O2", "B2", addrAOtherPhone),
		rfd(meta("r-R1-1", 10), "R1", "O1", "B1", wb1),
		rfd(meta("r-R2-1", 11), "R2", "O2", "B2", wb1),
		courier, wh,
		msg(meta("m-M1-1", 40), "M1", "B1", "O1", "R1"),
	}
}

var worldRefunds = []string{"R1", "R2", "R3"}

// Applying an event a second time leaves every key as it was (except the
// refunds' input-version counters), reads back the same cases, and reports
// the same refunds again so a redelivered batch re-assesses them.
func TestApplyTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	e := start(t)
	courierW1 := ret(meta("t-W1-3", 50), wb1, "delivered")
	courierW1.WeightG, courierW1.Recipient = ptr(int64(1575)), ptr(addrB)
	warehouseW9 := ret(meta("t-W9-1", 50), wb9, "signed")
	warehouseW9.RefundID = "R3"
	warehouseW9.Inspection = &event.Inspection{Outcome: "empty"}
	for _, tc := range []struct {
		name string
		ev   event.Event
	}{
		{"new order", ord(meta("o-O3-1", 50), "O3", "B3", addrA2)},
		{"order moves to another address", ord(meta("o-O1-2", 50), "O1", "B1", addrB)},
		{"new refund on the shared waybill", rfd(meta("r-R3-1", 50), "R3", "O1", "B1", wb1)},
		{"refund changes its waybill", rfd(meta("r-R1-2", 50), "R1", "O1", "B1", wb2)},
		{"stale refund event", rfd(meta("r-R1-0", 5), "R1", "O1", "B1", wb2)},
		{"courier parcel update", courierW1},
		{"warehouse links a new parcel", warehouseW9},
		{"message about a refund", msg(meta("m-M2-1", 50), "M2", "B2", "", "R2")},
		{"message about an order", msg(meta("m-M3-1", 50), "M3", "B2", "O2", "")},
		{"message of a buyer", msg(meta("m-M4-1", 50), "M4", "B1", "", "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.flush(t)
			e.applyEach(t, world()...)
			first := touched(t, shop1, e.apply(t, tc.ev)[0])
			d1, c1 := e.dump(t), e.cases(t, worldRefunds...)

			second := touched(t, shop1, e.apply(t, tc.ev)[0])
			if d := diff(d1, e.dump(t)); d != "" {
				t.Errorf("second apply changed Redis:%s", d)
			}
			if c2 := e.cases(t, worldRefunds...); !reflect.DeepEqual(c1, c2) {
				t.Errorf("second apply changed the cases:\n first  %v\n second %v", c1, c2)
			}
			if !slices.Equal(first, second) {
				t.Errorf("redelivery touched %v, first delivery %v", second, first)
			}

			// Twice in one batch, and the whole world again: still nothing.
			e.apply(t, tc.ev, tc.ev)
			e.apply(t, world()...)
			if d := diff(d1, e.dump(t)); d != "" {
				t.Errorf("redelivered batch changed Redis:%s", d)
			}
		})
	}
}

// stamp is the event meta of one delivery in the last-writer-wins table.
type stamp struct {
	id string
	at time.Time
}

// Each entity keeps the state of its newest event: newer occurred_at wins
// whatever the arrival order, ties go to the larger event id.
func TestApplyLastWriterWins(t *testing.T) {
	t.Parallel()
	e := start(t)
	shanghai := time.FixedZone("CST", 8*3600)
	// Each entity's two states: the older loses, the newer wins.
	kinds := []struct {
		name  string
		mk    func(m event.Meta, newer bool) event.Event
		check func(c rules.Case) (got, want any)
	}{
		{"refund", func(m event.Meta, newer bool) event.Event {
			if newer {
				r := rfd(m, "R1", "O1", "B1", wb2)
				r.Status = "agreed"
				return r
			}
			return rfd(m, "R1", "O1", "B1", wb1)
		}, func(c rules.Case) (any, any) {
			return []string{c.Refund.Status, c.Refund.ReturnShipment.TrackingNo}, []string{"agreed", wb2}
		}},
		{"order", func(m event.Meta, newer bool) event.Event {
			if newer {
				o := ord(m, "O1", "B1", addrB)
				o.Status = "shipped"
				return o
			}
			return ord(m, "O1", "B1", addrA)
		}, func(c rules.Case) (any, any) {
			got := []any{c.Order.Status, *c.Order.Receiver, c.AddressLinks}
			return got, []any{"shipped", addrB, []rules.Link{{OrderID: "O1", BuyerID: "B1"}}}
		}},
		{"return parcel", func(m event.Meta, newer bool) event.Event {
			if newer {
				r := ret(m, wb1, "signed")
				r.WeightG = ptr(int64(1500))
				return r
			}
			r := ret(m, wb1, "in_transit")
			r.WeightG = ptr(int64(30))
			return r
		}, func(c rules.Case) (any, any) {
			if c.Parcel == nil || c.Parcel.WeightG == nil {
				return c.Parcel, "a parcel with a weight"
			}
			return []any{c.Parcel.Status, *c.Parcel.WeightG}, []any{"signed", int64(1500)}
		}},
	}
	stamps := []struct {
		name         string
		older, newer stamp
	}{
		{"newer by an hour, smaller event id", stamp{"e-9", at(100)}, stamp{"e-1", at(160)}},
		{"newer by a nanosecond", stamp{"e-9", at(100)}, stamp{"e-1", at(100).Add(time.Nanosecond)}},
		{"same instant, larger event id", stamp{"e-1a", at(100)}, stamp{"e-1b", at(100)}},
		{"same instant in another zone, larger event id", stamp{"e-1a", at(100)}, stamp{"e-1b", at(100).In(shanghai)}},
		{"older one's local clock is later", stamp{"e-9", at(100).In(shanghai)}, stamp{"e-1", at(101)}},
	}
	for _, k := range kinds {
		for _, s := range stamps {
			older := k.mk(event.Meta{EventID: s.older.id, ShopID: shop1, OccurredAt: s.older.at}, false)
			newer := k.mk(event.Meta{EventID: s.newer.id, ShopID: shop1, OccurredAt: s.newer.at}, true)
			t.Run(k.name+"/"+s.name, func(t *testing.T) {
				setup := []event.Event{ord(meta("o-O1-0", 0), "O1", "B1", addrA), rfd(meta("r-R1-0", 1), "R1", "O1", "B1", wb1)}
				// newer first, then the older one arrives late
				e.flush(t)
				e.applyEach(t, setup...)
				e.apply(t, newer)
				want, wantFacts := e.dump(t), e.dump(t, "rm")
				check := func(when string) {
					l := e.load(t, "R1")["R1"]
					if !l.Found {
						t.Fatalf("%s: R1 not found", when)
					}
					if got, w := k.check(l.Case); !reflect.DeepEqual(got, w) {
						t.Errorf("%s: got %+v, want the newer state %+v", when, got, w)
					}
				}
				check("newer alone")
				e.apply(t, older)
				if d := diff(want, e.dump(t)); d != "" {
					t.Errorf("the older event rolled state back:%s", d)
				}
				check("older after newer")

				// older first, then newer: the same state
				e.flush(t)
				e.applyEach(t, setup...)
				e.apply(t, older)
				e.apply(t, newer)
				if d := diff(wantFacts, e.dump(t, "rm")); d != "" {
					t.Errorf("older then newer differs from newer alone (besides rm):%s", d)
				}
				check("older then newer")
			})
		}
	}
}

// permutations calls f with every ordering of evs.
func permutations(evs []event.Event, f func([]event.Event)) {
	var rec func(k int)
	rec = func(k int) {
		if k == len(evs) {
			f(slices.Clone(evs))
			return
		}
		for i := k; i < len(evs); i++ {
			evs[k], evs[i] = evs[i], evs[k]
			rec(k + 1)
			evs[k], evs[i] = evs[i], evs[k]
		}
	}
	rec(0)
}

// permutationEvents are five events of one order, its refund and its return
// parcel; the order and the refund each change index memberships.
func permutationEvents() []event.Event {
	parcel := ret(meta("t-W2-1", 25), wb2, "signed")
	parcel.WeightG, parcel.Sender = ptr(int64(1580)), ptr(addrA)
	parcel.RefundID, parcel.Inspection = "R1", &event.Inspection{Outcome: "missing_items"}
	return []event.Event{
		ord(meta("o-O1-1", 0), "O1", "B1", addrA),
		rfd(meta("r-R1-1", 10), "R1", "O1", "B1", wb1),
		parcel,
		rfd(meta("r-R1-2", 30), "R1", "O1", "B1", wb2),
		ord(meta("o-O1-2", 40), "O1", "B1", addrB),
	}
}

// The facts after a set of events do not depend on their arrival order.
func TestApplyAnyOrderSameFacts(t *testing.T) {
	t.Parallel()
	e := start(t)
	// A second account at O1's first address, so the address indexes matter.
	others := []event.Event{ord(meta("o-O2-1", 2), "O2", "B2", addrAOtherPhone), rfd(meta("r-R2-1", 3), "R2", "O2", "B2", wb1)}
	evs := permutationEvents() // 5! = 120 orders
	e.flush(t)
	e.applyEach(t, append(slices.Clone(others), evs...)...)
	// rm, what the last change removed, is bookkeeping that only widens
	// later re-assessments; it may differ by arrival order, the facts not.
	want, wantCases := e.dump(t, "rm"), e.cases(t, "R1", "R2")
	n := 0
	permutations(evs, func(p []event.Event) {
		n++
		var names []string
		for _, ev := range p {
			names = append(names, ev.Head().EventID)
		}
		e.flush(t)
		e.applyEach(t, append(slices.Clone(others), p...)...)
		if d := diff(want, e.dump(t, "rm")); d != "" {
			t.Errorf("order %v: facts differ:%s", names, d)
		}
		if got := e.cases(t, "R1", "R2"); !reflect.DeepEqual(wantCases, got) {
			t.Errorf("order %v: cases differ:\n want %v\n got  %v", names, wantCases, got)
		}
	})
	if n != 120 {
		t.Fatalf("ran %d orders, want 120", n)
	}
}

func hexists(t *testing.T, e *env, k, field string) bool {
	t.Helper()
	ok, err := e.rc.HExists(e.ctx, k, field).Result()
	if err != nil {
		t.Fatalf("hexists %s %s: %v", k, field, err)
	}
	return ok
}

// Index memberships follow each entity's newest state, and moving out of an
// index re-assesses the refunds left behind.
func TestIndexesFollowNewestState(t *testing.T) {
	t.Parallel()
	e := start(t)

	t.Run("refund changes its waybill", func(t *testing.T) {
		e.flush(t)
		e.applyEach(t,
			rfd(meta("r-R1-1", 10), "R1", "O1", "B1", wb1),
			rfd(meta("r-R2-1", 11), "R2", "O2", "B2", wb1),
			rfd(meta("r-R3-1", 12), "R3", "O3", "B3", wb1),
			rfd(meta("r-R4-1", 13), "R4", "O4", "B4", wb2),
		)
		// "yt 7500-000001" normalizes to wb1: the index is by normal form.
		if !hexists(t, e, key(shop1, "wb:"+wb1), "R1") {
			t.Fatalf("setup: R1 not on wb:%s", wb1)
		}
		a := e.apply(t, rfd(meta("r-R1-2", 20), "R1", "O1", "B1", "yt "+wb2[2:]))[0]
		if got, want := touched(t, shop1, a), []string{"R1", "R2", "R3", "R4"}; !slices.Equal(got, want) {
			t.Errorf("moving R1 from W1 to W2 touched %v, want %v (itself, the refunds left on W1 and those on W2)", got, want)
		}
		check := func(when string) {
			t.Helper()
			if hexists(t, e, key(shop1, "wb:"+wb1), "R1") {
				t.Errorf("%s: wb:%s still has R1", when, wb1)
			}
			if !hexists(t, e, key(shop1, "wb:"+wb2), "R1") {
				t.Errorf("%s: wb:%s lacks R1", when, wb2)
			}
			l := e.load(t, "R1", "R2")
			if got := relatedIDs(l["R2"].Case); !slices.Equal(got, []string{"R3"}) {
				t.Errorf("%s: R2's waybill refunds %v, want [R3]", when, got)
			}
			if got := relatedIDs(l["R1"].Case); !slices.Equal(got, []string{"R4"}) {
				t.Errorf("%s: R1's waybill refunds %v, want [R4]", when, got)
			}
		}
		check("after the move")

		// A stale event naming W1 again moves nothing back, but still
		// reports the refunds it concerns.
		a = e.apply(t, rfd(meta("r-R1-0", 15), "R1", "O1", "B1", wb1))[0]
		check("after a stale event")
		if got := touched(t, shop1, a); !slices.Contains(got, "R1") {
			t.Errorf("stale event touched %v, want R1 among them", got)
		}
	})

	t.Run("order changes its receiver", func(t *testing.T) {
		e.flush(t)
		akA, akB := rules.AddressKey(addrA), rules.AddressKey(addrB)
		pkA, pkB := rules.NormalizePhone(addrA.Phone).Key(), rules.NormalizePhone(addrB.Phone).Key()
		if akA == "" || akB == "" || akA == akB || pkA == "" || pkB == "" || pkA == pkB {
			t.Fatalf("fixture addresses do not give distinct keys: %q %q %q %q", akA, akB, pkA, pkB)
		}
		e.applyEach(t,
			ord(meta("o-O1-1", 0), "O1", "B1", addrA),
			ord(meta("o-O2-1", 1), "O2", "B2", addrAOtherPhone),   // same address, other phone
			ord(meta("o-O3-1", 2), "O3", "B3", addrCSamePhoneAsA), // same phone, other address
			ord(meta("o-O4-1", 3), "O4", "B4", addrB),             // O1's new address
			rfd(meta("r-R1-1", 10), "R1", "O1", "B1", ""),
			rfd(meta("r-R2-1", 11), "R2", "O2", "B2", ""),
			rfd(meta("r-R3-1", 12), "R3", "O3", "B3", ""),
			rfd(meta("r-R4-1", 13), "R4", "O4", "B4", ""),
		)
		a := e.apply(t, ord(meta("o-O1-2", 20), "O1", "B1", addrB))[0]
		if got, want := touched(t, shop1, a), []string{"R1", "R2", "R3", "R4"}; !slices.Equal(got, want) {
			t.Errorf("moving O1 from A to B touched %v, want %v (its refund, the accounts at its old and new address and phone)", got, want)
		}
		check := func(when string) {
			t.Helper()
			for _, c := range []struct {
				idx  string
				want bool
			}{{"ad:" + akA, false}, {"ph:" + pkA, false}, {"ad:" + akB, true}, {"ph:" + pkB, true}} {
				if got := hexists(t, e, key(shop1, c.idx), "O1"); got != c.want {
					t.Errorf("%s: %s has O1: %v, want %v", when, c.idx, got, c.want)
				}
			}
			if v, err := e.rc.HGet(e.ctx, key(shop1, "ad:"+akB), "O1").Result(); err != nil || v != "B1" {
				t.Errorf("%s: ad:%s O1 = %q (%v), want its buyer B1", when, akB, v, err)
			}
			l := e.load(t, "R1", "R2", "R3")
			if got := l["R2"].Case.AddressLinks; !reflect.DeepEqual(got, []rules.Link{{OrderID: "O2", BuyerID: "B2"}}) {
				t.Errorf("%s: R2's address links %v, want O2 only", when, got)
			}
			if got := l["R3"].Case.PhoneLinks; !reflect.DeepEqual(got, []rules.Link{{OrderID: "O3", BuyerID: "B3"}}) {
				t.Errorf("%s: R3's phone links %v, want O3 only", when, got)
			}
			want := []rules.Link{{OrderID: "O1", BuyerID: "B1"}, {OrderID: "O4", BuyerID: "B4"}}
			if got := l["R1"].Case.AddressLinks; !reflect.DeepEqual(got, want) {
				t.Errorf("%s: R1's address links %v, want %v", when, got, want)
			}
			if got := l["R1"].Case.PhoneLinks; !reflect.DeepEqual(got, want) {
				t.Errorf("%s: R1's phone links %v, want %v", when, got, want)
			}
		}
		check("after the move")
		e.apply(t, ord(meta("o-O1-0", 10), "O1", "B1", addrA))
		check("after a stale event")
	})
}

func relatedIDs(c rules.Case) []string {
	ids := []string{}
	for _, r := range c.WaybillRefunds {
		ids = append(ids, r.Refund.RefundID)
	}
	slices.Sort(ids)
	return ids
}

// A return parcel is merged field by field from the courier's and the
// warehouse's events, whatever their order.
func TestParcelMergesPerField(t *testing.T) {
	t.Parallel()
	e := start(t)
	courier := ret(meta("t-W1-1", 20), wb1, "picked_up")
	courier.WeightG, courier.Sender = ptr(int64(1580)), ptr(addrA)
	insp := &event.Inspection{Outcome: "missing_items", ItemsReceived: []event.ItemRef{{SKUID: "SKU-1", Quantity: 1}},
		InspectedAt: at(30), Note: "少一件"}
	warehouse := &event.Return{Meta: meta("t-W1-2", 30), TrackingNo: wb1, Carrier: "YTO", Status: "signed",
		RefundID: "R1", Inspection: insp}
	later := ret(meta("t-W1-3", 40), "yt"+wb1[2:], "signed") // no weight, no sender; spelled differently
	want := &rules.Parcel{TrackingNo: later.TrackingNo, Carrier: "YTO", Status: "signed", RefundID: "R1",
		WeightG: ptr(int64(1580)), Sender: ptr(addrA), Inspection: insp}

	steps := []event.Event{courier, warehouse, later}
	permutations(steps, func(p []event.Event) {
		e.flush(t)
		e.applyEach(t, ord(meta("o-O1-1", 0), "O1", "B1", addrA), rfd(meta("r-R1-1", 10), "R1", "O1", "B1", wb1))
		e.applyEach(t, p...)
		got := e.load(t, "R1")["R1"].Case.Parcel
		if !reflect.DeepEqual(got, want) {
			t.Errorf("order %s %s %s: parcel\n got  %s\n want %s", p[0].Head().EventID, p[1].Head().EventID,
				p[2].Head().EventID, mustJSON(t, got), mustJSON(t, want))
		}
	})

	t.Run("an older weight does not replace a newer one", func(t *testing.T) {
		e.flush(t)
		e.applyEach(t, rfd(meta("r-R1-1", 10), "R1", "O1", "B1", wb1), courier, warehouse)
		old := ret(meta("t-W1-0", 15), wb1, "created")
		old.WeightG, old.Recipient = ptr(int64(9)), ptr(addrB)
		e.apply(t, old)
		p := e.load(t, "R1")["R1"].Case.Parcel
		if p == nil || p.WeightG == nil || *p.WeightG != 1580 || p.Status != "signed" {
			t.Fatalf("parcel after an older event: %s, want weight 1580 and status signed", mustJSON(t, p))
		}
		// A field no newer event reported is taken from the older one.
		if p.Recipient == nil || *p.Recipient != addrB {
			t.Errorf("recipient %v, want the only one reported", p.Recipient)
		}
	})

	for _, tc := range []struct {
		name  string
		order []string // "refund", "link": arrival order
	}{
		{"warehouse link after the refund", []string{"refund", "link"}},
		{"warehouse link before the refund", []string{"link", "refund"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.flush(t)
			link := ret(meta("t-W9-1", 20), wb9, "signed")
			link.RefundID, link.WeightG = "R9", ptr(int64(35))
			evs := map[string]event.Event{"refund": rfd(meta("r-R9-1", 10), "R9", "O9", "B9", ""), "link": link}
			for _, s := range tc.order {
				e.apply(t, evs[s])
			}
			p := e.load(t, "R9")["R9"].Case.Parcel
			if p == nil || p.TrackingNo != wb9 || p.RefundID != "R9" || p.WeightG == nil || *p.WeightG != 35 {
				t.Fatalf("R9 named no waybill; the warehouse linked %s: parcel %s", wb9, mustJSON(t, p))
			}
			// Re-linked to another refund: R9 no longer finds it.
			relink := ret(meta("t-W9-2", 30), wb9, "signed")
			relink.RefundID = "R8"
			e.apply(t, relink)
			if p := e.load(t, "R9")["R9"].Case.Parcel; p != nil {
				t.Errorf("after the warehouse re-linked %s to R8, R9 still has parcel %s", wb9, mustJSON(t, p))
			}
		})
	}
}

// Return parcels whose tracking numbers normalize to nothing (placeholders,
// no digit) are different parcels: one's weight or inspection must not end
// up in another refund's case.
func TestUnusableWaybillsAreNotMerged(t *testing.T) {
	t.Parallel()
	e := start(t)
	if rules.NormalizeTracking("0000000000") != "" || rules.NormalizeTracking("N/A") != "" {
		t.Fatal("fixture: the placeholders normalize to a waybill")
	}
	empty := ret(meta("t-A-1", 20), "0000000000", "signed")
	empty.RefundID, empty.WeightG, empty.Inspection = "R1", ptr(int64(35)), &event.Inspection{Outcome: "empty"}
	other := ret(meta("t-B-1", 30), "N/A", "signed")
	other.RefundID = "R2"
	e.applyEach(t,
		rfd(meta("r-R1-1", 10), "R1", "O1", "B1", "0000000000"),
		rfd(meta("r-R2-1", 11), "R2", "O2", "B2", ""),
		empty, other)
	l := e.load(t, "R1", "R2")
	if p := l["R2"].Case.Parcel; p != nil && (p.WeightG != nil || p.Inspection != nil) {
		t.Errorf("R2's parcel (tracking N/A, no weight, not inspected) has another parcel's facts: %s", mustJSON(t, p))
	}
	if p := l["R1"].Case.Parcel; p == nil || p.RefundID != "R1" || p.WeightG == nil || *p.WeightG != 35 {
		t.Errorf("R1's parcel (linked to R1 by the warehouse, 35 g, empty) reads back as %s", mustJSON(t, p))
	}
}

// Empty batches are no-ops, not errors (the detector may load or save none).
func TestEmptyBatches(t *testing.T) {
	t.Parallel()
	e := start(t)
	if out, err := e.st.Apply(e.ctx, nil); err != nil || len(out) != 0 {
		t.Errorf("Apply(nil) = %v, %v", out, err)
	}
	if out, err := e.st.Load(e.ctx, nil); err != nil || len(out) != 0 {
		t.Errorf("Load(nil) = %v, %v", out, err)
	}
	if out, err := e.st.Save(e.ctx, nil); err != nil || len(out) != 0 {
		t.Errorf("Save(nil) = %v, %v", out, err)
	}
	if err := e.st.MarkPublished(e.ctx, nil); err != nil {
		t.Errorf("MarkPublished(nil) = %v", err)
	}
	if keys := e.keys(t); len(keys) != 0 {
		t.Errorf("empty batches wrote %v", keys)
	}
}

// An applied event re-asserts the entity's index memberships. Stale and
// duplicate events refresh the entity's TTL but not its index keys', so an
// entity can outlive an index key; its next change must put it back.
func TestIndexMembershipRestoredAfterIndexExpired(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.applyEach(t, rfd(meta("r-R1-1", 10), "R1", "O1", "B1", wb1), rfd(meta("r-R2-1", 11), "R2", "O2", "B2", wb1))
	time.Sleep(30 * time.Millisecond)
	e.apply(t, rfd(meta("r-R1-0", 5), "R1", "O1", "B1", wb1)) // stale: refreshes r:R1 only
	entity, err1 := e.rc.PTTL(e.ctx, key(shop1, "r:R1")).Result()
	index, err2 := e.rc.PTTL(e.ctx, key(shop1, "wb:"+wb1)).Result()
	if err1 != nil || err2 != nil {
		t.Fatalf("pttl: %v %v", err1, err2)
	}
	t.Logf("after a stale event: r:R1 expires in %v, wb:%s in %v", entity, wb1, index)

	// wb:W1 expires (as it does when only stale or duplicate events of its
	// refunds arrived for a retention period), then R1 changes status.
	for _, k := range []string{"wb:" + wb1, "br:B1", "or:O1"} {
		if err := e.rc.Del(e.ctx, key(shop1, k)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	agreed := rfd(meta("r-R1-2", 20), "R1", "O1", "B1", wb1)
	agreed.Status = "agreed"
	e.apply(t, agreed)
	for _, k := range []string{"wb:" + wb1, "br:B1", "or:O1"} {
		if !hexists(t, e, key(shop1, k), "R1") {
			t.Errorf("after R1's next change, %s lacks R1", k)
		}
	}
	if got := relatedIDs(e.load(t, "R2")["R2"].Case); !slices.Contains(got, "R1") {
		t.Errorf("R2's waybill refunds %v: R1 (same waybill) is missing", got)
	}
}
