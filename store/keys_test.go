package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
	"github.com/sellerguard/sellerguard/store"
)

// everything writes every kind of key of one shop: entities, indexes, an
// assessment and the review queue, through moves, stale events and relinks.
func everything(t *testing.T, e *env, shop string) {
	t.Helper()
	var evs []event.Event
	for _, ev := range append(world(), touchWorld()...) {
		evs = append(evs, inShop(shop, ev))
	}
	evs = append(evs,
		inShop(shop, rfd(meta("r-R1-9", 90), "R1", "O1", "B1", wb2)),                // moves waybill
		inShop(shop, ord(meta("o-O2-9", 90), "O2", "B2", addrB)),                    // moves address
		inShop(shop, rfd(meta("r-R1-0", 1), "R1", "O1", "B1", wb1)),                 // stale
		inShop(shop, linked(meta("t-W1-9", 90), wb1, "R2")),                         // relinks
		inShop(shop, msg(meta("m-M9-1", 90), "M9", "B9", "", "")),                   // a buyer with no refund
		inShop(shop, ret(meta("t-W9-1", 90), wb9, "created")),                       // a parcel nobody named
		inShop(shop, linked(meta("t-W3-1", 90), "zt 7500 000003", "R404")),          // linked to an unknown refund
		inShop(shop, ord(meta("o-O8-1", 90), "O8", "B8", event.Address{Name: "x"})), // no address or phone key
	)
	e.applyEach(t, evs...)
	var items []detector.Pending
	for i, d := range []rules.Decision{rules.Review, rules.Block, rules.Approve} {
		id := []string{"R1", "R2", "R3"}[i]
		items = append(items, pending(t, shop, id, e.version(t, shop, id), d, 50+i))
	}
	e.save(t, items...)
	e.markPublished(t, items[:1]...)
}

