package store_test

// Shared fixtures for the store tests: a store on a fresh redis-server per
// test, event builders, and a dump of the whole keyspace for comparisons.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/redistest"
	"github.com/sellerguard/sellerguard/store"
)

const shop1 = "shop-1"

// testTimeout bounds every test's own waits (Redis calls are bounded by the
// store's Timeout as well).
const testTimeout = 15 * time.Second

var base = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

// at is base plus min minutes.
func at(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }

// Addresses that normalize to distinct address keys and phone keys.
var (
	addrA = event.Address{Name: "张丽", Phone: "138 0013 8000", Province: "浙江省", City: "杭州市", District: "西湖区", Address: "文三路100号3幢201室"}
	// addrA2 is addrA typed differently: same address key, same phone key.
	addrA2 = event.Address{Name: "张丽", Phone: "+86 13800138000", Province: "浙江", City: "杭州", District: "西湖区", Address: "文三路 100号 3栋 201"}
	// addrAOtherPhone is addrA's place with another phone.
	addrAOtherPhone = event.Address{Name: "王五", Phone: "13700137000", Province: "浙江省", City: "杭州市", District: "西湖区", Address: "文三路100号3幢201室"}
	addrB           = event.Address{Name: "李四", Phone: "13900139000", Province: "浙江省", City: "杭州市", District: "余杭区", Address: "良睦路1号5幢302室"}
	// addrCSamePhoneAsA is another place with addrA's phone.
	addrCSamePhoneAsA = event.Address{Name: "张丽", Phone: "13800138000", Province: "广东省", City: "深圳市", District: "南山区", Address: "科技园南区8栋101"}
	addrD             = event.Address{Name: "赵六", Phone: "13600136000", Province: "北京", City: "北京市", District: "朝阳区", Address: "建国路88号2号楼1201"}
)

type env struct {
	st   *store.Redis
	rc   *redis.Client // direct access for inspection
	cfg  store.Config
	ctx  context.Context
	addr string
}

// start runs a redis-server and a store on it. Retention is 2h, so TTLs are
// easy to bound; mods change the config further.
func start(t *testing.T, mods ...func(*store.Config)) *env {
	t.Helper()
	addr := redistest.Start(t)
	return open(t, addr, mods...)
}

func open(t *testing.T, addr string, mods ...func(*store.Config)) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	cfg := store.DefaultConfig()
	cfg.Addrs = []string{addr}
	cfg.Retention = 2 * time.Hour
	cfg.Timeout = 3 * time.Second
	for _, m := range mods {
		m(&cfg)
	}
	st, err := store.New(ctx, cfg, prometheus.NewRegistry())
	if err != nil {
		t.Fatalf("store.New: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	rc := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, ReadTimeout: 3 * time.Second,
		WriteTimeout: 3 * time.Second, MaxRetries: -1})
	t.Cleanup(func() { _ = rc.Close() })
	return &env{st: st, rc: rc, cfg: cfg, ctx: ctx, addr: addr}
}

func (e *env) apply(t *testing.T, evs ...event.Event) []detector.Applied {
	t.Helper()
	out, err := e.st.Apply(e.ctx, evs)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if len(out) != len(evs) {
		t.Fatalf("apply: %d results for %d events", len(out), len(evs))
	}
	return out
}

// applyEach applies the events one Apply call at a time, as separate batches.
func (e *env) applyEach(t *testing.T, evs ...event.Event) {
	t.Helper()
	for _, ev := range evs {
		e.apply(t, ev)
	}
}

func (e *env) flush(t *testing.T) {
	t.Helper()
	if err := e.rc.FlushAll(e.ctx).Err(); err != nil {
		t.Fatalf("flushall: %v", err)
	}
}

// load reads refunds of shop1.
func (e *env) load(t *testing.T, ids ...string) map[string]detector.Loaded {
	t.Helper()
	return e.loadShop(t, shop1, ids...)
}

func (e *env) loadShop(t *testing.T, shop string, ids ...string) map[string]detector.Loaded {
	t.Helper()
	refs := make([]detector.Ref, len(ids))
	for i, id := range ids {
		refs[i] = detector.Ref{Shop: shop, RefundID: id}
	}
	out, err := e.st.Load(e.ctx, refs)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if len(out) != len(ids) {
		t.Fatalf("load: %d results for %d refs", len(out), len(ids))
	}
	m := make(map[string]detector.Loaded, len(out))
	for i, l := range out {
		if l.Ref != refs[i] {
			t.Fatalf("load result %d is for %+v, want %+v", i, l.Ref, refs[i])
		}
		m[l.RefundID] = l
	}
	return m
}

// cases is each refund's case as JSON ("" when not found), for comparisons.
func (e *env) cases(t *testing.T, ids ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for id, l := range e.load(t, ids...) {
		if l.Found {
			out[id] = mustJSON(t, l.Case)
		} else {
			out[id] = ""
		}
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json: %v", err)
	}
	return string(b)
}

