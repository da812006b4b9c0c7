package store_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/store"
)

const wb3 = "ZT7500000003"

// touchWorld: B1 and B2 order to one address, B1 and B3 share a phone, B4 is
// alone. R1 and R2 share waybill W1; R5 is a second refund of O1.
func touchWorld() []event.Event {
	return []event.Event{
		ord(meta("o-O1-1", 0), "O1", "B1", addrA),
		ord(meta("o-O2-1", 1), "O2", "B2", addrAOtherPhone),
		ord(meta("o-O3-1", 2), "O3", "B3", addrCSamePhoneAsA),
		ord(meta("o-O4-1", 3), "O4", "B4", addrD),
		rfd(meta("r-R1-1", 10), "R1", "O1", "B1", wb1),
		rfd(meta("r-R2-1", 11), "R2", "O2", "B2", wb1),
		rfd(meta("r-R3-1", 12), "R3", "O3", "B3", wb3),
		rfd(meta("r-R4-1", 13), "R4", "O4", "B4", ""),
		rfd(meta("r-R5-1", 14), "R5", "O1", "B1", ""),
	}
}

func linked(m event.Meta, waybill, refundID string) *event.Return {
	r := ret(m, waybill, "signed")
	r.RefundID = refundID
	return r
}

// Each event reports the refunds whose assessment it can change, once each,
// only refunds that exist, and only of its own shop.
func TestApplyTouches(t *testing.T) {
	t.Parallel()
	e := start(t)
	for _, tc := range []struct {
		name string
		ev   event.Event
		want []string
	}{
		{"return parcel: refunds naming its waybill", ret(meta("t-W1-1", 50), wb1, "in_transit"), []string{"R1", "R2"}},
		{"return parcel spelled differently", ret(meta("t-W1-1", 50), "yt-7500 000001", "in_transit"), []string{"R1", "R2"}},
		{"return parcel: and the refund the warehouse links", linked(meta("t-W1-2", 50), wb1, "R4"), []string{"R1", "R2", "R4"}},
		{"return parcel nobody named, linked", linked(meta("t-W9-1", 50), wb9, "R4"), []string{"R4"}},
		{"return parcel linked to an unknown refund", linked(meta("t-W9-1", 50), wb9, "R404"), []string{}},
		{"return parcel nobody knows", ret(meta("t-W9-1", 50), wb9, "created"), []string{}},
		{"order: its refunds and the accounts at its address and phone", ord(meta("o-O1-2", 50), "O1", "B1", addrA), []string{"R1", "R2", "R3", "R5"}},
		{"order redelivered", ord(meta("o-O1-1", 0), "O1", "B1", addrA), []string{"R1", "R2", "R3", "R5"}},
		{"order of a lone account", ord(meta("o-O4-2", 50), "O4", "B4", addrD), []string{"R4"}},
		{"new order of a new account at a shared address", ord(meta("o-O6-1", 50), "O6", "B6", addrAOtherPhone), []string{"R1", "R2", "R5"}},
		{"order nobody refunded, alone", ord(meta("o-O7-1", 50), "O7", "B7", addrB), []string{}},
		{"refund: itself, the other refunds on its waybill, the refunds of accounts at its address", rfd(meta("r-R2-2", 50), "R2", "O2", "B2", wb1), []string{"R1", "R2", "R5"}},
		{"refund without a waybill", rfd(meta("r-R4-2", 50), "R4", "O4", "B4", ""), []string{"R4"}},
		{"message about a refund", msg(meta("m-1", 50), "M1", "B3", "O3", "R3"), []string{"R3"}},
		{"message about an order", msg(meta("m-1", 50), "M1", "B1", "O1", ""), []string{"R1", "R5"}},
		{"message of a buyer", msg(meta("m-1", 50), "M1", "B2", "", ""), []string{"R2"}},
		{"message about an unknown refund", msg(meta("m-1", 50), "M1", "B1", "", "R404"), []string{}},
		{"message about an unknown order", msg(meta("m-1", 50), "M1", "B1", "O404", ""), []string{}},
		{"message of an unknown buyer", msg(meta("m-1", 50), "M1", "B404", "", ""), []string{}},
		{"another shop's parcel with the same waybill", inShop("shop-2", ret(meta("t-W1-1", 50), wb1, "signed")), []string{}},
		{"another shop's order to the same address", inShop("shop-2", ord(meta("o-O1-1", 50), "O1", "B1", addrA)), []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.flush(t)
			e.applyEach(t, touchWorld()...)
			a := e.apply(t, tc.ev)[0]
			if got := touched(t, tc.ev.Head().ShopID, a); !slices.Equal(got, tc.want) {
				t.Errorf("touched %v, want %v", got, tc.want)
			}
			if a.Capped {
				t.Errorf("capped with %d refunds and a cap of %d", len(a.Touched), e.cfg.FanoutCap)
			}
		})
	}
}

