package sim

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/sellerguard/sellerguard/event"
)

func scenes(seed uint64, n int) []Scene {
	s := New(Config{Seed: seed})
	out := make([]Scene, n)
	for i := range out {
		out[i] = s.Scene()
	}
	return out
}

// facts is a scene decoded: the latest state of each entity and a few times.
type facts struct {
	orders    map[string]*event.Order
	refunds   map[string]*event.Refund
	parcels   map[string]*event.Return // by normalized tracking number
	pickedAt  map[string]time.Time     // first scan of each parcel
	namedAt   map[string]time.Time     // first refund event naming a waybill, by refund id
	messages  []*event.Message
	eventIDs  []string
	occurred  []time.Time
	receivers map[string]*event.Address // by buyer id
}

func decodeScene(t *testing.T, sc Scene) facts {
	t.Helper()
	f := facts{orders: map[string]*event.Order{}, refunds: map[string]*event.Refund{}, parcels: map[string]*event.Return{},
		pickedAt: map[string]time.Time{}, namedAt: map[string]time.Time{}, receivers: map[string]*event.Address{}}
	for _, p := range sc.Events {
		ev, err := event.Decode(p.Kind, p.Value)
		if err != nil {
			t.Fatalf("%s: %v\n%s", sc.Name, err, p.Value)
		}
		if ev.Kind() != p.Kind {
			t.Fatalf("kind %s decoded as %s", p.Kind, ev.Kind())
		}
		f.eventIDs = append(f.eventIDs, ev.Head().EventID)
		f.occurred = append(f.occurred, ev.Head().OccurredAt)
		key := ""
		switch e := ev.(type) {
		case *event.Order:
			key, f.orders[e.OrderID], f.receivers[e.BuyerID] = e.OrderID, e, e.Receiver
		case *event.Refund:
			key, f.refunds[e.RefundID] = e.RefundID, e
			if _, ok := f.namedAt[e.RefundID]; !ok && e.ReturnShipment != nil {
				f.namedAt[e.RefundID] = e.OccurredAt
			}
		case *event.Return:
			key, f.parcels[normTracking(e.TrackingNo)] = e.TrackingNo, e
			if _, ok := f.pickedAt[e.TrackingNo]; !ok {
				f.pickedAt[e.TrackingNo] = e.OccurredAt
			}
		case *event.Message:
			key = e.BuyerID
			f.messages = append(f.messages, e)
		}
		if p.Key != key {
			t.Errorf("%s: key %q, want %q", sc.Name, p.Key, key)
		}
	}
	return f
}

func normTracking(s string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
}

func fold(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case unicode.IsSpace(r):
			return -1
		}
		return r
	}, s)
}

func normPhone(s string) string {
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, fold(s))
	return strings.TrimPrefix(d, "86")
}

// normAddr undoes the typing variations: width, spaces, repeated prefixes.
func normAddr(a *event.Address) string {
	line := fold(a.Address)
	trims := []string{a.Province, strings.TrimRight(a.Province, "省市"), a.City, strings.TrimSuffix(a.City, "市"), a.District}
	for changed := true; changed; {
		changed = false
		for _, p := range trims { // longest spelling first, then start over
			if p != "" && strings.HasPrefix(line, p) {
				line, changed = strings.TrimPrefix(line, p), true
				break
			}
		}
	}
	return a.District + "|" + line
}

