package offender_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sellerguard/sellerguard/offender"
	"github.com/sellerguard/sellerguard/rules"
)

// fakeStore is an in-memory Store and Writer that counts its calls.
type fakeStore struct {
	mu       sync.Mutex
	records  map[string]offender.Record
	feed     []fed // in recording order
	clock    time.Time
	queries  [][]string // every Offenses call's hashes
	sinces   []time.Time
	failNext error

	withdrawals []withdrawCall
	hits        []offender.Hit
}

type fed struct {
	hash string
	at   time.Time
}

func newFakeStore() *fakeStore {
	return &fakeStore{records: map[string]offender.Record{}, clock: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)}
}

func (s *fakeStore) fail() error {
	err := s.failNext
	s.failNext = nil
	return err
}

func (s *fakeStore) Offenses(_ context.Context, hashes []string) (map[string]offender.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries = append(s.queries, slices.Clone(hashes))
	if err := s.fail(); err != nil {
		return nil, err
	}
	out := map[string]offender.Record{}
	for _, h := range hashes {
		if r, ok := s.records[h]; ok {
			out[h] = r
		}
	}
	return out, nil
}

func (s *fakeStore) OffendersSince(_ context.Context, after time.Time) ([]string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sinces = append(s.sinces, after)
	if err := s.fail(); err != nil {
		return nil, time.Time{}, err
	}
	var out []string
	mark := after
	for _, f := range s.feed {
		if !f.at.Before(after) {
			out = append(out, f.hash)
			mark = f.at
		}
	}
	return out, mark, nil
}

func (s *fakeStore) RecordHits(_ context.Context, hits []offender.Hit) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail(); err != nil {
		return err
	}
	s.hits = append(s.hits, hits...)
	return nil
}

func (s *fakeStore) ConfirmOffenders(_ context.Context, cs []offender.Confirmation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail(); err != nil {
		return err
	}
	for _, c := range cs {
		s.put(c)
	}
	return nil
}

// fakeWithdrawn is how many hashes the fake store says a withdrawal removed.
const fakeWithdrawn = 3

// WithdrawOffenders records the call; the store's own logic is tested in
// package store against Redis.
func (s *fakeStore) WithdrawOffenders(_ context.Context, shop, refundID string, upTo time.Time) (offender.Withdrawal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail(); err != nil {
		return offender.Withdrawal{}, err
	}
	s.withdrawals = append(s.withdrawals, withdrawCall{shop, refundID, upTo})
	return offender.Withdrawal{Withdrawn: fakeWithdrawn, UpTo: upTo}, nil
}

type withdrawCall struct {
	shop, refund string
	upTo         time.Time
}

// put records a confirmation as the Redis store does: feed once, earliest kept.
func (s *fakeStore) put(c offender.Confirmation) {
	r, ok := s.records[c.Hash]
	if !ok {
		s.clock = s.clock.Add(time.Second)
		s.feed = append(s.feed, fed{c.Hash, s.clock})
		r = offender.Record{Kind: c.Kind, Shop: c.Shop, RefundID: c.RefundID, ConfirmedAt: c.ConfirmedAt, ByShop: map[string]offender.ShopConfirmation{}}
	} else if c.ConfirmedAt.Before(r.ConfirmedAt) {
		r.Shop, r.RefundID, r.ConfirmedAt = c.Shop, c.RefundID, c.ConfirmedAt
	}
	if own, ok := r.ByShop[c.Shop]; !ok || c.ConfirmedAt.Before(own.ConfirmedAt) {
		r.ByShop[c.Shop] = offender.ShopConfirmation{RefundID: c.RefundID, ConfirmedAt: c.ConfirmedAt}
	}
	s.records[c.Hash] = r
}

func (s *fakeStore) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queries)
}

// readOnly hides the Writer.
type readOnly struct{ offender.Store }

type fixture struct {
	h     *offender.Hasher
	f     *offender.Filter
	st    *fakeStore
	book  *offender.Book
	reg   *prometheus.Registry
	ctx   context.Context
	other *offender.Book // a second instance on the same store
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	x := &fixture{h: mustHasher(t, testKey), f: mustFilter(t, 10_000, 0.001), st: newFakeStore(),
		reg: prometheus.NewRegistry(), ctx: context.Background()}
	x.book = offender.NewBook(x.h, x.f, x.st, x.reg)
	x.other = offender.NewBook(x.h, mustFilter(t, 10_000, 0.001), x.st, prometheus.NewRegistry())
	return x
}

