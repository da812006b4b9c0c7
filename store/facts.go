package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

// Key layout, after the shop prefix sg:{shop}:
//
//	o:<order>   r:<refund>   p:<waybill>   m:<message>   entity hashes
//	a:<refund>  assessment hash            q             review queue (zset)
//	wb:<waybill>  refunds naming a return waybill    {refund: 1}
//	pl:<refund>   waybills the warehouse linked to a refund (set)
//	ad:<addr>   ph:<phone>   orders to one address / phone  {order: buyer}
//	br:<buyer>  or:<order>   refunds of a buyer / an order   {refund: 1}
//	bm:<buyer>  messages of a buyer                          {message: 1}

// fact is one event as the apply script takes it.
type fact struct {
	key     string
	fields  []string // name, value pairs; each last-writer-wins on its own
	meta    []string // name, value pairs written with the newest state
	members []string // suffix, field, value, fan quadruples; nil: the entity keeps none
	owner   string   // the field whose newest value the memberships follow
	fans    []string // mode, arg pairs followed after applying
}

// version orders two events of one entity: newer occurred_at wins, ties go to
// the larger event id. Fixed width, so Lua compares it as a string.
func version(m event.Meta) string {
	return m.OccurredAt.UTC().Format("2006-01-02T15:04:05.000000000Z") + "|" + m.EventID
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: encode %T: %v", v, err)) // only plain structs are encoded here
	}
	return string(b)
}

func toFact(ev event.Event) fact {
	switch e := ev.(type) {
	case *event.Order:
		ak := rules.AddressKey(*e.Receiver)
		phone := rules.NormalizePhone(e.Receiver.Phone)
		pk, mk := phone.Key(), ""
		if phone.Kind == rules.PhoneMasked {
			// Only numbers the platform masked link by their mask: two full
			// numbers sharing first and last digits are strangers.
			mk = phone.MaskKey()
		}
		f := fact{key: "o:" + e.OrderID, fields: []string{"body", mustJSON(e)},
			meta: []string{"buyer", e.BuyerID, "ak", ak, "pk", pk, "mk", mk}, members: []string{}, owner: "body",
			fans: []string{"set", "or:" + e.OrderID, "waybills", "or:" + e.OrderID}}
		if ak != "" {
			f.members = append(f.members, "ad:"+ak, e.OrderID, e.BuyerID, "buyers")
		}
		if pk != "" {
			f.members = append(f.members, "ph:"+pk, e.OrderID, e.BuyerID, "buyers")
		}
		if mk != "" { // a weak link, fanned out like the others so order does not matter
			f.members = append(f.members, "mp:"+mk, e.OrderID, e.BuyerID, "buyers")
		}
		return f
	case *event.Refund:
		trk := ""
		if e.ReturnShipment != nil {
			trk = rules.NormalizeTracking(e.ReturnShipment.TrackingNo)
		}
		summary := mustJSON(rules.RefundSummary{RefundID: e.RefundID, OrderID: e.OrderID, Kind: e.RefundKind,
			Reason: e.Reason, Status: e.Status, RequestedAt: e.RequestedAt})
		f := fact{key: "r:" + e.RefundID, fields: []string{"body", mustJSON(e)}, owner: "body",
			meta:    []string{"order", e.OrderID, "trk", trk, "buyer", e.BuyerID},
			members: []string{"br:" + e.BuyerID, e.RefundID, summary, "", "or:" + e.OrderID, e.RefundID, "1", ""},
			fans:    []string{"id", e.RefundID, "links", e.OrderID}}
		if trk != "" {
			f.members = append(f.members, "wb:"+trk, e.RefundID, "1", "set")
			f.fans = append(f.fans, "sender-of", trk)
		}
		return f
	case *event.Return:
		trk := parcelID(e.TrackingNo)
		f := fact{key: "p:" + trk, fields: []string{"status", mustJSON(e.Status), "carrier", mustJSON(e.Carrier),
			"tracking_no", mustJSON(e.TrackingNo)}, fans: []string{"set", "wb:" + trk, "field", "refund_id"}}
		add := func(name string, v any, present bool) {
			if present {
				f.fields = append(f.fields, name, mustJSON(v))
			}
		}
		add("weight_g", e.WeightG, e.WeightG != nil)
		add("sender", e.Sender, e.Sender != nil)
		add("recipient", e.Recipient, e.Recipient != nil)
		add("inspection", e.Inspection, e.Inspection != nil)
		add("refund_id", e.RefundID, e.RefundID != "")
		if e.Sender != nil {
			// Sender indexes follow the newest sender the courier reported.
			f.owner, f.members = "sender", []string{}
			for _, k := range rules.SenderKeys(*e.Sender) {
				f.members = append(f.members, k, trk, "1", "parcels")
			}
		}
		if e.RefundID != "" {
			f.fans = append(f.fans, "id", e.RefundID)
		}
		return f
	case *event.Message:
		f := fact{key: "m:" + e.MessageID, fields: []string{"body", mustJSON(e)}, meta: []string{"buyer", e.BuyerID}, owner: "body",
			members: []string{"bm:" + e.BuyerID, e.MessageID, "1", ""}}
		switch {
		case e.RefundID != "":
			f.fans = []string{"id", e.RefundID}
		case e.OrderID != "":
			f.fans = []string{"set", "or:" + e.OrderID}
		default:
			f.fans = []string{"set", "br:" + e.BuyerID}
		}
		return f
	}
	panic(fmt.Sprintf("store: unknown event %T", ev))
}

