package web

// "Mark safe": a reviewer marks one of a case's identifiers (the account,
// the receiver's phone or address, the return sender) safe for some of the
// case's rules until an expiry, with a reason. It is stored exactly as
// POST /v1/allowances stores it (the same rules.*Key normalization, the same
// rules.Allowance record) and the refund is assessed again at once.
//
//	POST /ui/cases/{refund_id}/allow?shop_id=   kind, rule (repeated), days, reason
//
// The identifier is taken from the case's own facts, never from the form, so
// a form can only allowlist what the case shows.

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sellerguard/sellerguard/api"
	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/rules"
)

// Allowlist stores allowances and reads the facts of a case to name its
// identifiers (*store.Redis).
type Allowlist interface {
	api.Allowlist
	api.CaseLoader
}

// Reassessor assesses refunds again at once (*detector.Processor).
type Reassessor interface {
	Reassess(ctx context.Context, refs []detector.Ref) error
}

// WithAllowlist turns on the "mark safe" form on the case page and the list
// of the shop's allowances.
func WithAllowlist(list Allowlist, reassess Reassessor) Option {
	return func(h *Handler) { h.allow, h.reas = list, reassess }
}

const (
	allowDefaultDays = 30
	allowMaxDays     = 365 // the API takes expiries up to a year ahead
	allowMaxReason   = 500
	allowListMax     = 100
)

// caseData is what the case page gets: the case and its allowances.
type caseData struct {
	*api.CaseDetail
	Allow *allowData // nil without an allowlist
}

// allowData is the case page's allowance part.
type allowData struct {
	CanAllow    bool         // the form is shown
	Identifiers []identifier // the case's, in form order
	Rules       []string     // the case's rule codes: reasons, then held-back findings
	Days        int
	List        []allowRow // the shop's allowances, this case's first
	More        int        // left off the list
}

type identifier struct {
	Kind  string
	Label string // what staff recognise: the buyer id, the phone, the address
	Keys  []string
}

type allowRow struct {
	rules.Allowance
	Applies bool // names an identifier of this case
	Expired bool
}

// caseIdentifiers are the identifiers a case has, keyed as the rules match them.
func caseIdentifiers(c rules.Case) []identifier {
	var out []identifier
	if c.Refund != nil && c.Refund.BuyerID != "" {
		out = append(out, identifier{Kind: "account", Label: c.Refund.BuyerID, Keys: []string{rules.AccountKey(c.Refund.BuyerID)}})
	}
	if o := c.Order; o != nil && o.Receiver != nil {
		if k := rules.PhoneKey(o.Receiver.Phone); k != "" {
			out = append(out, identifier{Kind: "phone", Label: o.Receiver.Phone, Keys: []string{k}})
		}
		if k := rules.AddressKey(*o.Receiver); k != "" {
			a := o.Receiver
			out = append(out, identifier{Kind: "address", Label: strings.TrimSpace(a.Province + a.City + a.District + " " + a.Address), Keys: []string{k}})
		}
	}
	if p := c.Parcel; p != nil && p.Sender != nil {
		if keys := rules.SenderKeys(*p.Sender); len(keys) > 0 {
			s := p.Sender
			out = append(out, identifier{Kind: "sender", Label: strings.TrimSpace(s.Name + " " + s.Phone), Keys: keys})
		}
	}
	return out
}

// caseRules are the rule codes a case's allowance may name.
func caseRules(d *api.CaseDetail) []string {
	var out []string
	for _, r := range d.Reasons {
		if !slices.Contains(out, r.Rule) {
			out = append(out, r.Rule)
		}
	}
	for _, s := range d.Suppressed {
		if !slices.Contains(out, s.Rule) {
			out = append(out, s.Rule)
		}
	}
	return out
}

// loadCase reads the facts of a case the caller was allowed to see.
func (h *Handler) loadCase(ctx context.Context, d *api.CaseDetail) (rules.Case, bool, error) {
	loaded, err := h.allow.Load(ctx, []detector.Ref{{Shop: d.ShopID, RefundID: d.RefundID}})
	if err != nil {
		return rules.Case{}, false, err
	}
	if len(loaded) != 1 || !loaded[0].Found {
		return rules.Case{}, false, nil
	}
	return loaded[0].Case, true, nil
}

