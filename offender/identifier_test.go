package offender_test

import (
	"slices"
	"testing"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/offender"
	"github.com/sellerguard/sellerguard/rules"
)

var (
	addrA = event.Address{Name: "张丽", Phone: "138 0013 8000", Province: "浙江省", City: "杭州市", District: "西湖区", Address: "文三路100号3幢201室"}
	// addrA typed differently: full-width digits, +86, dashes, no province
	// suffixes, 栋 for 幢, no 室.
	addrA2 = event.Address{Name: "张 丽", Phone: "+86 138-0013-8000", Province: "浙江", City: "杭州", District: "西湖区", Address: "文三路１００号 3栋 201"}
	addrB  = event.Address{Name: "李四", Phone: "13900139000", Province: "浙江省", City: "杭州市", District: "余杭区", Address: "良睦路1号5幢302室"}
)

func caseOf(buyer string, recv event.Address, sender *event.Address) rules.Case {
	c := rules.Case{
		Refund: &event.Refund{RefundID: "R1", OrderID: "T1", BuyerID: buyer},
		Order:  &event.Order{OrderID: "T1", BuyerID: buyer, Receiver: &recv},
	}
	if sender != nil {
		c.Parcel = &rules.Parcel{TrackingNo: "YT1", Sender: sender}
	}
	return c
}

func TestIdentifiersFromCase(t *testing.T) {
	got := offender.Identifiers(caseOf("tb_alice", addrA, &addrB))
	want := []offender.Identifier{
		{Kind: "account", Value: "tb_alice"},
		{Kind: "address", Value: rules.AddressKey(addrA)},
		{Kind: "phone", Value: "m:13800138000"},
		{Kind: "sender", Value: "m:13900139000"},
		{Kind: "sender", Value: "李四|" + rules.AddressKey(addrB)},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Identifiers =\n%v\nwant\n%v", got, want)
	}
}

// Spelling variants of one phone and one address give one identifier each.
func TestIdentifiersSpellingVariants(t *testing.T) {
	a := offender.Identifiers(caseOf("tb_alice", addrA, &addrA))
	b := offender.Identifiers(caseOf("tb_alice", addrA2, &addrA2))
	if !slices.Equal(a, b) {
		t.Errorf("variants differ:\n%v\n%v", a, b)
	}
	if len(a) != 5 { // account, address, phone, sender phone, sender name|address
		t.Errorf("Identifiers = %v, want 5", a)
	}
	for _, p := range []string{"13800138000", "+86 138 0013 8000", "0086-138-0013-8000", "１３８００１３８０００"} {
		if id, ok := offender.PhoneID(p); !ok || id.Value != "m:13800138000" {
			t.Errorf("PhoneID(%q) = %v, %v", p, id, ok)
		}
	}
}

func TestIdentifiersDeduplicatedAndSkipped(t *testing.T) {
	masked := event.Address{Name: "", Phone: "138****8000", City: "杭州", Address: "x"} // no district: no address key
	c := caseOf("tb_bob", masked, &event.Address{Phone: "138****8000"})
	c.Order.BuyerID = "tb_bob" // same buyer twice: one account
	got := offender.Identifiers(c)
	if want := []offender.Identifier{{Kind: "account", Value: "tb_bob"}}; !slices.Equal(got, want) {
		t.Errorf("Identifiers = %v, want %v (masked phone, unkeyable address and nameless sender skipped)", got, want)
	}
	if got := offender.Identifiers(rules.Case{}); len(got) != 0 {
		t.Errorf("empty case: %v", got)
	}
	// The order's buyer is taken too when it differs (data repaired later).
	c = caseOf("tb_bob", masked, nil)
	c.Order.BuyerID = "tb_carol"
	if got := offender.Identifiers(c); len(got) != 2 {
		t.Errorf("two buyers: %v", got)
	}
}

func TestIdentifierHelpers(t *testing.T) {
	if _, ok := offender.AccountID(""); ok {
		t.Error("AccountID(\"\") ok")
	}
	if _, ok := offender.PhoneID("138****5678"); ok {
		t.Error("masked phone ok")
	}
	if _, ok := offender.AddressID(event.Address{Address: "杭州"}); ok {
		t.Error("unkeyable address ok")
	}
	if got := offender.SenderIDs(event.Address{Name: "张丽", Phone: "138****8000"}); len(got) != 0 {
		t.Errorf("SenderIDs without a phone key or an address key = %v", got)
	}
	if !(offender.Identifier{Kind: "phone", Value: "m:1"}).Valid() || (offender.Identifier{Kind: "email", Value: "x"}).Valid() ||
		(offender.Identifier{Kind: "phone"}).Valid() {
		t.Error("Valid")
	}
}