// accountsPerKey counts distinct buyers per normalized phone and address.
func accountsPerKey(f facts) (max int, raw map[string]bool) {
	groups := map[string]map[string]bool{}
	raw = map[string]bool{}
	for buyer, a := range f.receivers {
		for _, k := range []string{"p:" + normPhone(a.Phone), "a:" + normAddr(a)} {
			if groups[k] == nil {
				groups[k] = map[string]bool{}
			}
			groups[k][buyer] = true
		}
		raw[a.Province+a.City+a.District+a.Address] = true
	}
	for _, g := range groups {
		max = maxInt(max, len(g))
	}
	return max, raw
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// parcelOf is the refund's return parcel and its expected catalogue weight.
func (f facts) parcelOf(t *testing.T, r *event.Refund) (*event.Return, int64) {
	t.Helper()
	exp, ok := event.ExpectedWeightG(f.orders[r.OrderID], r.Items)
	if !ok {
		t.Fatalf("refund %s: no catalogue weight", r.RefundID)
	}
	if r.ReturnShipment == nil {
		return nil, exp
	}
	p := f.parcels[normTracking(r.ReturnShipment.TrackingNo)]
	if p == nil || p.WeightG == nil {
		t.Fatalf("refund %s: parcel %s missing or unweighed", r.RefundID, r.ReturnShipment.TrackingNo)
	}
	return p, exp
}

func TestEveryEventDecodes(t *testing.T) {
	for _, sc := range scenes(7, 500) {
		f := decodeScene(t, sc)
		if len(f.eventIDs) == 0 {
			t.Fatalf("%s: no events", sc.Name)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, b, c := scenes(42, 200), scenes(42, 200), scenes(43, 200)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different output")
	}
	if reflect.DeepEqual(a[0].Events, c[0].Events) || reflect.DeepEqual(a, c) {
		t.Fatal("different seeds, same output")
	}
}

func TestEveryScenarioAppears(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		seen := map[string]int{}
		for _, sc := range scenes(seed, 300) {
			seen[sc.Name]++
		}
		for name := range Scenarios() {
			if seen[name] == 0 {
				t.Errorf("seed %d: %s never appears in 300 scenes (%v)", seed, name, seen)
			}
		}
		if h, m := seen["honest_return"], seen[RuleTrackingReused]; h <= m {
			t.Errorf("seed %d: honest scenes should dominate: %v", seed, seen)
		}
	}
}

func TestMaliciousShare(t *testing.T) {
	for _, tc := range []struct {
		share    float64
		min, max int // malicious scenes out of 400
	}{{-1, 0, 0}, {0, 80, 160}, {1, 400, 400}} {
		s := New(Config{Seed: 5, MaliciousShare: tc.share})
		n := 0
		for range 400 {
			if Scenarios()[s.Scene().Name] {
				n++
			}
		}
		if n < tc.min || n > tc.max {
			t.Errorf("share %v: %d malicious of 400, want %d..%d", tc.share, n, tc.min, tc.max)
		}
	}
}

// TestNoCollisions: ids are unique, and no two scenes share a phone, home,
// waybill or account by accident.
func TestNoCollisions(t *testing.T) {
	owner := map[string]int{}
	claim := func(i int, k string) {
		if j, ok := owner[k]; ok && j != i {
			t.Errorf("%s shared by scenes %d and %d", k, j, i)
		}
		owner[k] = i
	}
	eventIDs := map[string]bool{}
	for i, sc := range scenes(11, 500) {
		f := decodeScene(t, sc)
		for _, id := range f.eventIDs {
			if eventIDs[id] {
				t.Errorf("duplicate event_id %s", id)
			}
			eventIDs[id] = true
		}
		for id, o := range f.orders {
			claim(i, "order "+id)
			claim(i, "buyer "+o.BuyerID)
			claim(i, "phone "+normPhone(o.Receiver.Phone))
			claim(i, "home "+normAddr(o.Receiver))
			claim(i, "waybill "+normTracking(o.Shipment.TrackingNo))
		}
		for id := range f.refunds {
			claim(i, "refund "+id)
		}
		for tn := range f.parcels {
			claim(i, "waybill "+tn)
		}
	}
}

func TestTimes(t *testing.T) {
	for _, sc := range scenes(3, 300) {
		f := decodeScene(t, sc)
		for i, at := range f.occurred {
			if _, off := at.Zone(); off != 8*3600 {
				t.Fatalf("%s: occurred_at %v not in +08:00", sc.Name, at)
			}
			if i > 0 && at.Before(f.occurred[i-1]) {
				t.Fatalf("%s: event %d at %v before previous %v", sc.Name, i, at, f.occurred[i-1])
			}
		}
	}
}

func TestWarehouse(t *testing.T) {
	s := New(Config{Seed: 9, Shops: []string{"a", "b", "c", "d", "e"}})
	seen := map[string]bool{}
	for _, sh := range []string{"a", "b", "c", "d", "e"} {
		w := s.Warehouse(sh)
		if w.Address == "" || seen[w.Address] {
			t.Fatalf("shop %s: warehouse %+v empty or shared", sh, w)
		}
		seen[w.Address] = true
	}
	for range 100 {
		sc := s.Scene()
		f := decodeScene(t, sc)
		for _, p := range f.parcels {
			if w := s.Warehouse(p.ShopID); p.Recipient == nil || *p.Recipient != w {
				t.Fatalf("%s: parcel %s addressed to %+v, not the shop's warehouse %+v", sc.Name, p.TrackingNo, p.Recipient, w)
			}
		}
	}
}

var failedOutcomes = []string{"empty", "missing_items", "swapped"}

// properties: what makes each scene what it claims to be.
var properties = map[string]func(t *testing.T, f facts){
	RuleTrackingReused: func(t *testing.T, f facts) {
		by := map[string][]*event.Refund{}
		for _, r := range f.refunds {
			if r.ReturnShipment != nil {
				tn := normTracking(r.ReturnShipment.TrackingNo)
				by[tn] = append(by[tn], r)
			}
		}
		for _, rs := range by {
			if len(rs) == 2 {
				slices.SortFunc(rs, func(a, b *event.Refund) int { return a.RequestedAt.Compare(b.RequestedAt) })
				gap := rs[1].RequestedAt.Sub(rs[0].ReturnShipment.FilledAt)
				minGap := day
				if rs[0].BuyerID == rs[1].BuyerID { // closer would look like one parcel for two orders
					minGap = 3 * day
				}
				if rs[0].RefundID == rs[1].RefundID || rs[0].OrderID == rs[1].OrderID || gap < minGap || gap > 10*day {
					t.Errorf("refunds %s, %s share a waybill %v apart", rs[0].RefundID, rs[1].RefundID, gap)
				}
				return
			}
		}
		t.Error("no two refunds share a waybill")
	},
	RuleEmptyParcel: func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			p, exp := f.parcelOf(t, r)
			if *p.WeightG >= 50 || exp < 300 || p.Inspection != nil {
				t.Errorf("parcel %d g for %d g of items, inspection %v", *p.WeightG, exp, p.Inspection)
			}
		}
	},
	RuleLowWeight: func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			p, exp := f.parcelOf(t, r)
			if w := *p.WeightG; w < 50 || float64(w) >= 0.6*float64(exp) || exp < 500 || p.Inspection != nil {
				t.Errorf("parcel %d g for %d g of items, inspection %v", w, exp, p.Inspection)
			}
		}
	},
	RuleMultiAccount: func(t *testing.T, f facts) {
		n, raw := accountsPerKey(f)
		if n < 3 || len(f.refunds) < 2 || len(raw) < 3 {
			t.Errorf("%d accounts on one phone or home, %d spellings, %d refunds", n, len(raw), len(f.refunds))
		}
	},
	RuleInspectionFailed: func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			p, exp := f.parcelOf(t, r)
			if p.Inspection == nil || !slices.Contains(failedOutcomes, p.Inspection.Outcome) || float64(*p.WeightG) < 0.96*float64(exp) {
				t.Errorf("parcel %d g for %d g, inspection %+v", *p.WeightG, exp, p.Inspection)
			}
		}
	},
	"honest_return": func(t *testing.T, f facts) {},
	"honest_light_item": func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			p, exp := f.parcelOf(t, r)
			if w := *p.WeightG; exp < 5 || exp > 40 || w < 20 || w > 60 {
				t.Errorf("parcel %d g for %d g of items", w, exp)
			}
		}
	},
	"honest_family": func(t *testing.T, f facts) {
		homes := map[string]bool{}
		for _, a := range f.receivers {
			homes[normAddr(a)] = true
		}
		_, raw := accountsPerKey(f)
		if len(f.receivers) != 2 || len(homes) != 1 || len(raw) != 2 || len(f.refunds) != 1 {
			t.Errorf("%d accounts, %d homes, %d spellings, %d refunds", len(f.receivers), len(homes), len(raw), len(f.refunds))
		}
	},
	"honest_late_waybill": func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			picked := f.pickedAt[r.ReturnShipment.TrackingNo]
			if named := f.namedAt[r.RefundID]; !picked.Before(named) || named.Sub(picked) > 3*day {
				t.Errorf("picked up %v, waybill named %v", picked, named)
			}
		}
	},
	"honest_refund_only": func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			o := f.orders[r.OrderID]
			if r.RefundKind != "refund_only" || r.Reason != "not_received" || !o.Shipment.SignedAt.IsZero() {
				t.Errorf("%s/%s on an order signed at %v", r.RefundKind, r.Reason, o.Shipment.SignedAt)
			}
		}
	},
	"honest_invoice": func(t *testing.T, f facts) {
		if len(f.refunds) != 0 || len(f.messages) != 1 || !strings.Contains(f.messages[0].Text, "发票") {
			t.Errorf("%d refunds, messages %v", len(f.refunds), f.messages)
		}
	},
}