// parcelID names a return parcel by its normalized waybill number. A number
// too broken to normalize ("N/A", "0000000000") still names its own parcel as
// typed, so two such parcels never merge; no refund can name it by waybill,
// only the warehouse's link finds it.
func parcelID(trackingNo string) string {
	if n := rules.NormalizeTracking(trackingNo); n != "" {
		return n
	}
	return "raw:" + strings.TrimSpace(trackingNo)
}

func (f fact) args(pfx string, ttl time.Duration, ver string, limit int) []any {
	a := make([]any, 0, 9+len(f.fields)+len(f.meta)+len(f.members)+len(f.fans))
	a = append(a, pfx, ver, int64(ttl.Seconds()), limit, rules.MaxLinkAccounts)
	a = append(a, len(f.fields)/2)
	for _, s := range f.fields {
		a = append(a, s)
	}
	a = append(a, len(f.meta)/2)
	for _, s := range f.meta {
		a = append(a, s)
	}
	if f.members == nil {
		a = append(a, -1, "")
	} else {
		a = append(a, len(f.members)/4, f.owner)
		for _, s := range f.members {
			a = append(a, s)
		}
	}
	a = append(a, len(f.fans)/2)
	for _, s := range f.fans {
		a = append(a, s)
	}
	return a
}

// Apply stores the events' facts in one round trip and returns the refunds
// each touches. An event applied before, or older than what is stored,
// changes nothing but still reports its refunds, so a batch redelivered after
// a crash re-assesses them. Each shop's clock advances to its newest event
// time, and the refunds whose waiting deadline it passed are reported with
// that shop's last event.
func (r *Redis) Apply(ctx context.Context, events []event.Event) ([]detector.Applied, error) {
	ttl := r.cfg.Retention
	cmds := make([]*redis.Cmd, len(events))
	newest := map[string]time.Time{} // per shop
	last := map[string]int{}         // per shop, index of its last event
	for i, ev := range events {
		h := ev.Head()
		if h.OccurredAt.After(newest[h.ShopID]) {
			newest[h.ShopID] = h.OccurredAt
		}
		last[h.ShopID] = i
	}
	clocks := map[string]*redis.Cmd{}
	_, err := r.pipeline(ctx, "apply", func(p redis.Pipeliner) {
		for i, ev := range events {
			h := ev.Head()
			pfx := prefix(h.ShopID)
			f := toFact(ev)
			switch e := ev.(type) {
			case *event.Refund:
				p.SAdd(ctx, refundShopsKey(e.RefundID), h.ShopID)
				p.Expire(ctx, refundShopsKey(e.RefundID), ttl)
				if s := e.ReturnShipment; s != nil && rules.NormalizeTracking(s.TrackingNo) != "" {
					filled := s.FilledAt
					if filled.IsZero() {
						filled = e.RequestedAt
					}
					p.ZAdd(ctx, pfx+"due", redis.Z{Score: unix(filled.Add(r.cfg.DueAfter)), Member: e.RefundID})
					p.Expire(ctx, pfx+"due", ttl)
				}
			case *event.Return:
				if e.RefundID != "" {
					k := pfx + "pl:" + e.RefundID
					p.SAdd(ctx, k, parcelID(e.TrackingNo))
					p.Expire(ctx, k, ttl)
				}
			}
			cmds[i] = r.apply.EvalSha(ctx, p, []string{pfx + f.key}, f.args(pfx, ttl, version(h), r.cfg.FanoutCap)...)
		}
		for shop, t := range newest {
			pfx := prefix(shop)
			clocks[shop] = r.clock.EvalSha(ctx, p, []string{pfx + "clock", pfx + "due"}, pfx, unix(t), r.cfg.FanoutCap, int64(ttl.Seconds()))
		}
	})
	if err != nil {
		return nil, err
	}
	out := make([]detector.Applied, len(events))
	for i, c := range cmds {
		res, err := c.Slice()
		if err != nil || len(res) < 2 {
			return nil, fmt.Errorf("store: apply %s: unexpected reply %v: %w", events[i].Head().EventID, res, err)
		}
		shop := events[i].Head().ShopID
		out[i].Capped = res[1] == int64(1)
		for _, id := range res[2:] {
			out[i].Touched = append(out[i].Touched, detector.Ref{Shop: shop, RefundID: id.(string)})
		}
	}
	for shop, c := range clocks {
		due, err := c.StringSlice()
		if err != nil {
			return nil, fmt.Errorf("store: clock of %s: %w", shop, err)
		}
		i := last[shop]
		for _, id := range due {
			out[i].Touched = append(out[i].Touched, detector.Ref{Shop: shop, RefundID: id})
		}
	}
	return out, nil
}

