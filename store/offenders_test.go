package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/offender"
	"github.com/sellerguard/sellerguard/redistest"
	"github.com/sellerguard/sellerguard/rules"
	"github.com/sellerguard/sellerguard/store"
)

// offenderEnv is a store on its own redis-server (or miniredis), with a
// plain client for inspection.
type offenderEnv struct {
	st  *store.Redis
	rc  *redis.Client
	ctx context.Context
}

func startOffenders(t *testing.T) *offenderEnv {
	t.Helper()
	return openOffenders(t, redistest.Start(t))
}

func openOffenders(t *testing.T, addr string) *offenderEnv {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	cfg := store.DefaultConfig()
	cfg.Addrs, cfg.Timeout = []string{addr}, 5*time.Second
	st, err := store.New(ctx, cfg, prometheus.NewRegistry())
	if err != nil {
		t.Fatalf("store.New: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	rc := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	t.Cleanup(func() { _ = rc.Close() })
	return &offenderEnv{st: st, rc: rc, ctx: ctx}
}

var confirmedBase = time.Date(2026, 11, 3, 9, 30, 0, 123_000_000, time.UTC)

func conf(hash, kind, shop, refund string, min int) offender.Confirmation {
	return offender.Confirmation{Hash: hash, Kind: kind, Shop: shop, RefundID: refund,
		ConfirmedAt: confirmedBase.Add(time.Duration(min) * time.Minute)}
}

func (e *offenderEnv) confirm(t *testing.T, cs ...offender.Confirmation) {
	t.Helper()
	if err := e.st.ConfirmOffenders(e.ctx, cs); err != nil {
		t.Fatalf("ConfirmOffenders: %v", err)
	}
}

func (e *offenderEnv) offenses(t *testing.T, hashes ...string) map[string]offender.Record {
	t.Helper()
	got, err := e.st.Offenses(e.ctx, hashes)
	if err != nil {
		t.Fatalf("Offenses: %v", err)
	}
	return got
}

func (e *offenderEnv) since(t *testing.T, after time.Time) ([]string, time.Time) {
	t.Helper()
	hs, mark, err := e.st.OffendersSince(e.ctx, after)
	if err != nil {
		t.Fatalf("OffendersSince: %v", err)
	}
	return hs, mark
}

func checkRecord(t *testing.T, got offender.Record, want offender.Record) {
	t.Helper()
	if got.Kind != want.Kind || got.Shop != want.Shop || got.RefundID != want.RefundID || !got.ConfirmedAt.Equal(want.ConfirmedAt) {
		t.Errorf("record = %s %s %s %s, want %s %s %s %s", got.Kind, got.Shop, got.RefundID, got.ConfirmedAt,
			want.Kind, want.Shop, want.RefundID, want.ConfirmedAt)
	}
	if len(got.ByShop) != len(want.ByShop) {
		t.Errorf("by shop = %v, want %v", got.ByShop, want.ByShop)
	}
	for shop, w := range want.ByShop {
		g, ok := got.ByShop[shop]
		if !ok || g.RefundID != w.RefundID || !g.ConfirmedAt.Equal(w.ConfirmedAt) {
			t.Errorf("by shop %s = %+v, want %+v", shop, g, w)
		}
	}
}

func offenderRoundTrip(t *testing.T, e *offenderEnv) {
	e.confirm(t, conf("h-phone", offender.KindPhone, "shop-1", "R1", 0), conf("h-acct", offender.KindAccount, "shop-2", "R2", 5))
	got := e.offenses(t, "h-phone", "h-acct", "h-unknown")
	if len(got) != 2 {
		t.Fatalf("Offenses = %v, want h-phone and h-acct", got)
	}
	checkRecord(t, got["h-phone"], offender.Record{Kind: "phone", Shop: "shop-1", RefundID: "R1", ConfirmedAt: confirmedBase,
		ByShop: map[string]offender.ShopConfirmation{"shop-1": {RefundID: "R1", ConfirmedAt: confirmedBase}}})
	at5 := confirmedBase.Add(5 * time.Minute)
	checkRecord(t, got["h-acct"], offender.Record{Kind: "account", Shop: "shop-2", RefundID: "R2", ConfirmedAt: at5,
		ByShop: map[string]offender.ShopConfirmation{"shop-2": {RefundID: "R2", ConfirmedAt: at5}}})

	hs, mark := e.since(t, time.Time{})
	slices.Sort(hs)
	if !slices.Equal(hs, []string{"h-acct", "h-phone"}) {
		t.Errorf("OffendersSince(zero) = %v", hs)
	}
	if d := time.Since(mark); d < -time.Minute || d > time.Minute {
		t.Errorf("mark %s is not Redis's recording time (now %s)", mark, time.Now())
	}
	if got := e.offenses(t); len(got) != 0 {
		t.Errorf("Offenses() = %v", got)
	}
	// Withdrawn: shop-1's R1 confirmed h-phone only.
	e.confirm(t, conf("h-phone", offender.KindPhone, "shop-3", "R3", 9))
	w, err := e.st.WithdrawOffenders(e.ctx, "shop-1", "R1", confirmedBase.Add(time.Hour))
	if err != nil || w.Withdrawn != 1 {
		t.Fatalf("WithdrawOffenders = %+v, %v", w, err)
	}
	at9 := confirmedBase.Add(9 * time.Minute)
	got = e.offenses(t, "h-phone", "h-acct")
	checkRecord(t, got["h-phone"], offender.Record{Kind: "phone", Shop: "shop-3", RefundID: "R3", ConfirmedAt: at9,
		ByShop: map[string]offender.ShopConfirmation{"shop-3": {RefundID: "R3", ConfirmedAt: at9}}})
	if _, err := e.st.WithdrawOffenders(e.ctx, "shop-3", "R3", confirmedBase.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := e.offenses(t, "h-phone", "h-acct"); len(got) != 1 || got["h-acct"].RefundID != "R2" {
		t.Errorf("after withdrawing every confirmation of h-phone: %v", got)
	}
}

func TestOffendersRoundTrip(t *testing.T) {
	offenderRoundTrip(t, startOffenders(t))
}

// The demo runs on miniredis: the scripts must work there too.
func TestOffendersRoundTripMiniredis(t *testing.T) {
	m := miniredis.RunT(t)
	offenderRoundTrip(t, openOffenders(t, m.Addr()))
}

// The earliest confirmation is kept, overall and per shop, whatever the order
// the confirmations arrive in and however often they are repeated.
func TestOffendersEarliestKept(t *testing.T) {
	e := startOffenders(t)
	cs := []offender.Confirmation{
		conf("", offender.KindSender, "shop-1", "R5", 10),
		conf("", offender.KindSender, "shop-2", "R6", 5),
		conf("", offender.KindSender, "shop-1", "R4", 20),
		conf("", offender.KindSender, "shop-1", "R3", 7),
		conf("", offender.KindSender, "shop-3", "R9", 5), // ties with shop-2's: the smaller shop wins
		conf("", offender.KindSender, "shop-1", "R2", 7), // ties with R3: the smaller refund wins
	}
	want := offender.Record{Kind: "sender", Shop: "shop-2", RefundID: "R6", ConfirmedAt: confirmedBase.Add(5 * time.Minute),
		ByShop: map[string]offender.ShopConfirmation{
			"shop-1": {RefundID: "R2", ConfirmedAt: confirmedBase.Add(7 * time.Minute)},
			"shop-2": {RefundID: "R6", ConfirmedAt: confirmedBase.Add(5 * time.Minute)},
			"shop-3": {RefundID: "R9", ConfirmedAt: confirmedBase.Add(5 * time.Minute)},
		}}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 8 {
		h := fmt.Sprintf("h-%d", round)
		order := slices.Clone(cs)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for i, c := range order {
			c.Hash = h
			e.confirm(t, c)
			if i%2 == 0 {
				e.confirm(t, c) // repeated
			}
		}
		checkRecord(t, e.offenses(t, h)[h], want)
	}
	// A repeat does not move the hash in the feed.
	before, err := e.rc.ZScore(e.ctx, "sg:offenders", "h-0").Result()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	e.confirm(t, offender.Confirmation{Hash: "h-0", Kind: "sender", Shop: "shop-1", RefundID: "R1", ConfirmedAt: confirmedBase})
	if after := e.rc.ZScore(e.ctx, "sg:offenders", "h-0").Val(); after != before {
		t.Errorf("feed score moved from %v to %v", before, after)
	}
	rec := e.offenses(t, "h-0")["h-0"]
	if rec.RefundID != "R1" || rec.ByShop["shop-1"].RefundID != "R1" {
		t.Errorf("an earlier confirmation did not replace the record: %+v", rec)
	}
}

// The feed is ordered by recording time and picks up a confirmation dated in
// the past that was recorded after the mark.
func TestOffendersSinceOrdering(t *testing.T) {
	e := startOffenders(t)
	e.confirm(t, conf("h-a", "phone", "shop-1", "R1", 0))
	_, markA := e.since(t, time.Time{})
	time.Sleep(3 * time.Millisecond)
	e.confirm(t, conf("h-b", "phone", "shop-1", "R2", 0))
	time.Sleep(3 * time.Millisecond)
	// Backdated by a year: still new to the feed.
	e.confirm(t, offender.Confirmation{Hash: "h-c", Kind: "phone", Shop: "shop-1", RefundID: "R3", ConfirmedAt: confirmedBase.AddDate(-1, 0, 0)})

	all, mark := e.since(t, time.Time{})
	if !slices.Equal(all, []string{"h-a", "h-b", "h-c"}) {
		t.Errorf("OffendersSince(zero) = %v, want recording order", all)
	}
	later, mark2 := e.since(t, markA.Add(time.Millisecond))
	if !slices.Equal(later, []string{"h-b", "h-c"}) {
		t.Errorf("OffendersSince(after h-a) = %v", later)
	}
	if !mark2.Equal(mark) || !mark.After(markA) {
		t.Errorf("marks: after a %s, all %s, later %s", markA, mark, mark2)
	}
	// Inclusive: the mark itself returns the newest again.
	if again, m := e.since(t, mark); !slices.Equal(again, []string{"h-c"}) || !m.Equal(mark) {
		t.Errorf("OffendersSince(mark) = %v, %s", again, m)
	}
	// Nothing new: the mark stays.
	future := mark.Add(time.Hour)
	if none, m := e.since(t, future); len(none) != 0 || !m.Equal(future) {
		t.Errorf("OffendersSince(future) = %v, %s", none, m)
	}
}

// More hashes than one page, many with one score: each comes exactly once.
func TestOffendersSincePages(t *testing.T) {
	e := startOffenders(t)
	const n = 23456
	want := make([]string, n)
	zs := make([]redis.Z, n)
	for i := range n {
		want[i] = fmt.Sprintf("%032x", i)
		zs[i] = redis.Z{Score: float64(1_700_000_000_000 + i/1000), Member: want[i]}
	}
	if err := e.rc.ZAdd(e.ctx, "sg:offenders", zs...).Err(); err != nil {
		t.Fatal(err)
	}
	got, mark := e.since(t, time.Time{})
	if !slices.Equal(got, want) {
		t.Fatalf("OffendersSince returned %d hashes, want %d in order", len(got), n)
	}
	if mark.UnixMilli() != 1_700_000_000_000+(n-1)/1000 {
		t.Errorf("mark = %d", mark.UnixMilli())
	}
}

// Verdicts do not expire, and live outside every shop's slot, but for the
// index of what one refund confirmed (in its shop's slot).
func TestOffendersKeysNoTTL(t *testing.T) {
	e := startOffenders(t)
	e.confirm(t, conf("0123456789abcdef0123456789abcdef", "address", "shop-{1}", "R1", 0))
	keys, err := e.rc.Keys(e.ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"sg:offender:0123456789abcdef0123456789abcdef", "sg:offenders", "sg:{shop-%7B1%7D}:ofr:R1"}) {
		t.Errorf("keys = %v", keys)
	}
	for _, k := range keys {
		if ttl := e.rc.TTL(e.ctx, k).Val(); ttl != -1 {
			t.Errorf("%s: TTL %s, want none", k, ttl)
		}
	}
}

func TestOffendersConfirmRejectsIncomplete(t *testing.T) {
	e := startOffenders(t)
	for _, c := range []offender.Confirmation{
		{Kind: "phone", Shop: "s", RefundID: "R", ConfirmedAt: confirmedBase},
		{Hash: "h", Shop: "s", RefundID: "R", ConfirmedAt: confirmedBase},
		{Hash: "h", Kind: "phone", RefundID: "R", ConfirmedAt: confirmedBase},
		{Hash: "h", Kind: "phone", Shop: "s", ConfirmedAt: confirmedBase},
		{Hash: "h", Kind: "phone", Shop: "s", RefundID: "R"},
	} {
		if err := e.st.ConfirmOffenders(e.ctx, []offender.Confirmation{c}); err == nil {
			t.Errorf("ConfirmOffenders(%+v) = nil, want an error", c)
		}
	}
	if n := e.rc.DBSize(e.ctx).Val(); n != 0 {
		t.Errorf("%d keys written by rejected confirmations", n)
	}
}

// Two instances, one Redis: a confirmation through one Book reaches the
// other's filter on its next Refresh, and its Lookup confirms it in Redis.
func TestOffendersTwoBooks(t *testing.T) {
	e := startOffenders(t)
	h, err := offender.NewHasher([]byte("0123456789abcdef-test-key"))
	if err != nil {
		t.Fatal(err)
	}
	newBook := func() *offender.Book {
		f, err := offender.NewFilter(1000, 0.001)
		if err != nil {
			t.Fatal(err)
		}
		b := offender.NewBook(h, f, e.st, prometheus.NewRegistry())
		if err := b.Load(e.ctx); err != nil {
			t.Fatalf("Load: %v", err)
		}
		return b
	}
	a, b := newBook(), newBook()
	recv := event.Address{Name: "张丽", Phone: "+86 138-0013-8000", Province: "浙江省", City: "杭州市", District: "西湖区", Address: "文三路100号3幢201室"}
	c := rules.Case{
		Refund: &event.Refund{Meta: event.Meta{ShopID: "shop-2"}, RefundID: "R20", BuyerID: "tb_new"},
		Order:  &event.Order{BuyerID: "tb_new", Receiver: &recv},
	}
	phone, _ := offender.PhoneID("13800138000")
	if err := a.Confirm(e.ctx, "shop-1", "R10", []offender.Identifier{phone}, confirmedBase); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	if got, err := b.Lookup(e.ctx, "shop-2", c); err != nil || len(got) != 0 {
		t.Fatalf("before refresh: %v, %v (the filter has not heard yet)", got, err)
	}
	if err := b.Refresh(e.ctx); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	got, err := b.Lookup(e.ctx, "shop-2", c)
	if err != nil {
		t.Fatal(err)
	}
	want := []rules.Offense{{Kind: "phone", ConfirmedAt: confirmedBase}}
	if len(got) != 1 || got[0].Kind != want[0].Kind || !got[0].ConfirmedAt.Equal(want[0].ConfirmedAt) || got[0].SameShop || got[0].RefundID != "" {
		t.Errorf("Lookup from shop-2 = %+v, want %+v", got, want)
	}
	own, err := a.Lookup(e.ctx, "shop-1", c)
	if err != nil || len(own) != 1 || !own[0].SameShop || own[0].RefundID != "R10" {
		t.Errorf("Lookup from shop-1 = %+v, %v", own, err)
	}
}

// On a Redis Cluster the records spread over the nodes and the feed lives on
// one: every script touches a single key, so nothing is cross-slot.
func TestOffendersCluster(t *testing.T) {
	addrs := redistest.StartCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	cfg := store.DefaultConfig()
	cfg.Addrs, cfg.Timeout = addrs, 5*time.Second
	st, err := store.New(ctx, cfg, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	var cs []offender.Confirmation
	var hashes []string
	for i := range 50 {
		h := fmt.Sprintf("%032x", i*7919)
		hashes = append(hashes, h)
		cs = append(cs, offender.Confirmation{Hash: h, Kind: "phone", Shop: "shop-1", RefundID: fmt.Sprint("R", i), ConfirmedAt: confirmedBase})
	}
	if err := st.ConfirmOffenders(ctx, cs); err != nil {
		t.Fatalf("ConfirmOffenders: %v", err)
	}
	got, err := st.Offenses(ctx, hashes)
	if err != nil || len(got) != len(hashes) {
		t.Fatalf("Offenses: %d records, %v", len(got), err)
	}
	all, _, err := st.OffendersSince(ctx, time.Time{})
	slices.Sort(all)
	if err != nil || !slices.Equal(all, hashes) {
		t.Errorf("OffendersSince: %d hashes, %v", len(all), err)
	}
	// The refund's index and the records are on different nodes.
	w, err := st.WithdrawOffenders(ctx, "shop-1", "R7", confirmedBase.Add(time.Minute))
	if err != nil || w.Withdrawn != 1 {
		t.Fatalf("WithdrawOffenders: %+v, %v", w, err)
	}
	if got, err := st.Offenses(ctx, hashes); err != nil || len(got) != len(hashes)-1 {
		t.Errorf("Offenses after the withdrawal: %d records, %v", len(got), err)
	} else if _, ok := got[hashes[7]]; ok {
		t.Errorf("R7's hash still confirmed")
	}
}
