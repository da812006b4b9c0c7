package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"

	"github.com/sellerguard/sellerguard/event"
)

// Allowance marks an account, phone, address or return sender safe for named
// rules until an expiry: a reviewer's answer to a rule that keeps flagging
// one honest customer.
type Allowance struct {
	Kind   string    `json:"kind"` // account, phone, address, sender
	Key    string    `json:"key"`  // the identifier as IdentityKeys computes it
	Rules  []string  `json:"rules"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Suppressed is a finding an allowance held back, shown on the case.
type Suppressed struct {
	Rule   string    `json:"rule"`
	Kind   string    `json:"kind"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
}

// AccountKey, PhoneKey, AddressKeyOf and SenderKeys are the identifier keys
// allowances are stored under; the same spellings give the same key.
func AccountKey(buyer string) string { return buyer }

// PhoneKey is "" for numbers that cannot identify anyone (masked, empty).
func PhoneKey(phone string) string { return NormalizePhone(phone).Key() }

// SenderKeys are a return sender's phone, and name with address.
func SenderKeys(a event.Address) []string {
	var keys []string
	if pk := PhoneKey(a.Phone); pk != "" {
		keys = append(keys, "sp:"+pk)
	}
	if name, ak := NormalizeName(a.Name), AddressKey(a); name != "" && ak != "" {
		sum := sha256.Sum256([]byte(name + "\x00" + ak))
		keys = append(keys, "sn:"+hex.EncodeToString(sum[:12]))
	}
	return keys
}

// identities are the case's identifier keys by kind.
func identities(c Case) map[string][]string {
	ids := map[string][]string{"account": {AccountKey(c.Refund.BuyerID)}}
	if o := c.Order; o != nil && o.Receiver != nil {
		if k := PhoneKey(o.Receiver.Phone); k != "" {
			ids["phone"] = append(ids["phone"], k)
		}
		if k := AddressKey(*o.Receiver); k != "" {
			ids["address"] = append(ids["address"], k)
		}
	}
	if p := c.Parcel; p != nil && p.Sender != nil {
		ids["sender"] = SenderKeys(*p.Sender)
	}
	return ids
}

// allowed removes findings an active allowance covers and reports them.
func allowed(c Case, found []finding) ([]finding, []Suppressed) {
	if len(c.Allowances) == 0 {
		return found, nil
	}
	ids := identities(c)
	var kept []finding
	var held []Suppressed
	for _, f := range found {
		var by *Allowance
		for i, a := range c.Allowances {
			if !a.Until.After(c.Now) || !slices.Contains(a.Rules, f.reason.Rule) || !slices.Contains(ids[a.Kind], a.Key) {
				continue
			}
			by = &c.Allowances[i]
			break
		}
		if by == nil {
			kept = append(kept, f)
			continue
		}
		held = append(held, Suppressed{Rule: f.reason.Rule, Kind: by.Kind, Until: by.Until, Reason: by.Reason, By: by.By})
	}
	return kept, held
}