// touchSrc moves a stored refund's input version on, as the apply script's
// touch does; a refund not stored is left alone, so no key is made without
// its TTL. KEYS[1] refund hash.
const touchSrc = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HINCRBY', KEYS[1], 'iv', 1)
end
return 0
`

// Touch moves each stored refund's input version on (detector.Facts), so an
// assessment computed from what was read before cannot be saved.
func (r *Redis) Touch(ctx context.Context, refs []detector.Ref) error {
	if len(refs) == 0 {
		return nil
	}
	_, err := r.pipeline(ctx, "touch", func(p redis.Pipeliner) {
		for _, ref := range refs {
			p.Eval(ctx, touchSrc, []string{prefix(ref.Shop) + "r:" + ref.RefundID})
		}
	})
	return err
}

// unix is a time as the scripts compare it: seconds, with the fraction.
func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// Load reads the case of every refund in one round trip.
func (r *Redis) Load(ctx context.Context, refs []detector.Ref) ([]detector.Loaded, error) {
	cmds := make([]*redis.Cmd, len(refs))
	_, err := r.pipeline(ctx, "load", func(p redis.Pipeliner) {
		for i, ref := range refs {
			pfx := prefix(ref.Shop)
			cmds[i] = r.load.EvalSha(ctx, p, []string{pfx + "r:" + ref.RefundID}, pfx, ref.RefundID, r.cfg.FanoutCap, rules.MaxLinkAccounts)
		}
	})
	if err != nil {
		return nil, err
	}
	out := make([]detector.Loaded, len(refs))
	for i, c := range cmds {
		out[i].Ref = refs[i]
		res, err := c.Slice()
		if errors.Is(err, redis.Nil) { // a refund never seen
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: load %s: %w", refs[i].RefundID, err)
		}
		if out[i].Case, out[i].Version, err = decodeCase(res); err != nil {
			return nil, fmt.Errorf("store: load %s: %w", refs[i].RefundID, err)
		}
		out[i].Found = true
	}
	return out, nil
}

func decodeCase(res []any) (rules.Case, string, error) {
	var c rules.Case
	if len(res) != 14 {
		return c, "", fmt.Errorf("load reply has %d parts", len(res))
	}
	c.Refund = &event.Refund{}
	if err := json.Unmarshal([]byte(res[0].(string)), c.Refund); err != nil {
		return c, "", fmt.Errorf("refund: %w", err)
	}
	ver := res[1].(string)
	var err error
	if c.Order, err = decodeOrder(res[2]); err != nil {
		return c, "", err
	}
	if fields, ok := res[3].([]any); ok {
		if c.Parcel, err = decodeParcel(fields); err != nil {
			return c, "", err
		}
	}
	wb, _ := res[4].([]any)
	for j := 0; j+1 < len(wb); j += 2 {
		rel := rules.Related{Refund: &event.Refund{}}
		if err := json.Unmarshal([]byte(wb[j].(string)), rel.Refund); err != nil {
			return c, "", fmt.Errorf("waybill refund: %w", err)
		}
		if rel.Order, err = decodeOrder(wb[j+1]); err != nil {
			return c, "", err
		}
		c.WaybillRefunds = append(c.WaybillRefunds, rel)
	}
	c.AddressLinks = decodeLinks(res[5])
	c.PhoneLinks = decodeLinks(res[6])
	c.MaskedPhoneLinks = decodeLinks(res[13])
	if c.BuyerRefunds, c.History, err = decodeHistory(res[7]); err != nil {
		return c, "", err
	}
	for _, b := range texts(res[8]) {
		o, err := decodeOrder(b)
		if err != nil {
			return c, "", err
		}
		c.LinkedOrders = append(c.LinkedOrders, o)
	}
	slices.SortFunc(c.LinkedOrders, func(a, b *event.Order) int { return cmp.Compare(a.OrderID, b.OrderID) })
	for _, b := range texts(res[9]) {
		m := &event.Message{}
		if err := json.Unmarshal([]byte(b), m); err != nil {
			return c, "", fmt.Errorf("message: %w", err)
		}
		c.Messages = append(c.Messages, m)
	}
	slices.SortFunc(c.Messages, func(a, b *event.Message) int { // newest first
		return cmp.Or(b.OccurredAt.Compare(a.OccurredAt), cmp.Compare(a.MessageID, b.MessageID))
	})
	senders := texts(res[10])
	for j := 0; j+3 < len(senders); j += 4 {
		c.SenderLinks = append(c.SenderLinks, rules.SenderLink{TrackingNo: senders[j], RefundID: senders[j+1],
			BuyerID: senders[j+2], Match: senders[j+3]})
	}
	if clock, _ := res[11].(string); clock != "" {
		sec, err := strconv.ParseFloat(clock, 64)
		if err != nil {
			return c, "", fmt.Errorf("clock %q: %w", clock, err)
		}
		c.Now = time.Unix(0, int64(sec*1e9)).UTC()
	}
	for _, b := range texts(res[12]) {
		var a rules.Allowance
		if err := json.Unmarshal([]byte(b), &a); err != nil {
			return c, "", fmt.Errorf("allowance: %w", err)
		}
		c.Allowances = append(c.Allowances, a)
	}
	slices.SortFunc(c.Allowances, func(a, b rules.Allowance) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Key, b.Key))
	})
	return c, ver, nil
}

// decodeHistory reads {buyer, {refund, summary}*}* into refund ids and
// summaries per buyer, sorted by refund id.
func decodeHistory(v any) (map[string][]string, map[string][]rules.RefundSummary, error) {
	flat, _ := v.([]any)
	ids := make(map[string][]string, len(flat)/2)
	hist := make(map[string][]rules.RefundSummary, len(flat)/2)
	for j := 0; j+1 < len(flat); j += 2 {
		b := flat[j].(string)
		pairs := texts(flat[j+1])
		list := make([]rules.RefundSummary, 0, len(pairs)/2)
		for k := 0; k+1 < len(pairs); k += 2 {
			var s rules.RefundSummary
			if err := json.Unmarshal([]byte(pairs[k+1]), &s); err != nil {
				return nil, nil, fmt.Errorf("history of %s: refund %s: %w", b, pairs[k], err)
			}
			list = append(list, s)
		}
		slices.SortFunc(list, func(a, b rules.RefundSummary) int { return cmp.Compare(a.RefundID, b.RefundID) })
		hist[b] = list
		idList := make([]string, len(list))
		for k, s := range list {
			idList[k] = s.RefundID
		}
		ids[b] = idList
	}
	return ids, hist, nil
}

// texts reads a Lua array of strings.
func texts(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func decodeOrder(v any) (*event.Order, error) {
	s, ok := v.(string)
	if !ok {
		return nil, nil
	}
	o := &event.Order{}
	if err := json.Unmarshal([]byte(s), o); err != nil {
		return nil, fmt.Errorf("order: %w", err)
	}
	return o, nil
}

func decodeLinks(v any) []rules.Link {
	flat, _ := v.([]any)
	links := make([]rules.Link, 0, len(flat)/2)
	for j := 0; j+1 < len(flat); j += 2 {
		links = append(links, rules.Link{OrderID: flat[j].(string), BuyerID: flat[j+1].(string)})
	}
	slices.SortFunc(links, func(a, b rules.Link) int { return cmp.Compare(a.OrderID, b.OrderID) })
	return links
}

func decodeParcel(flat []any) (*rules.Parcel, error) {
	p := &rules.Parcel{}
	for j := 0; j+1 < len(flat); j += 2 {
		name, val := flat[j].(string), []byte(flat[j+1].(string))
		var dst any
		switch name {
		case "f:status":
			dst = &p.Status
		case "f:carrier":
			dst = &p.Carrier
		case "f:tracking_no":
			dst = &p.TrackingNo
		case "f:refund_id":
			dst = &p.RefundID
		case "f:weight_g":
			dst = &p.WeightG
		case "f:sender":
			dst = &p.Sender
		case "f:recipient":
			dst = &p.Recipient
		case "f:inspection":
			dst = &p.Inspection
		default:
			continue
		}
		if err := json.Unmarshal(val, dst); err != nil {
			return nil, fmt.Errorf("parcel %s: %w", name, err)
		}
	}
	return p, nil
}

// RefundRefs lists every stored refund, by scanning (on a cluster, every
// master). For batch tools such as the backtest, not the hot path.
func (r *Redis) RefundRefs(ctx context.Context) ([]detector.Ref, error) {
	var mu sync.Mutex
	var out []detector.Ref
	scan := func(ctx context.Context, c *redis.Client) error {
		it := c.Scan(ctx, 0, "sg:{*}:r:*", 1000).Iterator()
		for it.Next(ctx) {
			k := it.Val()
			open, end := strings.IndexByte(k, '{'), strings.Index(k, "}:r:")
			if open < 0 || end < open {
				continue
			}
			mu.Lock()
			out = append(out, detector.Ref{Shop: tagUnescaper.Replace(k[open+1 : end]), RefundID: k[end+len("}:r:"):]})
			mu.Unlock()
		}
		return it.Err()
	}
	var err error
	switch c := r.c.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, scan)
	case *redis.Client:
		err = scan(ctx, c)
	}
	if err != nil {
		return nil, fmt.Errorf("store: scan refunds: %w", err)
	}
	return out, nil
}
