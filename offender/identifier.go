// Package offender is the known-offender data path: the identifiers of a case
// (account, phone, address, return sender), their keyed hashes, an in-process
// bloom filter of confirmed offenders' hashes in front of Redis, and the Book
// the detector asks and the API writes through.
//
// Across shops the match uses keyed hashes only (HMAC-SHA256 with a key that
// only SellerGuard holds), so no shop stores or sees another shop's raw
// identifiers. The package is pure apart from Prometheus and the bloom
// filter: storage is behind the Store and Writer interfaces defined here.
package offender

import (
	"cmp"
	"slices"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

// Identifier kinds.
const (
	KindAccount = "account" // the buyer id as the platform gives it
	KindPhone   = "phone"   // rules.NormalizePhone(s).Key()
	KindAddress = "address" // rules.AddressKey(a)
	KindSender  = "sender"  // a return parcel's sender: phone key, or name|address key
)

// Kinds lists every identifier kind.
var Kinds = []string{KindAccount, KindPhone, KindAddress, KindSender}

// Identifier is one normalized thing a person can be recognised by. Value is
// already normalized: the same person typed two ways gives one Identifier.
type Identifier struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// AccountID is the identifier of a buyer account; false for an empty id.
// Buyer ids are taken as given: they are the platform's, not typed by people.
func AccountID(buyerID string) (Identifier, bool) {
	if buyerID == "" {
		return Identifier{}, false
	}
	return Identifier{Kind: KindAccount, Value: buyerID}, true
}

// PhoneID is the identifier of a phone number as typed; false when the number
// cannot identify anyone (masked, empty, too short or too long).
func PhoneID(s string) (Identifier, bool) {
	k := rules.NormalizePhone(s).Key()
	if k == "" {
		return Identifier{}, false
	}
	return Identifier{Kind: KindPhone, Value: k}, true
}

// AddressID is the identifier of a place; false when the address is too
// empty to name one (see rules.AddressKey). Name and phone are ignored.
func AddressID(a event.Address) (Identifier, bool) {
	k := rules.AddressKey(a)
	if k == "" {
		return Identifier{}, false
	}
	return Identifier{Kind: KindAddress, Value: k}, true
}

// SenderIDs are the identifiers of a return parcel's sender: its phone key,
// and its normalized name with its address key. Either one recognises the
// sender again, as the sender links between parcels do (same phone, or same
// name and address); a masked phone or a missing name or address gives
// none of its part.
func SenderIDs(a event.Address) []Identifier {
	var out []Identifier
	if k := rules.NormalizePhone(a.Phone).Key(); k != "" {
		out = append(out, Identifier{Kind: KindSender, Value: k})
	}
	if name, ak := rules.NormalizeName(a.Name), rules.AddressKey(a); name != "" && ak != "" {
		out = append(out, Identifier{Kind: KindSender, Value: name + "|" + ak})
	}
	return out
}

// Identifiers collects a case's identifiers: the refund's buyer (and the
// order's, should they differ), the order receiver's phone and address, and
// the return parcel's sender. Deduplicated and sorted by kind, then value.
func Identifiers(c rules.Case) []Identifier {
	var out []Identifier
	add := func(id Identifier, ok bool) {
		if ok {
			out = append(out, id)
		}
	}
	if c.Refund != nil {
		add(AccountID(c.Refund.BuyerID))
	}
	if c.Order != nil {
		add(AccountID(c.Order.BuyerID))
		if r := c.Order.Receiver; r != nil {
			add(PhoneID(r.Phone))
			add(AddressID(*r))
		}
	}
	if c.Parcel != nil && c.Parcel.Sender != nil {
		out = append(out, SenderIDs(*c.Parcel.Sender)...)
	}
	return sortIDs(out)
}

func sortIDs(ids []Identifier) []Identifier {
	slices.SortFunc(ids, compareIDs)
	return slices.Compact(ids)
}

func compareIDs(a, b Identifier) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Value, b.Value))
}

// Valid reports whether id has a known kind and a value.
func (id Identifier) Valid() bool {
	return id.Value != "" && slices.Contains(Kinds, id.Kind)
}