// honestChecks: no honest scene may meet any rule's definition by accident.
func honestChecks(t *testing.T, f facts) {
	for _, r := range f.refunds {
		p, exp := f.parcelOf(t, r)
		if p == nil {
			continue
		}
		if float64(*p.WeightG) < 0.96*float64(exp) {
			t.Errorf("refund %s: parcel %d g < 96 %% of %d g", r.RefundID, *p.WeightG, exp)
		}
		if p.Inspection != nil && p.Inspection.Outcome != "ok" {
			t.Errorf("refund %s: inspection %s", r.RefundID, p.Inspection.Outcome)
		}
		if r.Reason == "missing_item" || r.Reason == "wrong_item" || r.ShippingFeeClaimMinor > 0 {
			t.Errorf("refund %s: reason %s, fee claim %d", r.RefundID, r.Reason, r.ShippingFeeClaimMinor)
		}
	}
	if n, _ := accountsPerKey(f); n > 2 {
		t.Errorf("%d accounts share a phone or home", n)
	}
	for _, m := range f.messages {
		for _, w := range []string{"投诉", "12315", "工商", "差评", "赔", "曝光"} {
			if strings.Contains(m.Text, w) {
				t.Errorf("honest message %q contains %q", m.Text, w)
			}
		}
	}
}

func TestScenarioProperties(t *testing.T) {
	all := scenes(21, 400)
	for name, malicious := range Scenarios() {
		t.Run(name, func(t *testing.T) {
			check := properties[name]
			if check == nil {
				t.Fatal("no property check")
			}
			n := 0
			for i, sc := range all {
				if sc.Name != name {
					continue
				}
				n++
				t.Run(fmt.Sprint(i), func(t *testing.T) {
					f := decodeScene(t, sc)
					check(t, f)
					if !malicious {
						honestChecks(t, f)
					}
					labeled := map[string]bool{}
					for _, l := range sc.Labels {
						want := []string{}
						if malicious {
							want = []string{name}
						}
						if f.refunds[l.RefundID] == nil || labeled[l.RefundID] || !slices.Equal(l.Rules, want) {
							t.Errorf("label %+v, want rules %v on a refund of the scene, once", l, want)
						}
						labeled[l.RefundID] = true
					}
					if len(labeled) != len(f.refunds) {
						t.Errorf("%d labels for %d refunds", len(labeled), len(f.refunds))
					}
				})
			}
			if n == 0 {
				t.Fatal("scenario never generated")
			}
		})
	}
}
