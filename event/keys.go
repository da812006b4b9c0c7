package event

import (
	"strings"
	"unicode/utf8"
)

// fieldNames are every key the contract defines, at any depth.
var fieldNames = func() []string {
	names := []string{"event_id", "shop_id", "occurred_at", "schema_version", "name", "phone", "province", "city",
		"district", "address", "sku_id", "product_id", "title", "quantity", "unit_price_minor", "unit_weight_g",
		"carrier", "tracking_no", "weight_g", "shipped_at", "signed_at", "signed_by", "signed_with_exception",
		"order_id", "buyer_id", "status", "created_at", "items", "amount_minor", "currency", "receiver", "shipment",
		"filled_at", "refund_id", "kind", "reason", "requested_at", "shipping_fee_claim_minor", "description",
		"return_shipment", "outcome", "items_received", "inspected_at", "note", "sender", "recipient", "inspection",
		"message_id", "channel", "text"}
	return names
}()

// foldedKey returns the first object key that is not a contract field but
// equals one under Unicode case folding, or "". Keys of lower-case ASCII
// letters, digits and underscores cannot fold onto another such key, so only
// keys with other bytes are looked at: the common case allocates nothing.
func foldedKey(data []byte) string {
	for i := 0; i < len(data); i++ {
		if data[i] != '"' {
			continue
		}
		end, ok := stringEnd(data, i)
		if !ok {
			return "" // unterminated: no key follows
		}
		start := i + 1
		i = end - 1 // the closing quote
		if k := ws(data, end); k >= len(data) || data[k] != ':' {
			continue // a value, not a key
		}
		if plainKey(data[start:i]) {
			continue
		}
		var buf [64]byte
		raw, ok := unquoteKey(buf[:0], data[start:i])
		if !ok {
			continue // broken escapes: the decoder will say so
		}
		if !utf8.Valid(raw) {
			continue
		}
		key := string(raw)
		for _, f := range fieldNames {
			if key != f && strings.EqualFold(key, f) {
				return key
			}
		}
	}
	return ""
}

// plainKey says whether a key is lower-case ASCII letters, digits and
// underscores only.
func plainKey(k []byte) bool {
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
