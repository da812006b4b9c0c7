package detector

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/event"
)

func TestSplitByShop(t *testing.T) {
	for _, tc := range []struct {
		name    string
		shops   []int // events per shop, in batch order shop-0, shop-1, ...
		workers int
		want    []int // events per group, sorted; nil: not split
	}{
		{"one shop is not split", []int{40}, 4, nil},
		{"one worker does not split", []int{10, 10}, 1, nil},
		{"two shops, two groups", []int{30, 10}, 4, []int{10, 30}},
		{"busiest shop alone, the rest together", []int{50, 20, 20, 10}, 2, []int{50, 50}},
		{"no more groups than workers", []int{5, 5, 5, 5, 5, 5}, 3, []int{10, 10, 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var events []event.Event
			for round := 0; ; round++ { // interleaved, as a batch has them
				added := false
				for s, n := range tc.shops {
					if round < n {
						events = append(events, &event.Order{Meta: event.Meta{ShopID: fmt.Sprintf("shop-%d", s), EventID: fmt.Sprintf("e-%d-%d", s, round)}})
						added = true
					}
				}
				if !added {
					break
				}
			}
			arrived := make([]time.Time, len(events))
			groups := splitByShop(events, arrived, tc.workers)
			var sizes []int
			seen := map[string]int{}
			for g, gr := range groups {
				sizes = append(sizes, len(gr.events))
				if len(gr.arrived) != len(gr.events) {
					t.Errorf("group %d: %d events, %d arrival times", g, len(gr.events), len(gr.arrived))
				}
				last := -1
				for _, ev := range gr.events {
					shop := ev.Head().ShopID
					if h, ok := seen[shop]; ok && h != g {
						t.Errorf("%s in groups %d and %d", shop, h, g)
					}
					seen[shop] = g
					i := slices.Index(events, ev)
					if i < last {
						t.Errorf("group %d is out of batch order", g)
					}
					last = i
				}
			}
			slices.Sort(sizes)
			if !slices.Equal(sizes, tc.want) {
				t.Errorf("group sizes %v, want %v", sizes, tc.want)
			}
		})
	}
}
