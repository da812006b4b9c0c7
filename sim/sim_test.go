package sim

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

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
	name      string
	orders    map[string]*event.Order
	refunds   map[string]*event.Refund
	parcels   map[string]*event.Return // by normalized tracking number
	pickedAt  map[string]time.Time     // first pickup scan of each parcel
	namedAt   map[string]time.Time     // first refund event naming a waybill, by refund id
	messages  []*event.Message
	eventIDs  []string
	occurred  []time.Time
	receivers map[string]*event.Address // by buyer id
	labels    map[string][]string       // refund id -> rules
	last      time.Time                 // the scene's newest event
}

func decodeScene(t *testing.T, sc Scene) facts {
	t.Helper()
	f := facts{name: sc.Name, orders: map[string]*event.Order{}, refunds: map[string]*event.Refund{}, parcels: map[string]*event.Return{},
		pickedAt: map[string]time.Time{}, namedAt: map[string]time.Time{}, receivers: map[string]*event.Address{}, labels: map[string][]string{}}
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
		if ev.Head().OccurredAt.After(f.last) {
			f.last = ev.Head().OccurredAt
		}
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
			if _, ok := f.pickedAt[e.TrackingNo]; !ok && e.Status != "created" {
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
	for _, l := range sc.Labels {
		f.labels[l.RefundID] = l.Rules
	}
	return f
}

func normTracking(s string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
}

// placeholderWaybill: what the detector cannot read as a number (no digit,
// under six characters, one character repeated); it names no parcel.
func placeholderWaybill(s string) bool {
	n := normTracking(s)
	return !strings.ContainsAny(n, "0123456789") || utf8.RuneCountInString(n) < 6 || strings.Count(n, n[:1]) == len(n)
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

// streetOf is the street line without spaces, widths or repeated
// province, city and district prefixes.
func streetOf(a *event.Address) string {
	line := fold(a.Address)
	prov := strings.TrimRight(a.Province, "省市")
	city := strings.TrimSuffix(a.City, "市")
	trims := []string{prov + "省", prov + "市", prov, city + "市", city, a.District}
	for changed := true; changed; {
		changed = false
		for _, p := range trims { // longest spelling first, then start over
			if p != "" && strings.HasPrefix(line, p) {
				line, changed = strings.TrimPrefix(line, p), true
				break
			}
		}
	}
	return line
}

// normAddr undoes the typing variations: width, spaces, repeated prefixes.
func normAddr(a *event.Address) string { return a.District + "|" + streetOf(a) }

// links reports whether an address can link accounts: a street line of at
// least four characters (shorter ones are placeholders, not places).
func links(a *event.Address) bool { return utf8.RuneCountInString(streetOf(a)) >= 4 }

// accountsPerKey counts distinct buyers per normalized phone and address.
func accountsPerKey(f facts) (max int, raw map[string]bool) {
	groups := map[string]map[string]bool{}
	raw = map[string]bool{}
	for buyer, a := range f.receivers {
		keys := []string{"p:" + normPhone(a.Phone)}
		if links(a) {
			keys = append(keys, "a:"+normAddr(a))
		}
		for _, k := range keys {
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

// parcelOf is the refund's return parcel (nil when none) and its expected
// catalogue weight.
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
	if p == nil {
		return nil, exp
	}
	if p.WeightG == nil && p.Status != "created" {
		t.Fatalf("refund %s: parcel %s unweighed", r.RefundID, r.ReturnShipment.TrackingNo)
	}
	return p, exp
}

// weighed is the refund's parcel with a weight, or a test failure.
func (f facts) weighed(t *testing.T, r *event.Refund) (*event.Return, int64) {
	t.Helper()
	p, exp := f.parcelOf(t, r)
	if p == nil || p.WeightG == nil {
		t.Fatalf("refund %s: no weighed parcel", r.RefundID)
	}
	return p, exp
}

func (f facts) sortedRefunds() []*event.Refund {
	var rs []*event.Refund
	for _, r := range f.refunds {
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b *event.Refund) int {
		if c := a.RequestedAt.Compare(b.RequestedAt); c != 0 {
			return c
		}
		return strings.Compare(a.RefundID, b.RefundID)
	})
	return rs
}

// normalSigning: signed by the buyer, a locker or a station, no exception.
func normalSigning(s *event.Shipment) bool {
	return s != nil && !s.SignedAt.IsZero() && !s.SignedWithException && slices.Contains([]string{"self", "locker", "station"}, s.SignedBy)
}

// Threats and money demands, a few of each kind: honest messages never pair
// them, extortion messages always do.
var (
	threatWords = []string{"投诉你", "投诉到平台", "12315", "工商局", "消协", "市场监管", "税务局", "偷税", "广告法", "极限词",
		"虚假宣传", "价格欺诈", "泄露", "差评", "起诉你", "律师函", "曝光你", "发微博", "市场监督局", "法庭见"}
	demandWords  = []string{"赔我", "赔偿我", "转账给我", "私了", "封口费", "红包", "退一赔三", "十倍赔偿"}
	compensation = regexp.MustCompile(`(补偿|给我|赔偿).{0,6}\d+元?`)
)

func extortionText(text string) (threat, demand bool) {
	t := fold(text)
	for _, w := range threatWords {
		threat = threat || strings.Contains(t, w)
	}
	for _, w := range demandWords {
		demand = demand || strings.Contains(t, w)
	}
	return threat, demand || compensation.MatchString(t)
}

// atWarehouse: the recipient names the shop's warehouse, as typed in full or
// cut short, with or without the sub-district, with a team's name after it,
// but not with a place next to it.
func atWarehouse(rc, wh event.Address) bool {
	if rc.District != wh.District || strings.TrimSuffix(rc.City, "市") != strings.TrimSuffix(wh.City, "市") {
		return false
	}
	core := func(a event.Address) string {
		s := strings.NewReplacer("幢", "栋", "号楼", "栋", "(售后)", "", "售后组", "", "退货处", "").Replace(streetOf(&a))
		for _, town := range []string{"街道", "镇"} {
			if i := strings.Index(s, town); i > 0 && i <= 18 {
				s = s[i+len(town):]
			}
		}
		return strings.ToLower(s)
	}
	r, w := core(rc), core(wh)
	if strings.HasPrefix(w, r) {
		return true
	}
	if rest, ok := strings.CutPrefix(r, w); ok {
		for _, near := range []string{"对面", "旁", "驿站", "门口", "便利店", "超市", "丰巢"} {
			if strings.Contains(rest, near) {
				return false
			}
		}
		return true
	}
	return false
}

var formats = map[string]*regexp.Regexp{
	"SF": regexp.MustCompile(`^(SF\d{12,15}|\d{12})$`), "YTO": regexp.MustCompile(`^YT\d{10,15}$`),
	"ZTO": regexp.MustCompile(`^\d{12,15}$`), "STO": regexp.MustCompile(`^\d{12,15}$`),
	"YUNDA": regexp.MustCompile(`^\d{13,15}$`), "JTEXPRESS": regexp.MustCompile(`^JT\d{12,15}$`),
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
	a, b, c := scenes(42, 300), scenes(42, 300), scenes(43, 300)
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
		if h, m := seen["honest_return"], seen[RuleTrackingReused]; h <= 2*m {
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
// waybill or account by accident. Campus parcel stations are shared on
// purpose; placeholders (a street line of a few characters, a waybill "无")
// link nothing.
func TestNoCollisions(t *testing.T) {
	owner := map[string]int{}
	claim := func(i int, k string) {
		if j, ok := owner[k]; ok && j != i {
			t.Errorf("%s shared by scenes %d and %d", k, j, i)
		}
		owner[k] = i
	}
	eventIDs := map[string]bool{}
	for i, sc := range scenes(11, 800) {
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
			if links(o.Receiver) && sc.Name != "honest_campus" && sc.Name != "honest_office_sale" {
				claim(i, "home "+normAddr(o.Receiver))
			}
			if o.Shipment != nil {
				claim(i, "waybill "+normTracking(o.Shipment.TrackingNo))
			}
		}
		for id, r := range f.refunds {
			claim(i, "refund "+id)
			if s := r.ReturnShipment; s != nil && !placeholderWaybill(s.TrackingNo) {
				claim(i, "waybill "+normTracking(s.TrackingNo))
			}
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

// TestWarehouse: every return parcel is addressed to its shop's warehouse,
// in one of the ways people type it, except the ones sent next to it.
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
	typed := 0
	for range 400 {
		sc := s.Scene()
		f := decodeScene(t, sc)
		for _, p := range f.parcels {
			w := s.Warehouse(p.ShopID)
			if p.Recipient == nil {
				t.Fatalf("%s: parcel %s without recipient", sc.Name, p.TrackingNo)
			}
			if *p.Recipient != w {
				typed++
			}
			if at := atWarehouse(*p.Recipient, w); at == (sc.Name == RuleMisaddressed) {
				t.Errorf("%s: parcel %s addressed to %+v, warehouse %+v", sc.Name, p.TrackingNo, p.Recipient, w)
			}
		}
	}
	if typed == 0 {
		t.Error("every buyer typed the warehouse exactly as the shop gave it")
	}
}

// TestMailroomsBecomeHubs: in the default world every campus parcel station
// and every office tower's mailroom has more than 20 accounts per shop by the
// end (a hub that links nobody); in a small world they do not get there,
// which is where multi_account_address meets honest students and office
// workers.
func TestMailroomsBecomeHubs(t *testing.T) {
	count := func(n int) map[string]map[string]bool {
		out := map[string]map[string]bool{}
		for _, sc := range scenes(1, n) {
			if sc.Name != "honest_campus" && sc.Name != "honest_office_sale" {
				continue
			}
			f := decodeScene(t, sc)
			for _, o := range f.orders {
				k := o.ShopID + " " + normAddr(o.Receiver)
				if out[k] == nil {
					out[k] = map[string]bool{}
				}
				out[k][o.BuyerID] = true
			}
		}
		return out
	}
	big := count(3000)
	if want := (len(campuses) + len(towers)) * 2; len(big) != want {
		t.Errorf("%d mailrooms over two shops, want %d (one spelling each): %v", len(big), want, big)
	}
	for k, acc := range big {
		if len(acc) <= 20 {
			t.Errorf("%s: %d accounts in the default world", k, len(acc))
		}
	}
	for k, acc := range count(300) {
		if len(acc) > 20 {
			t.Errorf("%s: already %d accounts after 300 scenes", k, len(acc))
		}
	}
}

var failedOutcomes = []string{"empty", "missing_items", "swapped"}

// extraLabels are the codes a scene's refunds may carry besides its own,
// when the story truly matches them too.
var extraLabels = map[string][]string{
	RuleSKUSwap:           {RuleMultiAccount},
	RuleOrderBurst:        {RuleMultiAccount},
	RuleUnacceptedCarrier: {RuleTrackingInvalid},
	RuleMisaddressed:      {RuleEmptyParcel},
}

func has(f facts, r *event.Refund, code string) bool {
	return slices.Contains(f.labels[r.RefundID], code)
}

// noRecordFor72h: the refund names a waybill no courier scanned, and the
// scene goes on at least 72 hours after it was filled in.
func noRecordFor72h(t *testing.T, f facts, r *event.Refund) {
	t.Helper()
	s := r.ReturnShipment
	if s == nil {
		t.Fatalf("refund %s names no waybill", r.RefundID)
	}
	if p := f.parcels[normTracking(s.TrackingNo)]; p != nil && p.Status != "created" {
		t.Errorf("refund %s: parcel %s was scanned (%s)", r.RefundID, s.TrackingNo, p.Status)
	}
	if f.last.Sub(s.FilledAt) < 72*time.Hour {
		t.Errorf("refund %s: the scene ends %v after the waybill was filled in", r.RefundID, f.last.Sub(s.FilledAt))
	}
}

// linkedBy groups the scene's accounts by normalized phone and address.
func linkedBy(f facts) map[string]map[string]bool {
	g := map[string]map[string]bool{}
	for b, a := range f.receivers {
		for _, k := range []string{"p:" + normPhone(a.Phone), "a:" + normAddr(a)} {
			if g[k] == nil {
				g[k] = map[string]bool{}
			}
			g[k][b] = true
		}
	}
	return g
}

// oneRing: every account of the scene is behind one phone or one address.
func oneRing(f facts) bool {
	for _, g := range linkedBy(f) {
		if len(g) == len(f.receivers) {
			return true
		}
	}
	return false
}

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
			p, exp := f.weighed(t, r)
			if *p.WeightG >= 50 || exp < 300 || p.Inspection != nil {
				t.Errorf("parcel %d g for %d g of items, inspection %v", *p.WeightG, exp, p.Inspection)
			}
		}
	},
	RuleLowWeight: func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			p, exp := f.weighed(t, r)
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
			p, exp := f.weighed(t, r)
			if p.Inspection == nil || !slices.Contains(failedOutcomes, p.Inspection.Outcome) || float64(*p.WeightG) < 0.93*float64(exp) {
				t.Errorf("parcel %d g for %d g, inspection %+v", *p.WeightG, exp, p.Inspection)
			}
		}
	},
	RuleSenderShared: func(t *testing.T, f facts) {
		phones, nameAddr, accounts := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for _, r := range f.refunds {
			p, _ := f.weighed(t, r)
			phones[normPhone(p.Sender.Phone)] = true
			nameAddr[p.Sender.Name+"|"+normAddr(p.Sender)] = true
			accounts[r.BuyerID] = true
		}
		if len(accounts) < 3 || len(accounts) > 10 || (len(phones) != 1 && len(nameAddr) != 1) {
			t.Errorf("%d accounts, %d sender phones, %d sender names and addresses", len(accounts), len(phones), len(nameAddr))
		}
		if n, _ := accountsPerKey(f); n > 1 {
			t.Errorf("%d accounts share a phone or home on their orders", n)
		}
	},
	RuleSKUSwap: func(t *testing.T, f facts) {
		skus, products := map[string]bool{}, map[string]bool{}
		rs := f.sortedRefunds()
		for _, r := range rs {
			o := f.orders[r.OrderID]
			if r.Reason != "wrong_item" || len(o.Items) != 1 {
				t.Errorf("refund %s: %s on %d lines", r.RefundID, r.Reason, len(o.Items))
			}
			skus[o.Items[0].SKUID], products[o.Items[0].ProductID] = true, true
			if multi := has(f, r, RuleMultiAccount); multi != (len(f.receivers) >= 3) {
				t.Errorf("refund %s: multi_account_address %v with %d accounts", r.RefundID, multi, len(f.receivers))
			}
		}
		if len(products) != 1 || len(skus) != len(rs) || len(rs) != len(f.receivers) || !oneRing(f) ||
			rs[len(rs)-1].RequestedAt.Sub(rs[0].RequestedAt) > 30*day {
			t.Errorf("%d refunds by %d accounts, %d products, %d SKUs, linked %v", len(rs), len(f.receivers), len(products), len(skus), oneRing(f))
		}
	},
	RuleUnacceptedCarrier: func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			carrier := r.ReturnShipment.Carrier
			if p := f.parcels[normTracking(r.ReturnShipment.TrackingNo)]; p != nil {
				carrier = p.Carrier
			}
			if slices.Contains(AcceptedCarriers(), carrier) {
				t.Errorf("refund %s returned with accepted %s", r.RefundID, carrier)
			}
			if has(f, r, RuleTrackingInvalid) {
				noRecordFor72h(t, f, r)
			} else if p, _ := f.parcelOf(t, r); p == nil || p.Status == "created" {
				t.Errorf("refund %s: no parcel scanned, yet not labelled tracking_invalid", r.RefundID)
			}
		}
	},
	RuleTrackingInvalid: func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			noRecordFor72h(t, f, r)
			s := r.ReturnShipment
			if !slices.Contains(AcceptedCarriers(), s.Carrier) {
				t.Errorf("refund %s: carrier %s", r.RefundID, s.Carrier)
			}
			if !placeholderWaybill(s.TrackingNo) && !formats[s.Carrier].MatchString(normTracking(s.TrackingNo)) {
				t.Logf("%s: %s does not fit %s", r.RefundID, s.TrackingNo, s.Carrier) // malformed: fires at once
			}
		}
	},
	RuleMisaddressed: func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			p, exp := f.weighed(t, r)
			if p.Status != "signed" || p.RefundID != "" || p.Inspection != nil || p.Recipient.District != whOf(f, p).District {
				t.Errorf("parcel %s: %s, linked %q, to %+v", p.TrackingNo, p.Status, p.RefundID, p.Recipient)
			}
			if empty := *p.WeightG < 50 && exp >= 300; empty != has(f, r, RuleEmptyParcel) {
				t.Errorf("parcel %d g for %d g, labels %v", *p.WeightG, exp, f.labels[r.RefundID])
			}
			if f.last.Before(p.Meta.OccurredAt.Add(time.Hour)) {
				t.Errorf("refund %s: the buyer never points at the signing", r.RefundID)
			}
		}
	},
	RuleContactAnomaly: func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			a := f.orders[r.OrderID].Receiver
			if !junkStreetLine(streetOf(a)) && !junkPhoneNumber(a.Phone) {
				t.Errorf("order %s: receiver %+v looks real", r.OrderID, a)
			}
		}
	},
	RuleOrderBurst: func(t *testing.T, f facts) {
		var first, last time.Time
		per := map[string]int{}
		for _, o := range f.orders {
			if first.IsZero() || o.CreatedAt.Before(first) {
				first = o.CreatedAt
			}
			last = later(last, o.CreatedAt)
			per[o.BuyerID]++
		}
		if len(f.orders) < 5 || last.Sub(first) > time.Hour || len(f.orders) < 2*len(per) || !oneRing(f) {
			t.Errorf("%d orders of %d accounts over %v, linked %v", len(f.orders), len(per), last.Sub(first), oneRing(f))
		}
		refunding := map[string]bool{}
		for _, r := range f.refunds {
			refunding[r.BuyerID] = true
		}
		for _, r := range f.refunds {
			if multi := has(f, r, RuleMultiAccount); multi != (len(per) >= 3 && len(refunding) >= 2) {
				t.Errorf("refund %s: multi_account_address %v with %d accounts, %d refunding", r.RefundID, multi, len(per), len(refunding))
			}
		}
		if len(f.refunds) > 2 {
			t.Errorf("%d refund-only requests: that is refund_only_abuse too", len(f.refunds))
		}
	},
	RuleRefundOnlyAbuse: func(t *testing.T, f facts) {
		rs := f.sortedRefunds()
		for _, r := range rs {
			if r.RefundKind != "refund_only" {
				t.Errorf("refund %s: %s", r.RefundID, r.RefundKind)
			}
		}
		if len(rs) == 1 {
			r, s := rs[0], f.orders[rs[0].OrderID].Shipment
			if r.Reason != "not_received" || !normalSigning(s) || !s.SignedAt.Before(r.RequestedAt) {
				t.Errorf("refund %s: %s after signing %+v", r.RefundID, r.Reason, s)
			}
			return
		}
		if len(rs) < 3 || rs[len(rs)-1].RequestedAt.Sub(rs[0].RequestedAt) > 90*day || !oneRing(f) {
			t.Errorf("%d refund-only requests over %v, linked %v", len(rs), rs[len(rs)-1].RequestedAt.Sub(rs[0].RequestedAt), oneRing(f))
		}
	},
	RuleMissingContradicted: func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			o := f.orders[r.OrderID]
			full := weightOf(o.Items)
			missing := int64(math.MaxInt64)
			if r.Items == nil {
				for _, it := range o.Items {
					missing = min(missing, it.UnitWeightG)
				}
			} else {
				missing, _ = event.ExpectedWeightG(o, r.Items)
			}
			w := *o.Shipment.WeightG
			without := full - missing + max(300, int64(math.Round(0.15*float64(full)))) + 50
			if r.Reason != "missing_item" || !normalSigning(o.Shipment) || float64(w) < 0.95*float64(full) || w <= without {
				t.Errorf("order %s: %d g shipped for %d g, %d g claimed missing (at most %d without)", o.OrderID, w, full, missing, without)
			}
		}
	},
	RuleFeeInflated: func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			p, _ := f.weighed(t, r)
			typical := fee(p.Carrier, *p.WeightG, *p.Sender, whOf(f, p))
			if c := r.ShippingFeeClaimMinor; c < 2*typical || c-typical < 1500 {
				t.Errorf("refund %s claims %d for a parcel of usually %d", r.RefundID, c, typical)
			}
		}
	},
	RuleStockoutAbuse: func(t *testing.T, f facts) {
		rs := f.sortedRefunds()
		for _, r := range rs {
			if r.Reason != "out_of_stock" || f.orders[r.OrderID].Shipment != nil {
				t.Errorf("refund %s: %s on a shipped order", r.RefundID, r.Reason)
			}
		}
		if len(rs) < 3 || rs[len(rs)-1].RequestedAt.Sub(rs[0].RequestedAt) > 90*day || !oneRing(f) {
			t.Errorf("%d claims, linked %v", len(rs), oneRing(f))
		}
	},
	RuleExtortion: func(t *testing.T, f facts) {
		if len(f.messages) == 0 || len(f.refunds) != 1 {
			t.Fatalf("%d messages, %d refunds", len(f.messages), len(f.refunds))
		}
		for _, m := range f.messages {
			if threat, demand := extortionText(m.Text); !threat || !demand {
				t.Errorf("message %q: threat %v, demand %v", m.Text, threat, demand)
			}
		}
	},
	"honest_return": func(t *testing.T, f facts) {},
	"honest_light_item": func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			p, exp := f.weighed(t, r)
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
			if named := f.namedAt[r.RefundID]; named.Sub(picked) < day || named.Sub(picked) > 4*day {
				t.Errorf("picked up %v, waybill named %v", picked, named)
			}
		}
	},
	"honest_refund_only": func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			s := f.orders[r.OrderID].Shipment
			if r.RefundKind != "refund_only" || r.Reason != "not_received" || normalSigning(s) {
				t.Errorf("%s/%s on an order signed %+v", r.RefundKind, r.Reason, s)
			}
		}
	},
	"honest_invoice": func(t *testing.T, f facts) {
		if len(f.refunds) != 0 || len(f.messages) != 1 || !strings.Contains(f.messages[0].Text, "发票") {
			t.Errorf("%d refunds, messages %v", len(f.refunds), f.messages)
		}
	},
	"honest_campus": func(t *testing.T, f facts) {
		for _, o := range f.orders {
			if !slices.ContainsFunc(campuses, func(m mailroom) bool { return normAddr(o.Receiver) == normAddr(ptr(m.typed("", "", 0))) }) {
				t.Errorf("order %s to %+v, not a campus station", o.OrderID, o.Receiver)
			}
		}
		for _, r := range f.refunds {
			if p, _ := f.weighed(t, r); normAddr(p.Sender) != normAddr(f.orders[r.OrderID].Receiver) {
				t.Errorf("parcel %s sent from %+v", p.TrackingNo, p.Sender)
			}
		}
	},
	"honest_office_sale": func(t *testing.T, f facts) {
		per := map[string]int{}
		for _, o := range f.orders {
			per[o.BuyerID]++
			if h := o.CreatedAt.In(cst).Hour(); h != 0 {
				t.Errorf("order %s placed at %v, not in the midnight sale", o.OrderID, o.CreatedAt)
			}
			if !slices.ContainsFunc(towers, func(m mailroom) bool { return normAddr(o.Receiver) == normAddr(ptr(m.typed("", "", 0))) }) {
				t.Errorf("order %s to %+v, not a tower's mailroom", o.OrderID, o.Receiver)
			}
		}
		if len(per) < 2 || len(per) > 5 || len(f.orders) != len(per) {
			t.Errorf("%d accounts, %d orders", len(per), len(f.orders))
		}
	},
	"honest_small_office": func(t *testing.T, f facts) {
		homes, per := map[string]bool{}, map[string]int{}
		var times []time.Time
		for _, o := range f.orders {
			homes[normAddr(o.Receiver)] = true
			per[o.BuyerID]++
			times = append(times, o.CreatedAt)
		}
		slices.SortFunc(times, time.Time.Compare)
		if len(homes) != 1 || len(per) < 3 || len(per) > 6 || len(f.orders) != len(per) || times[len(times)-1].Sub(times[0]) < day {
			t.Errorf("%d addresses, %d accounts, %d orders over %v", len(homes), len(per), len(f.orders), times[len(times)-1].Sub(times[0]))
		}
	},
	"honest_frequent_returner": func(t *testing.T, f facts) {
		homes, waybills := map[string]bool{}, map[string]bool{}
		for _, o := range f.orders {
			homes[normAddr(o.Receiver)] = true
		}
		for _, r := range f.refunds {
			waybills[normTracking(r.ReturnShipment.TrackingNo)] = true
		}
		if len(f.receivers) != 1 || len(homes) != 1 || len(f.refunds) < 3 || len(waybills) != len(f.refunds) {
			t.Errorf("%d accounts, %d homes, %d refunds, %d waybills", len(f.receivers), len(homes), len(f.refunds), len(waybills))
		}
	},
	"honest_combined_return": func(t *testing.T, f facts) {
		rs := f.sortedRefunds()
		if len(rs) != 2 || rs[0].OrderID == rs[1].OrderID || normTracking(rs[0].ReturnShipment.TrackingNo) != normTracking(rs[1].ReturnShipment.TrackingNo) {
			t.Fatalf("%d refunds", len(rs))
		}
		if d := rs[1].ReturnShipment.FilledAt.Sub(rs[0].ReturnShipment.FilledAt); d < 0 || d > 48*time.Hour {
			t.Errorf("filled in %v apart", d)
		}
		p, _ := f.weighed(t, rs[0])
		if all := weightOf(f.orders[rs[0].OrderID].Items) + weightOf(f.orders[rs[1].OrderID].Items); float64(*p.WeightG) < 0.93*float64(all) {
			t.Errorf("parcel %d g for %d g of both orders", *p.WeightG, all)
		}
	},
	"honest_lost_parcel": func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			if p, _ := f.weighed(t, r); p.Status != "lost" || r.Status != "refunded" {
				t.Errorf("parcel %s, refund %s", p.Status, r.Status)
			}
		}
	},
	"honest_under_shipped": func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			o := f.orders[r.OrderID]
			missing, _ := event.ExpectedWeightG(o, r.Items)
			if w := *o.Shipment.WeightG; r.Reason != "missing_item" || len(r.Items) != 1 || float64(w) > 1.03*float64(weightOf(o.Items)-missing+260)+1 {
				t.Errorf("order %s: %d g shipped for %d g, %d g missing", o.OrderID, w, weightOf(o.Items), missing)
			}
		}
	},
	"honest_slow_courier": func(t *testing.T, f facts) {
		for _, o := range f.orders {
			if s := o.Shipment; s.SignedAt.Sub(s.ShippedAt) < 5*day || len(f.messages) == 0 {
				t.Errorf("order %s: %v in transit, %d messages", o.OrderID, s.SignedAt.Sub(s.ShippedAt), len(f.messages))
			}
		}
	},
	"honest_postage_claim": func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			p, _ := f.weighed(t, r)
			if c := r.ShippingFeeClaimMinor; c <= 0 || c > fee(p.Carrier, *p.WeightG+1000, *p.Sender, whOf(f, p)) {
				t.Errorf("refund %s claims %d", r.RefundID, c)
			}
		}
	},
	"honest_out_of_stock": func(t *testing.T, f facts) {
		for _, r := range f.refunds {
			if s := f.orders[r.OrderID].Shipment; r.Reason != "out_of_stock" || r.RefundKind != "refund_only" || (s != nil && !s.SignedAt.IsZero()) {
				t.Errorf("refund %s: %s %s", r.RefundID, r.RefundKind, r.Reason)
			}
		}
	},
	"honest_wrong_item": func(t *testing.T, f facts) {
		skus := map[string]bool{}
		for _, o := range f.orders {
			for _, it := range o.Items {
				skus[it.SKUID] = true
			}
		}
		for _, r := range f.refunds {
			if r.Reason != "wrong_item" {
				t.Errorf("refund %s: %s", r.RefundID, r.Reason)
			}
		}
		if len(skus) != 1 {
			t.Errorf("%d SKUs: a family swapping sizes is wrong_item_sku_swap", len(skus))
		}
	},
}