// seed stores a confirmation without going through any Book's filter.
func (x *fixture) seed(id offender.Identifier, shop, refund string, at time.Time) string {
	h := x.h.Hash(id)
	x.st.mu.Lock()
	x.st.put(offender.Confirmation{Hash: h, Kind: id.Kind, Shop: shop, RefundID: refund, ConfirmedAt: at})
	x.st.mu.Unlock()
	return h
}

func (x *fixture) load(t testing.TB) {
	t.Helper()
	if err := x.book.Load(x.ctx); err != nil {
		t.Fatalf("Load: %v", err)
	}
}

func (x *fixture) lookups(result string) float64 {
	return x.metric("sellerguard_offender_lookups_total", result)
}

// metric reads one series from the fixture's registry (label: the value of
// its only label, "" for none); -1 when it is missing.
func (x *fixture) metric(name, label string) float64 {
	mfs, _ := x.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) == 0 && label == "" {
				return m.GetGauge().GetValue()
			}
			if len(m.GetLabel()) > 0 && m.GetLabel()[0].GetValue() == label {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

var (
	day1 = time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	day2 = day1.AddDate(0, 0, 1)
	day3 = day1.AddDate(0, 0, 2)
)

func id(kind, value string) offender.Identifier { return offender.Identifier{Kind: kind, Value: value} }

// aliceCase: account tb_alice, phone and address of addrA, sender addrB.
func aliceCase() rules.Case { return caseOf("tb_alice", addrA, &addrB) }

func TestLookupConfirmsOnlyMaybesInOneCall(t *testing.T) {
	x := newFixture(t)
	phone := x.seed(id("phone", "m:13800138000"), "shop-1", "R9", day1)
	senderPhone := x.seed(id("sender", "m:13900139000"), "shop-2", "R7", day2)
	x.seed(id("account", "tb_somebody_else"), "shop-1", "R5", day1) // not in the case
	x.load(t)
	// In the filter but not in Redis (as after a lost write, or a false
	// positive): Redis decides.
	ghost := x.h.Hash(id("account", "tb_alice"))
	x.f.Add(ghost)

	got, err := x.book.Lookup(x.ctx, "shop-1", aliceCase())
	if err != nil {
		t.Fatal(err)
	}
	want := []rules.Offense{
		{Kind: "phone", ConfirmedAt: day1, SameShop: true, RefundID: "R9"},
		{Kind: "sender", ConfirmedAt: day2},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Lookup =\n%+v\nwant\n%+v", got, want)
	}
	if x.st.calls() != 1 {
		t.Fatalf("%d Offenses calls, want 1", x.st.calls())
	}
	q := x.st.queries[0]
	wantQ := []string{phone, senderPhone, ghost}
	slices.Sort(wantQ)
	if !slices.Equal(q, wantQ) {
		t.Errorf("asked Redis about %v, want only the maybes %v", q, wantQ)
	}
	// 5 identifiers: address and sender name|address filtered, phone and
	// sender phone confirmed, the account a false positive.
	for result, want := range map[string]float64{"filtered": 2, "confirmed": 2, "false_positive": 1} {
		if got := x.lookups(result); got != want {
			t.Errorf("lookups{result=%q} = %v, want %v", result, got, want)
		}
	}
}

func TestLookupNoMaybeNoStoreCall(t *testing.T) {
	x := newFixture(t)
	x.seed(id("account", "tb_somebody_else"), "shop-1", "R5", day1)
	x.load(t)
	got, err := x.book.Lookup(x.ctx, "shop-1", aliceCase())
	if err != nil || len(got) != 0 {
		t.Fatalf("Lookup = %v, %v", got, err)
	}
	if x.st.calls() != 0 {
		t.Errorf("%d store calls for a case the filter rules out", x.st.calls())
	}
	if got := x.lookups("filtered"); got != 5 {
		t.Errorf("filtered = %v, want 5", got)
	}
}

// Another shop's confirmation shows no refund; the shop's own shows its own
// earliest one, even when another shop confirmed earlier; the case's own
// refund is not an earlier offense.
func TestLookupSameShop(t *testing.T) {
	x := newFixture(t)
	acct := id("account", "tb_alice")
	x.seed(acct, "shop-2", "R-other", day1)
	x.seed(acct, "shop-1", "R-own-late", day3)
	x.seed(acct, "shop-1", "R-own", day2)
	x.seed(id("phone", "m:13800138000"), "shop-1", "R1", day1) // the case's own refund
	x.load(t)
	for _, tc := range []struct {
		shop string
		want []rules.Offense
	}{
		{"shop-1", []rules.Offense{{Kind: "account", ConfirmedAt: day2, SameShop: true, RefundID: "R-own"}}},
		{"shop-2", []rules.Offense{{Kind: "account", ConfirmedAt: day1, SameShop: true, RefundID: "R-other"},
			{Kind: "phone", ConfirmedAt: day1}}},
		{"shop-3", []rules.Offense{{Kind: "account", ConfirmedAt: day1}, {Kind: "phone", ConfirmedAt: day1}}},
	} {
		got, err := x.book.Lookup(x.ctx, tc.shop, aliceCase())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: Lookup =\n%+v\nwant\n%+v", tc.shop, got, tc.want)
		}
	}
}