// Past the fan-out cap an event reports Capped and at most the cap.
func TestApplyFanoutCap(t *testing.T) {
	t.Parallel()
	const limit = 10
	e := start(t, func(c *store.Config) { c.FanoutCap = limit })
	for _, tc := range []struct {
		name    string
		n       int // refunds on one waybill, of n buyers at one address
		ev      event.Event
		capped  bool
		atLeast int // refunds it must still report
	}{
		{"waybill at the cap", limit, ret(meta("t-W1-1", 100), wb1, "signed"), false, limit},
		{"waybill past the cap", 15, ret(meta("t-W1-1", 100), wb1, "signed"), true, 0},
		{"waybill past the cap, linked refund", 15, linked(meta("t-W1-1", 100), wb1, "R0"), true, 1},
		{"refund joining a crowded waybill", 15, rfd(meta("r-R0-2", 100), "R0", "O0", "B0", wb1), true, 1},
		{"order at an address of many accounts", 15, ord(meta("o-O0-2", 100), "O0", "B0", addrA), true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.flush(t)
			var evs []event.Event
			for i := range tc.n {
				o, r := fmt.Sprintf("O%d", i), fmt.Sprintf("R%d", i)
				b := fmt.Sprintf("B%d", i)
				evs = append(evs, ord(meta("o-"+o, i), o, b, addrA), rfd(meta("r-"+r, i), r, o, b, wb1))
			}
			e.apply(t, evs...)
			a := e.apply(t, tc.ev)[0]
			got := touched(t, shop1, a)
			if a.Capped != tc.capped {
				t.Errorf("capped = %v, want %v (touched %d)", a.Capped, tc.capped, len(got))
			}
			if len(got) > limit {
				t.Errorf("touched %d refunds, more than the cap %d", len(got), limit)
			}
			if len(got) < tc.atLeast {
				t.Errorf("touched %v, want at least %d", got, tc.atLeast)
			}
		})
	}
}

// An Apply must report every refund whose case (what Load returns, the
// input of the assessment) it changed; otherwise that refund keeps an
// assessment of old facts, and which one depends on arrival order.
func TestApplyTouchesEveryRefundWhoseCaseChanged(t *testing.T) {
	t.Parallel()
	e := start(t)
	for _, tc := range []struct {
		name  string
		setup []event.Event
		ev    event.Event
	}{
		{"refund moves to another waybill", []event.Event{
			rfd(meta("r-R1-1", 10), "R1", "O1", "B1", wb1), rfd(meta("r-R2-1", 11), "R2", "O2", "B2", wb1),
			rfd(meta("r-R3-1", 12), "R3", "O3", "B3", wb2),
		}, rfd(meta("r-R1-2", 20), "R1", "O1", "B1", wb2)},
		{"order moves to another address", []event.Event{
			ord(meta("o-O1-1", 0), "O1", "B1", addrA), ord(meta("o-O2-1", 1), "O2", "B2", addrA),
			ord(meta("o-O3-1", 2), "O3", "B3", addrB),
			rfd(meta("r-R1-1", 10), "R1", "O1", "B1", ""), rfd(meta("r-R2-1", 11), "R2", "O2", "B2", ""),
			rfd(meta("r-R3-1", 12), "R3", "O3", "B3", ""),
		}, ord(meta("o-O1-2", 20), "O1", "B1", addrB)},
		{"courier updates a parcel", []event.Event{
			rfd(meta("r-R1-1", 10), "R1", "O1", "B1", wb1), rfd(meta("r-R2-1", 11), "R2", "O2", "B2", ""),
			linked(meta("t-W1-1", 12), wb1, "R2"),
		}, ret(meta("t-W1-2", 20), wb1, "delivered")},
		{"a linked account asks for a refund", []event.Event{
			ord(meta("o-O1-1", 0), "O1", "B1", addrA), ord(meta("o-O2-1", 1), "O2", "B2", addrA),
			ord(meta("o-O3-1", 2), "O3", "B3", addrA),
			rfd(meta("r-R1-1", 10), "R1", "O1", "B1", ""),
		}, rfd(meta("r-R2-1", 20), "R2", "O2", "B2", "")},
		{"a linked account asks for a refund by phone", []event.Event{
			ord(meta("o-O1-1", 0), "O1", "B1", addrA), ord(meta("o-O3-1", 2), "O3", "B3", addrCSamePhoneAsA),
			rfd(meta("r-R1-1", 10), "R1", "O1", "B1", ""),
		}, rfd(meta("r-R3-1", 20), "R3", "O3", "B3", "")},
		{"the order of a refund on the same waybill arrives", []event.Event{
			ord(meta("o-O1-1", 0), "O1", "B1", addrA),
			rfd(meta("r-R1-1", 10), "R1", "O1", "B1", wb1), rfd(meta("r-R2-1", 11), "R2", "O2", "B2", wb1),
		}, ord(meta("o-O2-1", 20), "O2", "B2", addrB)},
		{"the warehouse re-links a parcel to another refund", []event.Event{
			rfd(meta("r-R1-1", 10), "R1", "O1", "B1", ""), rfd(meta("r-R2-1", 11), "R2", "O2", "B2", ""),
			linked(meta("t-W9-1", 12), wb9, "R1"),
		}, linked(meta("t-W9-2", 20), wb9, "R2")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.flush(t)
			e.applyEach(t, tc.setup...)
			ids := []string{"R1", "R2", "R3"}
			before := e.cases(t, ids...)
			got := touched(t, shop1, e.apply(t, tc.ev)[0])
			after := e.cases(t, ids...)
			changed := 0
			for _, id := range ids {
				if before[id] == after[id] {
					continue
				}
				changed++
				if !slices.Contains(got, id) {
					t.Errorf("%s's case changed (%s) but it was not touched (touched %v)\n before %s\n after  %s",
						id, changedFields(t, before[id], after[id]), got, before[id], after[id])
				}
			}
			if changed == 0 {
				t.Fatalf("the event changed no case: the scenario tests nothing")
			}
		})
	}
}

// changedFields names the top-level fields of two cases (as JSON) that differ.
func changedFields(t *testing.T, a, b string) []string {
	t.Helper()
	var ma, mb map[string]json.RawMessage
	if err := json.Unmarshal([]byte(a), &ma); err != nil {
		return []string{"Found"}
	}
	if err := json.Unmarshal([]byte(b), &mb); err != nil {
		return []string{"Found"}
	}
	var out []string
	for k, v := range ma {
		if string(mb[k]) != string(v) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