// keys lists every key in the database, sorted.
func (e *env) keys(t *testing.T) []string {
	t.Helper()
	var out []string
	it := e.rc.Scan(e.ctx, 0, "*", 1000).Iterator()
	for it.Next(e.ctx) {
		out = append(out, it.Val())
	}
	if err := it.Err(); err != nil {
		t.Fatalf("scan: %v", err)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// dump is every key's type and value. The per-refund input version `iv` (a
// counter that any touch bumps) is left out of refund hashes; drop names
// further hash fields to leave out.
func (e *env) dump(t *testing.T, drop ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range e.keys(t) {
		typ, err := e.rc.Type(e.ctx, k).Result()
		if err != nil {
			t.Fatalf("type %s: %v", k, err)
		}
		var v any
		switch typ {
		case "hash":
			h, err := e.rc.HGetAll(e.ctx, k).Result()
			if err != nil {
				t.Fatalf("hgetall %s: %v", k, err)
			}
			if isRefundKey(k) {
				delete(h, "iv")
			}
			for _, f := range drop {
				delete(h, f)
			}
			v = h
		case "set":
			s, err := e.rc.SMembers(e.ctx, k).Result()
			if err != nil {
				t.Fatalf("smembers %s: %v", k, err)
			}
			slices.Sort(s)
			v = s
		case "zset":
			z, err := e.rc.ZRangeWithScores(e.ctx, k, 0, -1).Result()
			if err != nil {
				t.Fatalf("zrange %s: %v", k, err)
			}
			v = z
		case "string":
			s, err := e.rc.Get(e.ctx, k).Result()
			if err != nil {
				t.Fatalf("get %s: %v", k, err)
			}
			v = s
		case "none": // expired between SCAN and TYPE: cannot happen with a 2h retention
			t.Fatalf("key %s vanished", k)
		default:
			t.Fatalf("key %s has unexpected type %s", k, typ)
		}
		out[k] = typ + " " + mustJSON(t, v)
	}
	return out
}

// isRefundKey reports a refund entity hash: sg:{shop}:r:<refund>.
func isRefundKey(k string) bool {
	i := strings.Index(k, "}:")
	return i >= 0 && strings.HasPrefix(k[i+2:], "r:")
}

// diff describes how two dumps differ, "" when equal.
func diff(want, got map[string]string) string {
	var b strings.Builder
	var ks []string
	for k := range want {
		ks = append(ks, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	for _, k := range ks {
		w, wok := want[k]
		g, gok := got[k]
		switch {
		case !gok:
			fmt.Fprintf(&b, "\n  missing %s = %s", k, w)
		case !wok:
			fmt.Fprintf(&b, "\n  extra   %s = %s", k, g)
		case w != g:
			fmt.Fprintf(&b, "\n  changed %s\n    want %s\n    got  %s", k, w, g)
		}
	}
	return b.String()
}

// touched is the refund ids one Apply result names, sorted; every ref must be
// of the wanted shop and named once.
func touched(t *testing.T, shop string, a detector.Applied) []string {
	t.Helper()
	ids := []string{}
	for _, r := range a.Touched {
		if r.Shop != shop {
			t.Errorf("touched %+v: shop %q, want %q", r, r.Shop, shop)
		}
		ids = append(ids, r.RefundID)
	}
	slices.Sort(ids)
	if c := slices.Compact(slices.Clone(ids)); len(c) != len(ids) {
		t.Errorf("touched names a refund twice: %v", ids)
	}
	return ids
}

// --- event builders ---------------------------------------------------------

func meta(id string, min int) event.Meta {
	return event.Meta{EventID: id, ShopID: shop1, OccurredAt: at(min), SchemaVersion: 1}
}

func ord(m event.Meta, orderID, buyer string, recv event.Address) *event.Order {
	return &event.Order{Meta: m, OrderID: orderID, BuyerID: buyer, Status: "paid", CreatedAt: base,
		Items:       []event.Item{{SKUID: "SKU-1", ProductID: "P-1", Title: "羊毛大衣", Quantity: 1, UnitPriceMinor: 59900, UnitWeightG: 1450}},
		AmountMinor: 59900, Currency: "CNY", Receiver: &recv}
}

// rfd is a refund; waybill "" means the buyer named no return waybill.
func rfd(m event.Meta, refundID, orderID, buyer, waybill string) *event.Refund {
	r := &event.Refund{Meta: m, RefundID: refundID, OrderID: orderID, BuyerID: buyer, RefundKind: "return_refund",
		Reason: "no_reason", Status: "requested", RequestedAt: base, AmountMinor: 59900}
	if waybill != "" {
		r.ReturnShipment = &event.ReturnShipment{Carrier: "YTO", TrackingNo: waybill, FilledAt: base}
	}
	return r
}

// ret is a return parcel update with only the required fields.
func ret(m event.Meta, waybill, status string) *event.Return {
	return &event.Return{Meta: m, TrackingNo: waybill, Carrier: "YTO", Status: status}
}

func msg(m event.Meta, messageID, buyer, orderID, refundID string) *event.Message {
	return &event.Message{Meta: m, MessageID: messageID, BuyerID: buyer, Channel: "chat", Text: "我没收到货",
		OrderID: orderID, RefundID: refundID}
}

func ptr[T any](v T) *T { return &v }

// inShop moves an event to another shop.
func inShop[E event.Event](shop string, ev E) E {
	switch e := any(ev).(type) {
	case *event.Order:
		e.ShopID = shop
	case *event.Refund:
		e.ShopID = shop
	case *event.Return:
		e.ShopID = shop
	case *event.Message:
		e.ShopID = shop
	}
	return ev
}

// key is the name of a shop's key (the layout documented in facts.go), for a
// shop id without braces.
func key(shop, suffix string) string { return "sg:{" + shop + "}:" + suffix }
