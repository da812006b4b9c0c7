package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
	"github.com/sellerguard/sellerguard/store"
)

// Load fills every fact the catalogue reads: the accounts' refund history,
// the linked accounts' orders, the buyer's messages, the sender's other
// parcels, and the shop's clock.
func TestLoadFillsHistoryLinksMessagesSendersClock(t *testing.T) {
	t.Parallel()
	e := start(t)
	r2 := rfd(meta("r-R2-1", 11), "R2", "O2", "B2", "")
	r2.RefundKind, r2.Reason = "refund_only", "not_received"
	p1 := ret(meta("t-W1-1", 20), wb1, "picked_up")
	p1.Sender = ptr(addrA)
	p3 := ret(meta("t-W3-1", 21), wb3, "picked_up")
	p3.Sender = ptr(addrA2) // the same person typed differently
	e.applyEach(t,
		ord(meta("o-O1-1", 0), "O1", "B1", addrA),
		ord(meta("o-O2-1", 1), "O2", "B2", addrAOtherPhone), // same place, other phone
		rfd(meta("r-R1-1", 10), "R1", "O1", "B1", wb1),
		r2,
		ord(meta("o-O3-1", 2), "O3", "B3", addrD),
		rfd(meta("r-R3-1", 12), "R3", "O3", "B3", wb3),
		p1, p3,
		msg(meta("m-1", 30), "M1", "B1", "O1", ""),
		msg(meta("m-2", 40), "M2", "B1", "", ""),
	)
	c := e.load(t, "R1")["R1"].Case

	if got := c.History["B2"]; len(got) != 1 || got[0].RefundID != "R2" || got[0].Kind != "refund_only" ||
		got[0].Reason != "not_received" || !got[0].RequestedAt.Equal(r2.RequestedAt) {
		t.Errorf("history of the linked account B2: %+v", got)
	}
	if got := c.History["B1"]; len(got) != 1 || got[0].RefundID != "R1" {
		t.Errorf("history of the refund's own account: %+v", got)
	}
	if _, ok := c.History["B3"]; ok {
		t.Error("an unlinked account's history was loaded")
	}
	if len(c.LinkedOrders) != 1 || c.LinkedOrders[0].OrderID != "O2" {
		t.Errorf("linked orders %v, want O2 only (not the refund's own order)", c.LinkedOrders)
	}
	if len(c.Messages) != 2 || c.Messages[0].MessageID != "M2" || c.Messages[1].MessageID != "M1" {
		t.Errorf("messages %v, want M2 then M1 (newest first)", c.Messages)
	}
	want := []rules.SenderLink{
		{TrackingNo: wb3, RefundID: "R3", BuyerID: "B3", Match: "phone"},
		{TrackingNo: wb3, RefundID: "R3", BuyerID: "B3", Match: "name_address"},
	}
	slices.SortFunc(c.SenderLinks, func(a, b rules.SenderLink) int {
		if a.Match != b.Match {
			if a.Match == "phone" {
				return -1
			}
			return 1
		}
		return 0
	})
	if !slices.Equal(c.SenderLinks, want) {
		t.Errorf("sender links %+v, want %+v", c.SenderLinks, want)
	}
	if !c.Now.Equal(at(40)) {
		t.Errorf("clock %v, want the newest event time %v", c.Now, at(40))
	}
	// The sender's new parcel re-assesses the other parcel's refund.
	p3b := ret(meta("t-W3-2", 50), wb3, "signed")
	p3b.Sender = ptr(addrA)
	if got := touched(t, shop1, e.apply(t, p3b)[0]); !slices.Contains(got, "R1") || !slices.Contains(got, "R3") {
		t.Errorf("a parcel of a known sender touched %v, want R1 and R3", got)
	}
}

// A refund whose waybill has no logistics record is assessed again once the
// shop's clock passes its deadline, and stays due until that assessment is
// saved.
func TestDueRefundsFollowTheShopClock(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *store.Config) { c.DueAfter = 72 * time.Hour })
	e.applyEach(t, ord(meta("o-O1-1", 0), "O1", "B1", addrA), rfd(meta("r-R1-1", 10), "R1", "O1", "B1", wb1))

	later := func(id string, hours int) event.Event {
		return ord(event.Meta{EventID: id, ShopID: shop1, OccurredAt: at(10).Add(time.Duration(hours) * time.Hour)}, "O9", "B9", addrD)
	}
	if got := touched(t, shop1, e.apply(t, later("o-O9-1", 71))[0]); slices.Contains(got, "R1") {
		t.Errorf("before the deadline R1 was due: %v", got)
	}
	a := e.apply(t, later("o-O9-2", 73))[0]
	if got := touched(t, shop1, a); !slices.Contains(got, "R1") {
		t.Fatalf("after the deadline R1 not due: %v", got)
	}
	// Not yet saved: still due on the next batch (a crash loses nothing).
	if got := touched(t, shop1, e.apply(t, later("o-O9-3", 74))[0]); !slices.Contains(got, "R1") {
		t.Fatalf("unsaved due refund dropped: %v", got)
	}
	l := e.load(t, "R1")["R1"]
	if _, err := e.st.Save(e.ctx, []detector.Pending{pending(t, shop1, "R1", l.Version, rules.Approve, 0)}); err != nil {
		t.Fatal(err)
	}
	if got := touched(t, shop1, e.apply(t, later("o-O9-4", 75))[0]); slices.Contains(got, "R1") {
		t.Errorf("saved refund still due: %v", got)
	}
}
