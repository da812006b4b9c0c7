package store_test

import (
	"fmt"
	"testing"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

// An address with more than rules.MaxLinkAccounts accounts is a hub that no
// rule links through: the load does not read the histories and orders
// behind it, and an event re-assesses its refunds only when the address
// crosses the line (before or after the event, at most MaxLinkAccounts
// accounts), since on either side of it nothing behind a hub counts.
func TestHubLinksNobody(t *testing.T) {
	t.Parallel()
	e := start(t)
	const hub = rules.MaxLinkAccounts
	newcomer := func() event.Event { return ord(meta("o-ON-1", 500), "ON", "BN", addrA) }
	leaver := func() event.Event { return ord(meta("o-O0-2", 500), "O0", "B0", addrD) }
	for _, tc := range []struct {
		name        string
		accounts    int         // at addrA, each with one order and one refund
		ev          event.Event // then applied; nil: none
		wantLinked  bool        // R1's case holds the other accounts' histories and orders
		wantTouched bool        // ev re-assesses the other accounts' refunds
	}{
		{"at the limit: linked", hub, nil, true, false},
		{"past the limit: a hub", hub + 1, nil, false, false},
		{"an order making it a hub re-assesses", hub, newcomer(), false, true},
		{"an order to a hub already past the limit does not", hub + 1, newcomer(), false, false},
		{"an order leaving it at the limit re-assesses", hub + 1, leaver(), true, true},
		{"an order leaving it a hub past the limit does not", hub + 3, leaver(), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.flush(t)
			var evs []event.Event
			for i := range tc.accounts {
				o, r, b := fmt.Sprintf("O%d", i), fmt.Sprintf("R%d", i), fmt.Sprintf("B%d", i)
				evs = append(evs, ord(meta("o-"+o, i), o, b, addrA), rfd(meta("r-"+r, i), r, o, b, ""))
			}
			e.apply(t, evs...)
			touchedOthers := false
			if tc.ev != nil {
				a := e.apply(t, tc.ev)[0]
				for _, id := range touched(t, shop1, a) {
					touchedOthers = touchedOthers || (id != "R0")
				}
				if a.Capped {
					t.Errorf("capped below the fan-out cap")
				}
			}
			if touchedOthers != tc.wantTouched {
				t.Errorf("re-assessed the other accounts' refunds = %v, want %v", touchedOthers, tc.wantTouched)
			}
			c := e.load(t, "R1")["R1"].Case
			if len(c.AddressLinks) < hub {
				t.Fatalf("address links %d: the links themselves are always read", len(c.AddressLinks))
			}
			_, hasOther := c.History["B2"]
			if hasOther != tc.wantLinked || (len(c.LinkedOrders) > 0) != tc.wantLinked {
				t.Errorf("history of B2 read = %v, %d linked orders; want linked = %v", hasOther, len(c.LinkedOrders), tc.wantLinked)
			}
			if _, own := c.History["B1"]; !own {
				t.Error("the refund's own account history is always read")
			}
		})
	}
}