func ptr[T any](v T) *T { return &v }

// whOf is the warehouse of the parcel's shop in the default world.
func whOf(_ facts, p *event.Return) event.Address { return defaultSim.Warehouse(p.ShopID) }

var defaultSim = New(Config{})

func junkStreetLine(s string) bool {
	s = strings.ToLower(s)
	if utf8.RuneCountInString(s) < 4 {
		return true
	}
	for _, w := range append(junkTestWords, junkPlaceholders...) {
		if strings.HasPrefix(s, w) {
			return true
		}
	}
	rs, run := []rune(s), 1
	for i := 1; i < len(rs); i++ {
		if rs[i] != rs[i-1] {
			run = 1
		} else if run++; run >= 5 {
			return true
		}
	}
	for _, row := range keyboardRows {
		for i := 0; i+5 <= len(row); i++ {
			if strings.Contains(s, row[i:i+5]) {
				return true
			}
		}
	}
	return false
}

func junkPhoneNumber(p string) bool {
	d := normPhone(p)
	return len(d) != 11 || d[1] < '3'
}

// honestChecks: no honest scene may meet any rule's definition by accident.
func honestChecks(t *testing.T, f facts) {
	refundOnly := map[string]int{}
	for _, r := range f.refunds {
		if r.RefundKind == "refund_only" && r.Reason != "out_of_stock" {
			refundOnly[r.BuyerID]++
		}
		if r.Reason == "out_of_stock" && refundOnly[r.BuyerID] > 0 {
			t.Errorf("refund %s: more than one kind of refund-only", r.RefundID)
		}
		if (r.Reason == "missing_item") != (f.name == "honest_under_shipped") || (r.Reason == "wrong_item") != (f.name == "honest_wrong_item") ||
			(r.ShippingFeeClaimMinor > 0) != (f.name == "honest_postage_claim") {
			t.Errorf("refund %s: reason %s, fee claim %d in %s", r.RefundID, r.Reason, r.ShippingFeeClaimMinor, f.name)
		}
		if r.RefundKind == "refund_only" && r.Reason == "not_received" && normalSigning(f.orders[r.OrderID].Shipment) {
			t.Errorf("refund %s: not received after a normal signing", r.RefundID)
		}
		p, exp := f.parcelOf(t, r)
		if r.ReturnShipment != nil && (p == nil || p.Status == "created") {
			t.Errorf("refund %s: waybill %s never scanned", r.RefundID, r.ReturnShipment.TrackingNo)
		}
		if p == nil {
			continue
		}
		if float64(*p.WeightG) < 0.93*float64(exp) {
			t.Errorf("refund %s: parcel %d g < 93 %% of %d g", r.RefundID, *p.WeightG, exp)
		}
		if p.Inspection != nil && p.Inspection.Outcome != "ok" {
			t.Errorf("refund %s: inspection %s", r.RefundID, p.Inspection.Outcome)
		}
		if !slices.Contains(AcceptedCarriers(), p.Carrier) || !atWarehouse(*p.Recipient, whOf(f, p)) {
			t.Errorf("refund %s: %s parcel to %+v", r.RefundID, p.Carrier, p.Recipient)
		}
	}
	for b, n := range refundOnly {
		if n > 2 {
			t.Errorf("%s: %d refund-only requests", b, n)
		}
	}
	if n, _ := accountsPerKey(f); n > 2 && !slices.Contains([]string{"honest_campus", "honest_office_sale", "honest_small_office"}, f.name) {
		t.Errorf("%d accounts share a phone or home", n)
	}
	for _, m := range f.messages {
		if threat, demand := extortionText(m.Text); threat && demand {
			t.Errorf("honest message %q threatens and asks for money", m.Text)
		}
	}
}