// A whole batch costs one lookup, and one call to record what matched.
func TestLookupAllOneCall(t *testing.T) {
	x := newFixture(t)
	x.seed(id("account", "tb_b"), "shop-1", "R-old", day1)
	x.seed(id("account", "tb_d"), "shop-2", "R2", day1)
	x.load(t)
	var shops []string
	var cases []rules.Case
	for _, b := range []string{"tb_a", "tb_b", "tb_c", "tb_d"} {
		shops = append(shops, "shop-1")
		cases = append(cases, caseOf(b, addrB, nil))
	}
	got, err := x.book.LookupAll(x.ctx, shops, cases)
	if err != nil {
		t.Fatal(err)
	}
	if x.st.calls() != 1 || len(x.st.queries[0]) != 2 {
		t.Errorf("store calls %v, want one with two hashes", x.st.queries)
	}
	if len(got) != 4 || len(got[0]) != 0 || len(got[1]) != 1 || !got[1][0].SameShop || len(got[2]) != 0 ||
		len(got[3]) != 1 || got[3][0].SameShop {
		t.Errorf("LookupAll = %+v", got)
	}
	wantHits := []offender.Hit{{Hash: x.book.Hash(id("account", "tb_b")), Shop: "shop-1", RefundID: cases[1].Refund.RefundID},
		{Hash: x.book.Hash(id("account", "tb_d")), Shop: "shop-1", RefundID: cases[3].Refund.RefundID}}
	if !slices.Equal(x.st.hits, wantHits) {
		t.Errorf("recorded hits %+v, want %+v", x.st.hits, wantHits)
	}
	if _, err := x.book.LookupAll(x.ctx, shops[:1], cases); err == nil {
		t.Error("mismatched slices accepted")
	}
}

func TestLookupStoreError(t *testing.T) {
	x := newFixture(t)
	x.seed(id("account", "tb_alice"), "shop-1", "R0", day1)
	x.load(t)
	x.st.failNext = errors.New("redis down")
	if _, err := x.book.Lookup(x.ctx, "shop-1", aliceCase()); err == nil || !strings.Contains(err.Error(), "redis down") {
		t.Errorf("Lookup error = %v", err)
	}
}

