package api

// Checking a refund and the pages around it:
//
//	GET /v1/search?q=…             a refund id, order id, return waybill number or buyer id → refunds
//	GET /v1/buyers/{buyer_id}      an account's orders, refunds, flags, verdicts, and the accounts linked to it
//	GET /v1/rules                  per rule: hits, confirmed fraud and legit, precision over 7 and 30 days
//
// Shop tokens search their own shop; admin tokens every known shop (or
// ?shop_id=).

import (
	"cmp"
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

// SearchHit is one refund a search found.
type SearchHit struct {
	CaseSummary
	MatchedBy []string `json:"matched_by"` // refund, order, waybill, buyer
}

// SearchResult answers one query.
type SearchResult struct {
	Query string      `json:"query"`
	Hits  []SearchHit `json:"hits"`
}

// maxSearchHits bounds one answer.
const maxSearchHits = 200

// Search finds refunds by refund id, order id, waybill or buyer id.
func (rv *Review) Search(ctx context.Context, tok Token, tokens *Tokens, shop, q string) (SearchResult, error) {
	q = strings.TrimSpace(q)
	out := SearchResult{Query: q, Hits: []SearchHit{}}
	switch {
	case q == "":
		return out, nil
	case !utf8.ValidString(q) || utf8.RuneCountInString(q) > 128:
		return out, errBadRequest("q: not valid UTF-8 or over 128 characters")
	}
	shops, err := rv.visibleShops(ctx, tok, tokens, shop)
	if err != nil {
		return out, err
	}
	if tok.AllShops() && shop == "" {
		// A refund id names its shops even when the workflow never saw them.
		more, err := rv.store.RefundShops(ctx, q)
		if err != nil {
			return out, unavailable(err)
		}
		shops = append(shops, more...)
		slices.Sort(shops)
		shops = slices.Compact(shops)
	}
	now := rv.cfg.Now()
	for _, sh := range shops {
		found, err := rv.store.SearchRefunds(ctx, sh, q)
		if err != nil {
			return out, unavailable(err)
		}
		how := map[string][]string{}
		for _, kind := range slices.Sorted(maps.Keys(found)) {
			for _, id := range found[kind] {
				how[id] = append(how[id], kind)
			}
		}
		if len(how) == 0 {
			continue
		}
		ids := slices.Sorted(maps.Keys(how))
		if len(ids) > maxSearchHits {
			ids = ids[:maxSearchHits]
		}
		rows, err := rv.store.ReviewRows(ctx, sh, ids)
		if err != nil {
			return out, unavailable(err)
		}
		for _, row := range rows {
			c, ok := rv.summarize(sh, row, now)
			if !ok {
				continue
			}
			out.Hits = append(out.Hits, SearchHit{CaseSummary: c, MatchedBy: how[row.RefundID]})
		}
	}
	// The refund itself first, then the most urgent, then the newest.
	slices.SortFunc(out.Hits, func(a, b SearchHit) int {
		ea, eb := slices.Contains(a.MatchedBy, "refund"), slices.Contains(b.MatchedBy, "refund")
		if ea != eb {
			if ea {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(rank(b.Decision), rank(a.Decision)), cmp.Compare(b.Score, a.Score),
			b.RequestedAt.Compare(a.RequestedAt), cmp.Compare(a.ShopID, b.ShopID), cmp.Compare(a.RefundID, b.RefundID))
	})
	if len(out.Hits) > maxSearchHits {
		out.Hits = out.Hits[:maxSearchHits]
	}
	return out, nil
}

func rank(decision string) int {
	switch rules.Decision(decision) {
	case rules.Block:
		return 2
	case rules.Review:
		return 1
	}
	return 0
}

// --- buyers -----------------------------------------------------------------

// BuyerRefund is one of an account's refunds with its flags and verdict.
type BuyerRefund struct {
	RefundID    string    `json:"refund_id"`
	OrderID     string    `json:"order_id"`
	Kind        string    `json:"kind,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	Status      string    `json:"status,omitempty"`
	RequestedAt time.Time `json:"requested_at,omitzero"`
	Decision    string    `json:"decision,omitempty"`
	Score       int       `json:"score"`
	Rules       []string  `json:"rules"`
	CaseStatus  string    `json:"case_status,omitempty"`
	Verdict     string    `json:"verdict,omitempty"`
	DecidedBy   string    `json:"decided_by,omitempty"`
	DecidedAt   time.Time `json:"decided_at,omitzero"`
}

// BuyerOrder is one of an account's orders.
type BuyerOrder struct {
	OrderID     string    `json:"order_id"`
	Status      string    `json:"status,omitempty"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
	AmountMinor int64     `json:"amount_minor"`
	Items       int64     `json:"items"`
	Receiver    string    `json:"receiver,omitempty"` // city and district only
}

// LinkedAccount is another account tied to this one, and how.
type LinkedAccount struct {
	BuyerID string    `json:"buyer_id"`
	Via     []LinkVia `json:"via"`
	Refunds int       `json:"refunds"` // refunds of that account known here
}

// LinkVia is one tie: a shared receiving address or phone (their order and
// ours), or a shared return sender (their parcel).
type LinkVia struct {
	Kind       string `json:"kind"` // address, phone, sender_phone, sender_name_address
	OrderID    string `json:"order_id,omitempty"`
	TheirOrder string `json:"their_order_id,omitempty"`
	RefundID   string `json:"refund_id,omitempty"`
	TrackingNo string `json:"tracking_no,omitempty"`
}

// BuyerView is an account's page.
type BuyerView struct {
	ShopID    string          `json:"shop_id"`
	BuyerID   string          `json:"buyer_id"`
	Orders    []BuyerOrder    `json:"orders"`
	Refunds   []BuyerRefund   `json:"refunds"`
	Flagged   int             `json:"flagged"` // refunds with review or block
	Fraud     int             `json:"fraud"`   // verdicts
	Legit     int             `json:"legit"`
	Linked    []LinkedAccount `json:"linked"`
	Truncated bool            `json:"truncated"` // more refunds than were read
}

// maxBuyerCases bounds the refunds whose facts a buyer page reads.
const maxBuyerCases = 30

// Buyer builds an account's page from the facts of its refunds.
func (rv *Review) Buyer(ctx context.Context, tok Token, tokens *Tokens, shop, buyerID string) (BuyerView, error) {
	buyerID = strings.TrimSpace(buyerID)
	if buyerID == "" {
		return BuyerView{}, errNotFound("buyer")
	}
	shops, err := rv.visibleShops(ctx, tok, tokens, shop)
	if err != nil {
		return BuyerView{}, err
	}
	var ids []string
	var found []string
	for _, sh := range shops {
		m, err := rv.store.SearchRefunds(ctx, sh, buyerID)
		if err != nil {
			return BuyerView{}, unavailable(err)
		}
		if len(m["buyer"]) > 0 {
			found = append(found, sh)
			ids = m["buyer"]
		}
	}
	switch len(found) {
	case 0:
		return BuyerView{}, errNotFound("buyer " + buyerID)
	case 1:
	default:
		return BuyerView{}, errConflict("ambiguous_buyer", "buyer "+buyerID+" has refunds in several shops ("+strings.Join(found, ", ")+"); add ?shop_id=")
	}
	shop = found[0]
	v := BuyerView{ShopID: shop, BuyerID: buyerID, Orders: []BuyerOrder{}, Refunds: []BuyerRefund{}, Linked: []LinkedAccount{}}
	// Newest refunds first (ids sort as issued), bounded.
	slices.Reverse(ids)
	if len(ids) > maxBuyerCases {
		ids, v.Truncated = ids[:maxBuyerCases], true
	}
	refs := make([]detector.Ref, len(ids))
	for i, id := range ids {
		refs[i] = detector.Ref{Shop: shop, RefundID: id}
	}
	loaded, err := rv.cases.Load(ctx, refs)
	if err != nil {
		return BuyerView{}, unavailable(err)
	}
	// Every refund of the account the facts know of, with its flags.
	summaries := map[string]rules.RefundSummary{}
	orders := map[string]*event.Order{}
	linked := map[string]*LinkedAccount{}
	refundsOf := map[string]map[string]bool{}
	addVia := func(buyer string, via LinkVia) {
		if buyer == "" || buyer == buyerID {
			return
		}
		la := linked[buyer]
		if la == nil {
			la = &LinkedAccount{BuyerID: buyer}
			linked[buyer] = la
		}
		if !slices.Contains(la.Via, via) {
			la.Via = append(la.Via, via)
		}
	}
	for _, l := range loaded {
		if !l.Found {
			continue
		}
		c := l.Case
		for b, list := range c.History {
			if refundsOf[b] == nil {
				refundsOf[b] = map[string]bool{}
			}
			for _, s := range list {
				refundsOf[b][s.RefundID] = true
				if b == buyerID {
					summaries[s.RefundID] = s
				}
			}
		}
		r := c.Refund
		if _, ok := summaries[r.RefundID]; !ok {
			summaries[r.RefundID] = rules.RefundSummary{RefundID: r.RefundID, OrderID: r.OrderID, Kind: r.RefundKind, Reason: r.Reason,
				Status: r.Status, RequestedAt: r.RequestedAt}
		}
		own := ""
		if c.Order != nil && c.Order.BuyerID == buyerID {
			orders[c.Order.OrderID] = c.Order
			own = c.Order.OrderID
		}
		for _, o := range c.LinkedOrders {
			if o.BuyerID == buyerID {
				orders[o.OrderID] = o
			}
		}
		for _, x := range []struct {
			links []rules.Link
			kind  string
		}{{c.AddressLinks, "address"}, {c.PhoneLinks, "phone"}} {
			for _, lk := range x.links {
				addVia(lk.BuyerID, LinkVia{Kind: x.kind, OrderID: own, TheirOrder: lk.OrderID})
			}
		}
		for _, sl := range c.SenderLinks {
			addVia(sl.BuyerID, LinkVia{Kind: "sender_" + sl.Match, RefundID: sl.RefundID, TrackingNo: sl.TrackingNo})
		}
	}
	rids := slices.Sorted(maps.Keys(summaries))
	rows, err := rv.store.ReviewRows(ctx, shop, rids)
	if err != nil {
		return BuyerView{}, unavailable(err)
	}
	now := rv.cfg.Now()
	for i, id := range rids {
		s := summaries[id]
		br := BuyerRefund{RefundID: id, OrderID: s.OrderID, Kind: s.Kind, Reason: s.Reason, Status: s.Status, RequestedAt: s.RequestedAt, Rules: []string{}}
		if c, ok := rv.summarize(shop, rows[i], now); ok {
			br.Decision, br.Score, br.Rules, br.Verdict, br.DecidedBy, br.DecidedAt = c.Decision, c.Score, c.Rules, c.Verdict, c.DecidedBy, c.DecidedAt
			if c.Status != StatusUnopened {
				br.CaseStatus = c.Status
			}
		}
		switch rules.Decision(br.Decision) {
		case rules.Review, rules.Block:
			v.Flagged++
		}
		switch br.Verdict {
		case VerdictFraud:
			v.Fraud++
		case VerdictLegit:
			v.Legit++
		}
		v.Refunds = append(v.Refunds, br)
	}
	slices.SortFunc(v.Refunds, func(a, b BuyerRefund) int {
		return cmp.Or(b.RequestedAt.Compare(a.RequestedAt), cmp.Compare(a.RefundID, b.RefundID))
	})
	for _, o := range orders {
		bo := BuyerOrder{OrderID: o.OrderID, Status: o.Status, CreatedAt: o.CreatedAt, AmountMinor: o.AmountMinor}
		for _, it := range o.Items {
			bo.Items += it.Quantity
		}
		if r := o.Receiver; r != nil {
			bo.Receiver = strings.TrimSpace(r.City + " " + r.District)
		}
		v.Orders = append(v.Orders, bo)
	}
	slices.SortFunc(v.Orders, func(a, b BuyerOrder) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.OrderID, b.OrderID))
	})
	for _, b := range slices.Sorted(maps.Keys(linked)) {
		la := linked[b]
		la.Refunds = len(refundsOf[b])
		v.Linked = append(v.Linked, *la)
	}
	return v, nil
}

