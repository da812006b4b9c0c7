// Package browsertest drives the staff web UI in a real headless Chromium
// (chromedp), and holds the small world of shops, refunds and parcels that
// the API's handler tests and the browser tests share: events run through
// the real detector and rules into a real redis-server, so every case,
// reason and evidence link is what production would show.
package browsertest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/redistest"
	"github.com/sellerguard/sellerguard/rules"
	"github.com/sellerguard/sellerguard/store"
)

// World is the fixture: two shops on a fresh redis-server.
type World struct {
	Store *store.Redis
	// Decisions records what the detector published.
	Processor *detector.Processor
	Now       time.Time
}

// Refunds of the world and what they are.
const (
	Shop1 = "shop-1"
	Shop2 = "shop-2"

	RefundFirstUse  = "R1001" // tb_alice's waybill, used again by tb_bob later: review
	RefundReused    = "R1002" // tb_bob reused tb_alice's return waybill: block
	RefundLight     = "R1003" // a parcel far lighter than the four items it returns: review
	RefundExtortion = "R1004" // the buyer threatens 12315 unless paid 500 yuan: review or block
	RefundHonest    = "R1005" // an honest return: approve
	RefundOtherShop = "R2002" // shop-2's reused waybill: block

	WaybillReused = "YT7512345678901"
	WaybillLight  = "YT8800000000003"
	OrderReused   = "T1002"
	BuyerReused   = "tb_bob"
	ExtortionText = "你们详情页写着“全网最低价”,这是违反广告法的极限词。赔我500块,不然我就去12315和工商局投诉你们。"
)

var (
	addrAlice = event.Address{Name: "张丽", Phone: "13800138000", Province: "浙江省", City: "杭州市", District: "西湖区", Address: "文三路100号3幢201室"}
	addrBob   = event.Address{Name: "李强", Phone: "13900139000", Province: "江苏省", City: "南京市", District: "鼓楼区", Address: "中山北路30号2栋502室"}
	addrCarol = event.Address{Name: "陈静", Phone: "13700137000", Province: "广东省", City: "深圳市", District: "南山区", Address: "科技园南区8栋1101"}
	addrDave  = event.Address{Name: "赵伟", Phone: "13600136000", Province: "北京市", City: "北京市", District: "朝阳区", Address: "建国路88号2号楼1201"}
	addrErin  = event.Address{Name: "孙悦", Phone: "13500135000", Province: "四川省", City: "成都市", District: "武侯区", Address: "人民南路四段12号1单元301"}
	warehouse = event.Address{Name: "售后仓", Phone: "0571-88880000", Province: "浙江省", City: "杭州市", District: "余杭区", Address: "仓前街道良睦路1号退货仓"}
)