func TestScenarioProperties(t *testing.T) {
	all := scenes(21, 1200)
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
						ok := slices.IsSorted(l.Rules) && l.Rules != nil
						if malicious {
							ok = ok && slices.Contains(l.Rules, name)
							for _, c := range l.Rules {
								ok = ok && (c == name || slices.Contains(extraLabels[name], c))
							}
						} else {
							ok = ok && len(l.Rules) == 0
						}
						if f.refunds[l.RefundID] == nil || labeled[l.RefundID] || !ok {
							t.Errorf("label %+v on a refund of the scene, once, with its own code and allowed extras only", l)
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

// TestEveryVariantAppears: the stories vary in care, and each variant is told.
func TestEveryVariantAppears(t *testing.T) {
	seen := map[string]bool{}
	for _, sc := range scenes(21, 1200) {
		f := decodeScene(t, sc)
		for _, r := range f.refunds {
			for _, c := range f.labels[r.RefundID] {
				seen[sc.Name+"+"+c] = true
			}
		}
		switch sc.Name {
		case RuleTrackingReused:
			buyers := map[string]bool{}
			for _, r := range f.refunds {
				buyers[r.BuyerID] = true
			}
			seen[fmt.Sprintf("reuse by %d accounts", len(buyers))] = true
		case RuleSenderShared:
			phones := map[string]bool{}
			for _, p := range f.parcels {
				phones[normPhone(p.Sender.Phone)] = true
			}
			seen[fmt.Sprintf("sender shared by phone %v", len(phones) == 1)] = true
		case RuleTrackingInvalid:
			for _, r := range f.refunds {
				no := r.ReturnShipment.TrackingNo
				switch p := f.parcels[normTracking(no)]; {
				case placeholderWaybill(no):
					seen["waybill placeholder"] = true
				case !formats[r.ReturnShipment.Carrier].MatchString(normTracking(no)):
					seen["waybill malformed"] = true
				case p != nil:
					seen["waybill booked, never picked up"] = true
				default:
					seen["waybill made up"] = true
				}
			}
		case RuleRefundOnlyAbuse:
			seen[fmt.Sprintf("refund-only %v", len(f.refunds) > 1)] = true
		case RuleMissingContradicted:
			for _, r := range f.refunds {
				seen[fmt.Sprintf("missing named %v", r.Items != nil)] = true
			}
		case RuleExtortion:
			seen[fmt.Sprintf("extortion messages %d", len(f.messages))] = true
		case "honest_refund_only":
			for _, o := range f.orders {
				seen["not received, signed by "+o.Shipment.SignedBy+fmt.Sprint(o.Shipment.SignedWithException)] = true
			}
		}
	}
	for _, want := range []string{
		"reuse by 1 accounts", "reuse by 2 accounts", "sender shared by phone true", "sender shared by phone false",
		"waybill placeholder", "waybill malformed", "waybill booked, never picked up", "waybill made up",
		"refund-only true", "refund-only false", "missing named true", "missing named false",
		"extortion messages 1", "extortion messages 2",
		RuleSKUSwap + "+" + RuleMultiAccount, RuleOrderBurst + "+" + RuleMultiAccount,
		RuleUnacceptedCarrier + "+" + RuleTrackingInvalid, RuleMisaddressed + "+" + RuleEmptyParcel,
		"not received, signed by false", "not received, signed by proxyfalse",
	} {
		if !seen[want] {
			t.Errorf("never told: %s", want)
		}
	}
}

// TestExtortionPhrasings: every professional claimant's phrasing threatens
// and demands money, and no honest text does both.
func TestExtortionPhrasings(t *testing.T) {
	for _, text := range extortionTexts {
		if threat, demand := extortionText(strings.ReplaceAll(text, "%s", "500")); !threat || !demand {
			t.Errorf("%q: threat %v, demand %v", text, threat, demand)
		}
	}
	var honest []string
	for _, l := range [][]string{invoiceTexts, returnTexts, stuckTexts, slowTexts, postageTexts, lateTexts, stockOKTexts, underTexts, nudgeTexts, signedNudge, notRecvTexts, missingClaims} {
		honest = append(honest, l...)
	}
	lookalike := 0
	for _, text := range honest {
		threat, demand := extortionText(text)
		if threat && demand {
			t.Errorf("%q threatens and demands money", text)
		}
		if threat || demand || strings.ContainsAny(text, "投诉工商税") {
			lookalike++
		}
	}
	if lookalike < 5 {
		t.Errorf("only %d honest texts come near a threat or a demand", lookalike)
	}
}