// Every key the store writes expires, no later than the retention.
func TestEveryKeyExpires(t *testing.T) {
	t.Parallel()
	const retention = 90 * time.Minute
	e := start(t, func(c *store.Config) { c.Retention = retention })
	everything(t, e, shop1)
	everything(t, e, "shop-2")
	keys := e.keys(t)
	if len(keys) < 30 {
		t.Fatalf("only %d keys: %v", len(keys), keys)
	}
	for _, k := range keys {
		ttl, err := e.rc.TTL(e.ctx, k).Result()
		if err != nil {
			t.Fatalf("ttl %s: %v", k, err)
		}
		if ttl <= 0 || ttl > retention {
			t.Errorf("%s: TTL %v, want in (0, %v]", k, ttl, retention)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	ok := store.DefaultConfig()
	for _, tc := range []struct {
		name    string
		mod     func(*store.Config)
		wantErr string // "" when valid
	}{
		{"default", func(*store.Config) {}, ""},
		{"url", func(c *store.Config) { c.Addrs = []string{"redis://127.0.0.1:6379/2"} }, ""},
		{"cluster", func(c *store.Config) { c.Addrs = []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"} }, ""},
		{"minimums", func(c *store.Config) { c.Retention, c.Timeout, c.FanoutCap = time.Hour, time.Nanosecond, 10 }, ""},
		{"no address", func(c *store.Config) { c.Addrs = nil }, "address"},
		{"empty address", func(c *store.Config) { c.Addrs = []string{""} }, "address"},
		{"retention under an hour", func(c *store.Config) { c.Retention = time.Hour - time.Second }, "retention"},
		{"no retention", func(c *store.Config) { c.Retention = 0 }, "retention"},
		{"no timeout", func(c *store.Config) { c.Timeout = 0 }, "timeout"},
		{"negative timeout", func(c *store.Config) { c.Timeout = -time.Second }, "timeout"},
		{"fanout cap 9", func(c *store.Config) { c.FanoutCap = 9 }, "fanout cap"},
		{"fanout cap 0", func(c *store.Config) { c.FanoutCap = 0 }, "fanout cap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			c.Addrs = slices.Clone(ok.Addrs)
			tc.mod(&c)
			err := c.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("valid config rejected: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Errorf("invalid config accepted: %+v", c)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("error %q does not name %q", err, tc.wantErr)
			}
			if tc.wantErr != "" {
				if _, err := store.New(context.Background(), c, prometheus.NewRegistry()); err == nil {
					t.Errorf("New accepted an invalid config")
				}
			}
		})
	}
	t.Run("bad url", func(t *testing.T) {
		c := ok
		c.Addrs = []string{"redis://127.0.0.1:6379/not-a-db"}
		if _, err := store.New(context.Background(), c, prometheus.NewRegistry()); err == nil {
			t.Errorf("New accepted %s", c.Addrs[0])
		}
	})
}

// crc16 is CRC-16/XMODEM, the hash of Redis Cluster key slots.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// keySlot is CLUSTER KEYSLOT per the Redis Cluster specification: the hash
// tag is what lies between the first '{' and the first '}' after it, when
// that is not empty.
func keySlot(k string) int {
	if s := strings.IndexByte(k, '{'); s >= 0 {
		if n := strings.IndexByte(k[s+1:], '}'); n > 0 {
			k = k[s+1 : s+1+n]
		}
	}
	return int(crc16(k) % 16384)
}

func TestKeySlotMatchesSpec(t *testing.T) {
	t.Parallel()
	if got := crc16("123456789"); got != 0x31C3 {
		t.Fatalf("crc16(123456789) = %#x, want 0x31c3", got)
	}
	for k, want := range map[string]int{
		"foo": 12182, "bar": 5061, "somekey": 11058,
		"{foo}.x": 12182, "x{foo}y{bar}": 12182, "foo{}{bar}": keySlot("foo{}{bar}"), "foo{{bar}}": keySlot("{bar"),
	} {
		if got := keySlot(k); got != want {
			t.Errorf("keySlot(%q) = %d, want %d", k, got, want)
		}
	}
	if keySlot("foo{}{bar}") == keySlot("bar") {
		t.Errorf("an empty tag must hash the whole key")
	}
}

// kindOf is the key kind after the shop prefix: "r", "wb", "q", ...
func kindOf(k string) string {
	i := strings.Index(k, "}:")
	if i < 0 {
		return ""
	}
	rest := k[i+2:]
	if j := strings.IndexByte(rest, ':'); j >= 0 {
		return rest[:j]
	}
	return rest
}

// Every key of one shop hashes to one cluster slot, whatever the shop id,
// so the scripts can run on Redis Cluster; only the cross-shop refund-id
// index and the list of shops with review cases live elsewhere.
func TestShopKeysShareOneSlot(t *testing.T) {
	t.Parallel()
	e := start(t)
	allKinds := []string{"a", "ad", "bm", "br", "m", "o", "or", "p", "ph", "pl", "q", "r", "wb"}
	for _, shop := range []string{shop1, "店铺-杭州", "sh{op}-1", "{", "}", "}{", "{}", "a}b{c", "x{y}z{w}"} {
		t.Run(shop, func(t *testing.T) {
			e.flush(t)
			everything(t, e, shop)
			slots := map[int][]string{}
			kinds := map[string]bool{}
			for _, k := range e.keys(t) {
				if strings.HasPrefix(k, "sg:refund-shops:") || k == "sg:review-shops" {
					continue
				}
				slots[keySlot(k)] = append(slots[keySlot(k)], k)
				kinds[kindOf(k)] = true
			}
			if len(slots) != 1 {
				t.Errorf("keys of shop %q span %d slots: %v", shop, len(slots), slots)
			}
			for _, k := range allKinds {
				if !kinds[k] {
					t.Errorf("no %s: key written for shop %q (kinds %v): the check is incomplete", k, shop, kinds)
				}
			}
			// The shop's data reads back under its own id.
			if l := e.loadShop(t, shop, "R1")["R1"]; !l.Found || l.Case.Refund.ShopID != shop {
				t.Errorf("Load R1 of %q: found %v", shop, l.Found)
			}
			if shops, err := e.st.RefundShops(e.ctx, "R1"); err != nil || !slices.Equal(shops, []string{shop}) {
				t.Errorf("RefundShops(R1) = %v (%v), want [%s]", shops, err, shop)
			}
			if q := e.queue(t, shop, 10); !slices.Equal(q, []string{"R2", "R1"}) {
				t.Errorf("queue of %q: %v", shop, q)
			}
		})
	}
}

// Two different shops never share keys (tenancy): one shop's refunds,
// assessments and queue are not visible under another shop id.
func TestShopIDsKeptApart(t *testing.T) {
	t.Parallel()
	e := start(t)
	for _, tc := range []struct{ a, b string }{
		{"shop-1", "shop-2"},
		{"shop-1", "SHOP-1"},
		{"{a", "x7b61"}, // "x" + hex("{a")
		{"a}", "x617d"},
	} {
		t.Run(tc.a+" vs "+tc.b, func(t *testing.T) {
			e.flush(t)
			e.apply(t, inShop(tc.a, rfd(meta("r-R1", 0), "R1", "O1", "B1", wb1)))
			e.save(t, pending(t, tc.a, "R1", e.version(t, tc.a, "R1"), rules.Block, 90))
			if l := e.loadShop(t, tc.b, "R1")["R1"]; l.Found {
				t.Errorf("shop %q sees shop %q's refund R1: %s", tc.b, l.Case.Refund.ShopID, mustJSON(t, l.Case.Refund))
			}
			if body, found := e.stored(t, tc.b, "R1"); found {
				t.Errorf("shop %q sees shop %q's assessment: %s", tc.b, tc.a, body)
			}
			if q := e.queue(t, tc.b, 10); len(q) != 0 {
				t.Errorf("shop %q's review queue has shop %q's refunds: %v", tc.b, tc.a, q)
			}
		})
	}
}