// allowView builds the allowance part of a case page.
func (h *Handler) allowView(ctx context.Context, tok api.Token, d *api.CaseDetail) (*allowData, error) {
	if h.allow == nil {
		return nil, nil
	}
	v := &allowData{Days: allowDefaultDays, Rules: caseRules(d)}
	var ids []identifier
	c, found, err := h.loadCase(ctx, d)
	if err != nil {
		return nil, err
	}
	if found {
		ids = caseIdentifiers(c)
	}
	if api.CanAct(tok) && len(ids) > 0 && len(v.Rules) > 0 {
		v.CanAllow, v.Identifiers = true, ids
	}
	all, err := h.allow.Allowances(ctx, d.ShopID)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	for _, a := range all {
		row := allowRow{Allowance: a, Expired: !a.Until.After(now)}
		for _, id := range ids {
			if id.Kind == a.Kind && slices.Contains(id.Keys, a.Key) {
				row.Applies = true
			}
		}
		v.List = append(v.List, row)
	}
	// This case's first, then the newest.
	slices.SortStableFunc(v.List, func(a, b allowRow) int {
		if a.Applies != b.Applies {
			if a.Applies {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.At.UnixNano(), a.At.UnixNano())
	})
	if len(v.List) > allowListMax {
		v.More, v.List = len(v.List)-allowListMax, v.List[:allowListMax]
	}
	return v, nil
}

// markSafe stores an allowance for one of the case's identifiers and
// assesses the refund again.
func (h *Handler) markSafe(w http.ResponseWriter, r *http.Request, tok api.Token) {
	id, shop := r.PathValue("refund_id"), r.URL.Query().Get("shop_id")
	if shop == "" {
		shop = r.PostFormValue("shop_id")
	}
	l := lang(r)
	p := h.newPage(r, &tok, tr(l, "case.title")+" "+id, nil)
	bad := func(key string, args ...any) {
		h.fail(w, r, p, &api.Error{Status: http.StatusBadRequest, Code: "bad_request", Message: fmt.Sprintf(tr(l, key), args...)})
	}
	if !api.CanAct(tok) {
		h.fail(w, r, p, &api.Error{Status: http.StatusForbidden, Code: "forbidden", Message: tr(l, "allow.err.viewer")})
		return
	}
	if h.allow == nil {
		h.fail(w, r, p, &api.Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such step"})
		return
	}
	ctx := r.Context()
	// The workflow's own check: another shop's refund is not found.
	d, err := h.rv.Case(ctx, tok, shop, id)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	c, found, err := h.loadCase(ctx, &d)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	var ident *identifier
	if found {
		for _, x := range caseIdentifiers(c) {
			if x.Kind == r.PostFormValue("kind") {
				ident = &x
				break
			}
		}
	}
	if ident == nil {
		bad("allow.err.kind")
		return
	}
	picked := slices.Clone(r.PostForm["rule"]) // parsed by PostFormValue
	codes := caseRules(&d)
	if len(picked) == 0 {
		bad("allow.err.rules")
		return
	}
	for _, code := range picked {
		if !slices.Contains(codes, code) {
			bad("allow.err.rule", code)
			return
		}
	}
	days := allowDefaultDays
	if s := strings.TrimSpace(r.PostFormValue("days")); s != "" {
		if days, err = strconv.Atoi(s); err != nil || days < 1 || days > allowMaxDays {
			bad("allow.err.days", allowMaxDays)
			return
		}
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" || utf8.RuneCountInString(reason) > allowMaxReason {
		bad("allow.err.reason", allowMaxReason)
		return
	}
	now := time.Now()
	until := now.Add(time.Duration(days) * 24 * time.Hour)
	slices.Sort(picked)
	picked = slices.Compact(picked)
	for _, k := range ident.Keys {
		a := rules.Allowance{Kind: ident.Kind, Key: k, Rules: picked, Until: until, Reason: reason, By: api.Actor(tok), At: now}
		if err := h.allow.Allow(ctx, d.ShopID, a); err != nil {
			h.fail(w, r, p, err)
			return
		}
	}
	h.log.Info("allowance recorded", "shop", d.ShopID, "refund", d.RefundID, "kind", ident.Kind, "rules", picked, "until", until,
		"by", api.Actor(tok), "via", "ui")
	if h.reas != nil {
		if err := h.reas.Reassess(ctx, []detector.Ref{{Shop: d.ShopID, RefundID: d.RefundID}}); err != nil {
			h.fail(w, r, p, err)
			return
		}
	}
	to := caseURL(d.ShopID, d.RefundID)
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusOK)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
