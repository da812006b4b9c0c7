package api

// POST /v1/offenders: a reviewer records that a case's account, phone,
// address or return sender was confirmed as fraud. What is stored is keyed
// hashes (offender.Hasher), shared across shops for known_offender; the raw
// values are normalized, hashed and dropped, and never logged.
//
//	POST /v1/offenders
//	{"shop_id": "shop-1", "refund_id": "R1001", "identifiers": [
//	  {"kind": "account", "value": "tb_alice"},
//	  {"kind": "phone",   "value": "+86 139-0000-1111"},
//	  {"kind": "address", "address": {"province": "浙江省", "city": "杭州市", "district": "西湖区", "address": "文三路100号3幢201室"}},
//	  {"kind": "sender",  "value": "13900001111"},
//	  {"kind": "sender",  "address": {"name": "张丽", "phone": "…", "city": "杭州市", "district": "西湖区", "address": "…"}}
//	]}
//
//	201 {"shop_id": "shop-1", "refund_id": "R1001", "confirmed_at": "…",
//	     "identifiers": [{"kind": "phone", "hash": "…"}, …]}
//
// A sender is given by its phone ("value") or by the parcel's sender block
// ("address", as in a return event), which yields its phone and its name with
// its address. Admin tokens confirm for any shop (shop_id required); reviewer
// tokens for their own shop only (shop_id optional); viewer tokens not at
// all (403 forbidden). Bad input is 400 bad_request naming the field.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/offender"
)

// OffenderBook records confirmed frauds (offender.Book implements it).
type OffenderBook interface {
	// Hash is the keyed hash an identifier is stored under.
	Hash(id offender.Identifier) string
	// Confirm stores the identifiers of a shop's refund as confirmed fraud.
	Confirm(ctx context.Context, shop, refundID string, ids []offender.Identifier, at time.Time) error
	// Withdraw withdraws the confirmations a shop's refund made (its fraud
	// case was reopened), up to upTo or, when zero, the time the reopen
	// recorded.
	Withdraw(ctx context.Context, shop, refundID string, upTo time.Time) (offender.Withdrawal, error)
}

// Limits of one confirmation request.
const (
	maxOffenderBody        = 64 << 10
	maxOffenderIdentifiers = 50
	maxOffenderIDLen       = 256 // refund ids, buyer ids, phone numbers, address fields (characters)
)

// HandleOffenders serves POST /v1/offenders, writing through book.
func (s *Server) HandleOffenders(book OffenderBook) {
	s.route("POST /v1/offenders", "/v1/offenders", s.authed(func(w http.ResponseWriter, r *http.Request, tok Token) {
		s.postOffenders(w, r, tok, book)
	}))
}

type offenderRequest struct {
	ShopID      string              `json:"shop_id"`
	RefundID    string              `json:"refund_id"`
	Identifiers []identifierRequest `json:"identifiers"`
}

type identifierRequest struct {
	Kind    string         `json:"kind"`
	Value   *string        `json:"value,omitempty"`
	Address *event.Address `json:"address,omitempty"`
}

type offenderResponse struct {
	ShopID      string             `json:"shop_id"`
	RefundID    string             `json:"refund_id"`
	ConfirmedAt time.Time          `json:"confirmed_at"`
	Identifiers []storedIdentifier `json:"identifiers"`
}

type storedIdentifier struct {
	Kind string `json:"kind"`
	Hash string `json:"hash"`
}