// --- rules ------------------------------------------------------------------

// RuleWindow is one rule's record over a window of days.
type RuleWindow struct {
	Hits  int64 `json:"hits"` // cases entering review flagged by the rule
	Fraud int64 `json:"fraud"`
	Legit int64 `json:"legit"`
	// Precision is fraud / (fraud + legit); null without verdicts.
	Precision *float64 `json:"precision"`
}

// RuleStat is one rule's record.
type RuleStat struct {
	Rule   string     `json:"rule"`
	Name   Text       `json:"name"`
	Days7  RuleWindow `json:"days_7"`
	Days30 RuleWindow `json:"days_30"`
}

// RuleStats is the rules page.
type RuleStats struct {
	Shops []string   `json:"shops"`
	Until string     `json:"until"` // the last day counted (UTC+8)
	Rules []RuleStat `json:"rules"`
}

// RuleStats sums the verdict counters of the last 7 and 30 days (China
// time, today included) of the shops the token sees.
func (rv *Review) RuleStats(ctx context.Context, tok Token, tokens *Tokens, shop string) (RuleStats, error) {
	shops, err := rv.visibleShops(ctx, tok, tokens, shop)
	if err != nil {
		return RuleStats{}, err
	}
	now := rv.cfg.Now().In(chinaTime)
	days := make([]string, 30)
	for i := range days {
		days[i] = now.AddDate(0, 0, -i).Format(time.DateOnly)
	}
	out := RuleStats{Shops: shops, Until: days[0], Rules: []RuleStat{}}
	if out.Shops == nil {
		out.Shops = []string{}
	}
	stats := map[string]*RuleStat{}
	for _, c := range rules.Codes {
		stats[c] = &RuleStat{Rule: c, Name: RuleName(c)}
	}
	for _, sh := range shops {
		counts, err := rv.store.ReviewCounters(ctx, sh, days)
		if err != nil {
			return RuleStats{}, unavailable(err)
		}
		for i, m := range counts {
			for field, n := range m {
				rule, what, ok := strings.Cut(field, "|")
				if !ok || rule == "" {
					continue
				}
				st := stats[rule]
				if st == nil {
					st = &RuleStat{Rule: rule, Name: RuleName(rule)}
					stats[rule] = st
				}
				for _, w := range []*RuleWindow{&st.Days7, &st.Days30} {
					if w == &st.Days7 && i >= 7 {
						continue
					}
					switch what {
					case "hits":
						w.Hits += n
					case VerdictFraud:
						w.Fraud += n
					case VerdictLegit:
						w.Legit += n
					}
				}
			}
		}
	}
	for _, st := range stats {
		for _, w := range []*RuleWindow{&st.Days7, &st.Days30} {
			if d := w.Fraud + w.Legit; d > 0 {
				p := float64(w.Fraud) / float64(d)
				w.Precision = &p
			}
		}
		out.Rules = append(out.Rules, *st)
	}
	// The busiest rules first.
	slices.SortFunc(out.Rules, func(a, b RuleStat) int {
		return cmp.Or(cmp.Compare(b.Days30.Hits, a.Days30.Hits), cmp.Compare(b.Days30.Fraud+b.Days30.Legit, a.Days30.Fraud+a.Days30.Legit),
			cmp.Compare(a.Rule, b.Rule))
	})
	return out, nil
}

func (s *Server) handleSearch(rv *Review) {
	s.route("GET /v1/search", "/v1/search", s.authed(func(w http.ResponseWriter, r *http.Request, tok Token) {
		res, err := rv.Search(r.Context(), tok, s.tokens, r.URL.Query().Get("shop_id"), r.URL.Query().Get("q"))
		s.answer(w, http.StatusOK, res, err)
	}))
	s.route("GET /v1/buyers/{buyer_id}", "/v1/buyers/{buyer_id}", s.authed(func(w http.ResponseWriter, r *http.Request, tok Token) {
		v, err := rv.Buyer(r.Context(), tok, s.tokens, r.URL.Query().Get("shop_id"), r.PathValue("buyer_id"))
		s.answer(w, http.StatusOK, v, err)
	}))
	s.route("GET /v1/rules", "/v1/rules", s.authed(func(w http.ResponseWriter, r *http.Request, tok Token) {
		v, err := rv.RuleStats(r.Context(), tok, s.tokens, r.URL.Query().Get("shop_id"))
		s.answer(w, http.StatusOK, v, err)
	}))
}