// NewWorld starts a redis-server, runs the world's events through the
// pipeline and returns it. The events end a little before now.
func NewWorld(t testing.TB, now time.Time) *World {
	t.Helper()
	cfg := store.DefaultConfig()
	cfg.Addrs = []string{redistest.Start(t)}
	cfg.Timeout = 5 * time.Second
	ctx := context.Background()
	st, err := store.New(ctx, cfg, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	topics := map[string]event.Kind{"orders": event.KindOrder, "refunds": event.KindRefund, "returns": event.KindReturn, "messages": event.KindMessage}
	p, err := detector.New(detector.Config{Topics: topics, Rules: rules.DefaultSet(), Clock: func() time.Time { return now.Add(-time.Hour) }},
		st, st, nopPublisher{}, nopPublisher{}, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	w := &World{Store: st, Processor: p, Now: now}
	if err := p.Ingest(ctx, w.events()); err != nil {
		t.Fatalf("world: %v", err)
	}
	return w
}

type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, []event.Raw) error { return nil }

// events is the world, in one batch.
func (w *World) events() []event.Event {
	day := func(d float64) time.Time {
		return w.Now.Add(time.Duration(-d * float64(24*time.Hour))).Truncate(time.Second)
	}
	n := 0
	meta := func(shop string, at time.Time) event.Meta {
		n++
		return event.Meta{EventID: "ev-" + shop + "-" + itoa(n), ShopID: shop, OccurredAt: at, SchemaVersion: 1}
	}
	coat := []event.Item{{SKUID: "SKU-COAT-BLK-M", ProductID: "P-COAT", Title: "羊毛大衣 黑色 M", Quantity: 1, UnitPriceMinor: 59900, UnitWeightG: 1450}}
	order := func(shop, id, buyer string, recv event.Address, at time.Time, items []event.Item) *event.Order {
		var amount int64
		for _, it := range items {
			amount += it.UnitPriceMinor * it.Quantity
		}
		r := recv
		return &event.Order{Meta: meta(shop, at), OrderID: id, BuyerID: buyer, Status: "signed", CreatedAt: at, Items: items,
			AmountMinor: amount, Currency: "CNY", Receiver: &r,
			Shipment: &event.Shipment{Carrier: "YTO", TrackingNo: "YT10000" + id[1:] + "00001", ShippedAt: at.Add(6 * time.Hour), SignedAt: at.Add(48 * time.Hour), SignedBy: recv.Name}}
	}
	refund := func(shop, id, orderID, buyer string, at time.Time, amount int64, reason, waybill string, filled time.Time) *event.Refund {
		r := &event.Refund{Meta: meta(shop, filled), RefundID: id, OrderID: orderID, BuyerID: buyer, RefundKind: "return_refund",
			Reason: reason, Status: "returned", RequestedAt: at, AmountMinor: amount, Description: "买家申请退货退款"}
		if waybill != "" {
			r.ReturnShipment = &event.ReturnShipment{Carrier: "YTO", TrackingNo: waybill, FilledAt: filled}
		}
		return r
	}
	parcel := func(shop, waybill string, at time.Time, sender event.Address, weight int64, status string) *event.Return {
		s, rc := sender, warehouse
		return &event.Return{Meta: meta(shop, at), TrackingNo: waybill, Carrier: "YTO", Status: status, Sender: &s, Recipient: &rc, WeightG: &weight}
	}
	four := []event.Item{{SKUID: "SKU-BOOT-39", ProductID: "P-BOOT", Title: "雪地靴 39码", Quantity: 4, UnitPriceMinor: 29900, UnitWeightG: 1110}}
	return []event.Event{
		// tb_alice returns her coat; 3 days later tb_bob names the same waybill.
		order(Shop1, "T1001", "tb_alice", addrAlice, day(12), coat),
		refund(Shop1, RefundFirstUse, "T1001", "tb_alice", day(6), 59900, "no_reason", WaybillReused, day(5)),
		parcel(Shop1, WaybillReused, day(4.8), addrAlice, 1580, "signed"),
		// A second account ordering to tb_alice's address: linked, not a ring.
		order(Shop1, "T1006", "tb_alice_2", addrAlice, day(11), coat),
		order(Shop1, OrderReused, BuyerReused, addrBob, day(10), coat),
		refund(Shop1, RefundReused, OrderReused, BuyerReused, day(2.5), 59900, "wrong_item", WaybillReused, day(2)),
		// Four boots (4440 g) come back in a parcel of 1264 g.
		order(Shop1, "T1003", "tb_carol", addrCarol, day(9), four),
		refund(Shop1, RefundLight, "T1003", "tb_carol", day(3), 119600, "quality", WaybillLight, day(2.9)),
		parcel(Shop1, WaybillLight, day(2.5), addrCarol, 1264, "delivered"),
		// An extortion message on a refund-only request.
		order(Shop1, "T1004", "tb_dave", addrDave, day(8), coat),
		&event.Refund{Meta: meta(Shop1, day(1.5)), RefundID: RefundExtortion, OrderID: "T1004", BuyerID: "tb_dave", RefundKind: "refund_only",
			Reason: "quality", Status: "requested", RequestedAt: day(1.5), AmountMinor: 59900, Description: "质量问题"},
		&event.Message{Meta: meta(Shop1, day(1.4)), MessageID: "M9001", BuyerID: "tb_dave", Channel: "chat", Text: ExtortionText,
			OrderID: "T1004", RefundID: RefundExtortion},
		// An honest return.
		order(Shop1, "T1005", "tb_erin", addrErin, day(7), coat),
		refund(Shop1, RefundHonest, "T1005", "tb_erin", day(4), 59900, "no_reason", "YT7500000000005", day(3.9)),
		parcel(Shop1, "YT7500000000005", day(3.5), addrErin, 1590, "signed"),
		// shop-2: the same pattern, another shop.
		order(Shop2, "T2001", "tb_xu", addrAlice, day(12), coat),
		refund(Shop2, "R2001", "T2001", "tb_xu", day(6), 59900, "no_reason", "YT7599999999999", day(5)),
		parcel(Shop2, "YT7599999999999", day(4.8), addrAlice, 1580, "signed"),
		order(Shop2, "T2002", "tb_yang", addrBob, day(10), coat),
		refund(Shop2, RefundOtherShop, "T2002", "tb_yang", day(2.5), 59900, "wrong_item", "YT7599999999999", day(2)),
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