func (s *Server) postOffenders(w http.ResponseWriter, r *http.Request, tok Token, book OffenderBook) {
	if tok.Role != RoleAdmin && tok.Role != RoleReviewer {
		writeError(w, http.StatusForbidden, "forbidden", "confirming offenders needs a reviewer or admin token")
		return
	}
	var req offenderRequest
	if err := decodeStrict(w, r, maxOffenderBody, &req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	shop := req.ShopID
	switch {
	case tok.AllShops() && shop == "":
		writeError(w, http.StatusBadRequest, "bad_request", "shop_id: required with an admin token")
		return
	case !tok.AllShops() && shop == "":
		shop = tok.Shop
	case !tok.AllShops() && shop != tok.Shop:
		writeError(w, http.StatusForbidden, "forbidden", "this token cannot confirm offenders of another shop")
		return
	}
	ids, err := validateOffenderRequest(shop, req)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	at := time.Now().UTC().Truncate(time.Millisecond)
	if err := book.Confirm(r.Context(), shop, req.RefundID, ids, at); err != nil {
		s.log.Error("confirm offenders failed", "err", err, "shop", shop, "refund", req.RefundID)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the offender store is not reachable")
		return
	}
	// Audit: who confirmed what, without the raw identifiers.
	s.log.Info("offenders confirmed", "by", tok.Name, "role", tok.Role, "shop", shop, "refund", req.RefundID, "identifiers", len(ids))
	resp := offenderResponse{ShopID: shop, RefundID: req.RefundID, ConfirmedAt: at, Identifiers: make([]storedIdentifier, len(ids))}
	for i, id := range ids {
		resp.Identifiers[i] = storedIdentifier{Kind: id.Kind, Hash: book.Hash(id)}
	}
	writeJSON(w, http.StatusCreated, resp)
}

// decodeStrict reads exactly one JSON object with no unknown fields.
func decodeStrict(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		_, err = dec.Token()
		if err == nil {
			return errors.New("body: data after the JSON object")
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
	var tooBig *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooBig):
		return fmt.Errorf("body: larger than %d bytes", limit)
	case errors.As(err, &typeErr):
		return fmt.Errorf("%s: must be %s, not %s", typeErr.Field, jsonType(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("body: not valid JSON: %v", err)
	case errors.Is(err, io.EOF):
		return errors.New("body: a JSON object is required")
	}
	// Unknown fields: `json: unknown field "x"`.
	return fmt.Errorf("body: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func jsonType(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct", "ptr":
		return "an object"
	}
	return goKind
}

// validateOffenderRequest checks the request and normalizes its identifiers
// as offender.Identifiers does for a case; duplicates are dropped.
func validateOffenderRequest(shop string, req offenderRequest) ([]offender.Identifier, error) {
	if err := checkString("shop_id", shop, 64); err != nil {
		return nil, err
	}
	if err := checkString("refund_id", req.RefundID, maxOffenderIDLen); err != nil {
		return nil, err
	}
	switch n := len(req.Identifiers); {
	case n == 0:
		return nil, errors.New("identifiers: at least one is required")
	case n > maxOffenderIdentifiers:
		return nil, fmt.Errorf("identifiers: %d is more than %d", n, maxOffenderIdentifiers)
	}
	var out []offender.Identifier
	seen := map[offender.Identifier]bool{}
	for i, in := range req.Identifiers {
		ids, err := normalizeIdentifier(fmt.Sprintf("identifiers[%d]", i), in)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out, nil
}

func normalizeIdentifier(field string, in identifierRequest) ([]offender.Identifier, error) {
	needValue := func() (string, error) {
		if in.Address != nil {
			return "", fmt.Errorf("%s.address: not used with kind %q (give value)", field, in.Kind)
		}
		if in.Value == nil {
			return "", fmt.Errorf("%s.value: required for kind %q", field, in.Kind)
		}
		return *in.Value, checkString(field+".value", *in.Value, maxOffenderIDLen)
	}
	needAddress := func() (event.Address, error) {
		if in.Value != nil {
			return event.Address{}, fmt.Errorf("%s.value: not used with kind %q (give address)", field, in.Kind)
		}
		if in.Address == nil {
			return event.Address{}, fmt.Errorf("%s.address: required for kind %q", field, in.Kind)
		}
		a := *in.Address
		for name, v := range map[string]string{"name": a.Name, "phone": a.Phone, "province": a.Province,
			"city": a.City, "district": a.District, "address": a.Address} {
			if utf8.RuneCountInString(v) > maxOffenderIDLen || !utf8.ValidString(v) {
				return event.Address{}, fmt.Errorf("%s.address.%s: not valid UTF-8 or over %d characters", field, name, maxOffenderIDLen)
			}
		}
		return a, nil
	}
	badPhone := func(f, v string) error {
		return fmt.Errorf("%s: %q is not a phone number that identifies anyone (masked, too short or too long)", f, v)
	}
	switch in.Kind {
	case offender.KindAccount:
		v, err := needValue()
		if err != nil {
			return nil, err
		}
		id, _ := offender.AccountID(v)
		return []offender.Identifier{id}, nil
	case offender.KindPhone:
		v, err := needValue()
		if err != nil {
			return nil, err
		}
		id, ok := offender.PhoneID(v)
		if !ok {
			return nil, badPhone(field+".value", v)
		}
		return []offender.Identifier{id}, nil
	case offender.KindAddress:
		a, err := needAddress()
		if err != nil {
			return nil, err
		}
		id, ok := offender.AddressID(a)
		if !ok {
			return nil, fmt.Errorf("%s.address: too incomplete to name one place (a city or district and a street are needed)", field)
		}
		return []offender.Identifier{id}, nil
	case offender.KindSender:
		switch {
		case in.Value != nil && in.Address != nil:
			return nil, fmt.Errorf("%s: give value (the sender's phone) or address (the sender block), not both", field)
		case in.Value != nil:
			v, err := needValue()
			if err != nil {
				return nil, err
			}
			id, ok := offender.PhoneID(v)
			if !ok {
				return nil, badPhone(field+".value", v)
			}
			return []offender.Identifier{{Kind: offender.KindSender, Value: id.Value}}, nil
		case in.Address != nil:
			a, err := needAddress()
			if err != nil {
				return nil, err
			}
			ids := offender.SenderIDs(a)
			if len(ids) == 0 {
				return nil, fmt.Errorf("%s.address: identifies no sender (needs a usable phone, or a name with a complete address)", field)
			}
			return ids, nil
		}
		return nil, fmt.Errorf("%s.value: required for kind \"sender\" (the sender's phone), or give address (the sender block)", field)
	case "":
		return nil, fmt.Errorf("%s.kind: required (account, phone, address or sender)", field)
	}
	return nil, fmt.Errorf("%s.kind: %q is not account, phone, address or sender", field, in.Kind)
}

func checkString(field, v string, maxLen int) error {
	switch {
	case strings.TrimSpace(v) == "":
		return fmt.Errorf("%s: required", field)
	case !utf8.ValidString(v):
		return fmt.Errorf("%s: not valid UTF-8", field)
	case utf8.RuneCountInString(v) > maxLen:
		return fmt.Errorf("%s: over %d characters", field, maxLen)
	}
	return nil
}
