package api

// Allowlists and snoozes: a reviewer marks an account, phone, address or
// return sender safe for named rules until an expiry, with a reason. It is
// audited (who, when, why), shown on the refunds it covers, and counted.
//
//	POST /v1/allowances
//	{"shop_id": "shop-1", "refund_id": "R1001", "kind": "phone", "value": "+86 139 0000 1111",
//	 "rules": ["multi_account_address"], "until": "2026-12-31T00:00:00+08:00", "reason": "family of four"}
//	201 {the stored allowance(s)}
//
//	GET /v1/allowances?shop_id=shop-1   200 {"allowances": [...]}
//
// kind is account (value: the buyer id), phone (value), address (address:
// an address object), or sender (value: a phone, or address: the sender block).
// refund_id, when given, is assessed again at once.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

// Allowlist stores allowances.
type Allowlist interface {
	Allow(ctx context.Context, shop string, a rules.Allowance) error
	Allowances(ctx context.Context, shop string) ([]rules.Allowance, error)
}

// Reassess assesses one refund again at once.
type Reassess func(ctx context.Context, shop, refundID string) error

var ruleCode = regexp.MustCompile(`^[a-z][a-z0-9_]{2,63}$`)

// HandleAllowances serves /v1/allowances.
func (s *Server) HandleAllowances(list Allowlist, reassess Reassess) {
	s.route("POST /v1/allowances", "/v1/allowances", s.authed(func(w http.ResponseWriter, r *http.Request, tok Token) {
		s.postAllowance(w, r, tok, list, reassess)
	}))
	s.route("GET /v1/allowances", "/v1/allowances", s.authed(func(w http.ResponseWriter, r *http.Request, tok Token) {
		shop := tok.Shop
		if tok.AllShops() {
			if shop = r.URL.Query().Get("shop_id"); shop == "" {
				writeError(w, http.StatusBadRequest, "bad_request", "shop_id: required with an admin token")
				return
			}
		}
		all, err := list.Allowances(r.Context(), shop)
		if err != nil {
			s.unavailable(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"allowances": all})
	}))
}

type allowanceRequest struct {
	ShopID   string         `json:"shop_id"`
	RefundID string         `json:"refund_id"`
	Kind     string         `json:"kind"`
	Value    string         `json:"value"`
	Address  *event.Address `json:"address"`
	Rules    []string       `json:"rules"`
	Until    time.Time      `json:"until"`
	Reason   string         `json:"reason"`
}

func (s *Server) postAllowance(w http.ResponseWriter, r *http.Request, tok Token, list Allowlist, reassess Reassess) {
	if tok.Role == RoleViewer {
		writeError(w, http.StatusForbidden, "forbidden", "a viewer token cannot change allowances")
		return
	}
	var req allowanceRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "body: "+err.Error())
		return
	}
	shop := tok.Shop
	if tok.AllShops() {
		shop = req.ShopID
	} else if req.ShopID != "" && req.ShopID != tok.Shop {
		writeError(w, http.StatusForbidden, "forbidden", "shop_id: not this token's shop")
		return
	}
	keys, err := allowanceKeys(req)
	now := time.Now()
	switch {
	case shop == "":
		err = fmt.Errorf("shop_id: required with an admin token")
	case err != nil:
	case len(req.Rules) == 0:
		err = fmt.Errorf("rules: name at least one rule code")
	case !req.Until.After(now) || req.Until.After(now.AddDate(1, 0, 0)):
		err = fmt.Errorf("until: must be in the future and within a year")
	case req.Reason == "":
		err = fmt.Errorf("reason: required")
	}
	for i, c := range req.Rules {
		if err == nil && !ruleCode.MatchString(c) {
			err = fmt.Errorf("rules[%d]: %q is not a rule code", i, c)
		}
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	var out []rules.Allowance
	for _, k := range keys {
		a := rules.Allowance{Kind: req.Kind, Key: k, Rules: req.Rules, Until: req.Until, Reason: req.Reason, By: tok.Name, At: now}
		if err := list.Allow(r.Context(), shop, a); err != nil {
			s.unavailable(w, err)
			return
		}
		out = append(out, a)
	}
	s.log.Info("allowance recorded", "shop", shop, "kind", req.Kind, "rules", req.Rules, "until", req.Until, "by", tok.Name)
	if req.RefundID != "" && reassess != nil {
		if err := reassess(r.Context(), shop, req.RefundID); err != nil {
			s.unavailable(w, err)
			return
		}
	}
	writeJSON(w, http.StatusCreated, map[string]any{"shop_id": shop, "allowances": out})
}

// allowanceKeys normalizes the identifier as the rules match it.
func allowanceKeys(req allowanceRequest) ([]string, error) {
	var keys []string
	switch req.Kind {
	case "account":
		if req.Value != "" {
			keys = []string{rules.AccountKey(req.Value)}
		}
	case "phone":
		if k := rules.PhoneKey(req.Value); k != "" {
			keys = []string{k}
		}
	case "address":
		if req.Address != nil {
			if k := rules.AddressKey(*req.Address); k != "" {
				keys = []string{k}
			}
		}
	case "sender":
		if req.Address != nil {
			keys = rules.SenderKeys(*req.Address)
		} else if k := rules.PhoneKey(req.Value); k != "" {
			keys = []string{"sp:" + k}
		}
	default:
		return nil, fmt.Errorf("kind: %q is not account, phone, address or sender", req.Kind)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("value: cannot identify a %s (masked, empty or too short)", req.Kind)
	}
	return keys, nil
}
