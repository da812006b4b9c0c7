package event

import (
	"encoding/json"
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
		start, plain := i+1, true
		j := start
		for ; j < len(data) && data[j] != '"'; j++ {
			c := data[j]
			if c == '\\' {
				j++ // the escaped byte cannot end the string
				plain = false
			} else if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
				plain = false
			}
		}
		i = j // past the string, key or value
		if plain {
			continue
		}
		k := j + 1
		for k < len(data) && (data[k] == ' ' || data[k] == '\t' || data[k] == '\n' || data[k] == '\r') {
			k++
		}
		if k >= len(data) || data[k] != ':' {
			continue // a value, not a key
		}
		key := string(data[start:j])
		if strings.IndexByte(key, '\\') >= 0 {
			if err := json.Unmarshal(data[start-1:j+1], &key); err != nil {
				continue // broken escapes: the decoder will say so
			}
		}
		if !utf8.ValidString(key) {
			continue
		}
		for _, f := range fieldNames {
			if key != f && strings.EqualFold(key, f) {
				return key
			}
		}
	}
	return ""
}
