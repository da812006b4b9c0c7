package sim

import "time"

// Offender is a buyer a reviewer would confirm as fraud after one of the
// simulated malicious stories (an empty parcel sent back): the eval confirms
// it, then lets the buyer come back.
type Offender struct {
	ShopID, RefundID, BuyerID string
	Phone                     string // the receiver phone as the buyer typed it
	buyer                     *buyer
}

// Offenders are the buyers of the empty-parcel stories told so far.
func (s *Sim) Offenders() []Offender { return s.offenders }

// Returning is a story in which a confirmed offender buys again and asks for
// an ordinary-looking return: only their record gives them away, so its
// refund is labelled known_offender alone.
func (s *Sim) Returning(o Offender) Scene {
	s.n++
	b := &builder{s: s, t0: s.clock, counts: map[string]int{}}
	for i, shop := range s.cfg.Shops {
		if shop == o.ShopID {
			b.whIdx = i
		}
	}
	b.shop, b.wh = o.ShopID, s.Warehouse(o.ShopID)
	r := b.boughtAndReturned(o.buyer, b.lines(everyday, 1, 1), b.parcelWeight, plan{outcome: "ok"})
	b.label(r, RuleKnownOffender)
	s.clock = s.clock.Add(b.dur(3*time.Minute, 30*time.Minute))
	return b.scene("returning_offender")
}