// Confirm writes through, reaches the local filter at once and the other
// instance's on its next Refresh.
func TestConfirmAndRefresh(t *testing.T) {
	x := newFixture(t)
	x.load(t)
	if err := x.other.Load(x.ctx); err != nil {
		t.Fatal(err)
	}
	phone, _ := offender.PhoneID("+86 138 0013 8000")
	ids := append([]offender.Identifier{phone}, offender.SenderIDs(addrB)...)
	if err := x.book.Confirm(x.ctx, "shop-9", "R-fraud", ids, day1); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	for _, i := range ids {
		if !x.f.MayContain(x.h.Hash(i)) {
			t.Errorf("%v not in the local filter", i)
		}
		if r, ok := x.st.records[x.h.Hash(i)]; !ok || r.Kind != i.Kind || r.Shop != "shop-9" || r.RefundID != "R-fraud" || !r.ConfirmedAt.Equal(day1) {
			t.Errorf("%v stored as %+v", i, r)
		}
	}
	if got, _ := x.book.Lookup(x.ctx, "shop-1", aliceCase()); len(got) != 3 {
		t.Errorf("local Lookup after Confirm = %+v", got)
	}
	if got, _ := x.other.Lookup(x.ctx, "shop-1", aliceCase()); len(got) != 0 {
		t.Errorf("other instance before Refresh = %+v", got)
	}
	if err := x.other.Refresh(x.ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := x.other.Lookup(x.ctx, "shop-1", aliceCase()); len(got) != 3 {
		t.Errorf("other instance after Refresh = %+v", got)
	}
	// Once it has a mark, Refresh reads from just before it, not from the start.
	if err := x.other.Refresh(x.ctx); err != nil {
		t.Fatal(err)
	}
	if last := x.st.sinces[len(x.st.sinces)-1]; !last.Equal(x.st.clock.Add(-offender.RefreshOverlap)) {
		t.Errorf("Refresh asked since %s, want the mark %s less the overlap", last, x.st.clock)
	}
	if got := x.metric("sellerguard_offender_filter_size", ""); got != 3 {
		t.Errorf("filter size = %v, want 3", got)
	}
}

func TestConfirmValidates(t *testing.T) {
	x := newFixture(t)
	ok := []offender.Identifier{id("account", "tb_x")}
	for name, call := range map[string]func() error{
		"no shop":     func() error { return x.book.Confirm(x.ctx, "", "R1", ok, day1) },
		"no refund":   func() error { return x.book.Confirm(x.ctx, "s", "", ok, day1) },
		"no time":     func() error { return x.book.Confirm(x.ctx, "s", "R1", ok, time.Time{}) },
		"no ids":      func() error { return x.book.Confirm(x.ctx, "s", "R1", nil, day1) },
		"bad kind":    func() error { return x.book.Confirm(x.ctx, "s", "R1", []offender.Identifier{id("email", "a@b")}, day1) },
		"empty value": func() error { return x.book.Confirm(x.ctx, "s", "R1", []offender.Identifier{id("phone", "")}, day1) },
		"read-only": func() error {
			b := offender.NewBook(x.h, x.f, readOnly{x.st}, prometheus.NewRegistry())
			return b.Confirm(x.ctx, "s", "R1", ok, day1)
		},
	} {
		if err := call(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if len(x.st.records) != 0 {
		t.Errorf("stored %v", x.st.records)
	}
	x.st.failNext = errors.New("redis down")
	if err := x.book.Confirm(x.ctx, "s", "R1", ok, day1); err == nil {
		t.Error("store error swallowed")
	}
	if x.f.MayContain(x.h.Hash(ok[0])) {
		t.Error("a failed confirmation reached the filter")
	}
}

// Withdraw passes the refund and the time to the store, and counts what the
// store withdrew.
func TestWithdraw(t *testing.T) {
	x := newFixture(t)
	for _, tc := range []struct {
		name, shop, refund string
		upTo               time.Time
		wantErr            bool
	}{
		{name: "up to a time", shop: "shop-1", refund: "R1", upTo: day1},
		{name: "no time: the one the reopen recorded", shop: "shop-1", refund: "R1"},
		{name: "no shop", refund: "R1", wantErr: true},
		{name: "no refund", shop: "shop-1", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x.st.withdrawals = nil
			w, err := x.book.Withdraw(x.ctx, tc.shop, tc.refund, tc.upTo)
			if tc.wantErr {
				if err == nil || len(x.st.withdrawals) != 0 {
					t.Fatalf("accepted: %v, %v", err, x.st.withdrawals)
				}
				return
			}
			if err != nil || len(x.st.withdrawals) != 1 {
				t.Fatalf("Withdraw: %v, calls %v", err, x.st.withdrawals)
			}
			if c := x.st.withdrawals[0]; c.shop != tc.shop || c.refund != tc.refund || !c.upTo.Equal(tc.upTo) {
				t.Errorf("store got %+v", c)
			}
			if w.Withdrawn != fakeWithdrawn {
				t.Errorf("withdrawn %d, want the store's %d", w.Withdrawn, fakeWithdrawn)
			}
		})
	}
	if got := counterValue(t, x.reg, "sellerguard_offender_withdrawals_total"); got != 2*fakeWithdrawn {
		t.Errorf("withdrawals_total = %v, want %d", got, 2*fakeWithdrawn)
	}
	x.st.failNext = errors.New("redis down")
	if _, err := x.book.Withdraw(x.ctx, "shop-1", "R1", day1); err == nil || !strings.Contains(err.Error(), "redis down") {
		t.Errorf("store error: %v", err)
	}
	if _, err := offender.NewBook(x.h, x.f, readOnly{x.st}, prometheus.NewRegistry()).Withdraw(x.ctx, "s", "R1", day1); err == nil {
		t.Error("a read-only store withdrew")
	}
}

// counterValue reads an unlabelled counter from reg.
func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("%s not registered", name)
	return 0
}

func TestLoadErrorKeepsFilter(t *testing.T) {
	x := newFixture(t)
	h := x.seed(id("account", "tb_alice"), "shop-1", "R0", day1)
	x.load(t)
	x.st.failNext = errors.New("redis down")
	if err := x.book.Load(x.ctx); err == nil {
		t.Fatal("no error")
	}
	if !x.f.MayContain(h) {
		t.Error("a failed Load emptied the filter")
	}
}

// Run loads, then refreshes until its context ends.
func TestRun(t *testing.T) {
	x := newFixture(t)
	h := x.seed(id("account", "tb_alice"), "shop-1", "R0", day1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		x.book.Run(ctx, 5*time.Millisecond, time.Hour, slog.New(slog.DiscardHandler))
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !x.f.MayContain(h) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	h2 := x.seed(id("account", "tb_bob"), "shop-1", "R1", day1)
	for !x.f.MayContain(h2) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if !x.f.MayContain(h) || !x.f.MayContain(h2) {
		t.Error("Run did not load and refresh")
	}
	x.st.mu.Lock()
	defer x.st.mu.Unlock()
	if len(x.st.sinces) < 2 || !x.st.sinces[0].IsZero() || x.st.sinces[1].IsZero() {
		t.Errorf("Since calls %v: want a load, then refreshes", x.st.sinces)
	}
}

func TestBookMetricsLint(t *testing.T) {
	x := newFixture(t)
	problems, err := testutil.GatherAndLint(x.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// BenchmarkLookupMiss is the hot path: a case none of whose identifiers was
// ever confirmed, with 100k confirmed hashes in the filter. It must cost no
// store call at all.
func BenchmarkLookupMiss(b *testing.B) {
	x := newFixture(b)
	x.f = mustFilter(b, 200_000, 0.001)
	x.book = offender.NewBook(x.h, x.f, x.st, prometheus.NewRegistry())
	for _, h := range randomHashes(7, 100_000) {
		x.st.put(offender.Confirmation{Hash: h, Kind: "account", Shop: "shop-1", RefundID: "R", ConfirmedAt: day1})
	}
	x.load(b)
	c := caseOf("tb_alice", addrA, &addrB)
	if _, err := x.book.Lookup(x.ctx, "shop-1", c); err != nil || x.st.calls() != 0 {
		b.Fatalf("the benchmark case is a false positive (%d calls, %v): pick another", x.st.calls(), err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := x.book.Lookup(x.ctx, "shop-1", c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(x.st.calls())/float64(b.N), "storecalls/op")
	if x.st.calls() != 0 {
		b.Fatalf("%d store calls on the miss path", x.st.calls())
	}
}

// For comparison: a hit costs one store call.
func BenchmarkLookupHit(b *testing.B) {
	x := newFixture(b)
	x.seed(id("account", "tb_alice"), "shop-1", "R0", day1)
	x.load(b)
	c := caseOf("tb_alice", addrA, &addrB)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := x.book.Lookup(x.ctx, "shop-1", c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(x.st.calls())/float64(b.N), "storecalls/op")
}
