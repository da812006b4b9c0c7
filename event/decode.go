package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxBytes bounds one message; larger ones are rejected before decoding.
const MaxBytes = 1 << 20

// Reasons an event is invalid. They label metrics, so the set is closed.
const (
	ReasonTooLarge    = "too_large"
	ReasonBadJSON     = "bad_json"
	ReasonBadUTF8     = "bad_utf8"
	ReasonMissing     = "missing_field"
	ReasonWrongType   = "wrong_type"
	ReasonBadEnum     = "bad_enum"
	ReasonBadTime     = "bad_time"
	ReasonNegative    = "negative_number"
	ReasonTooLong     = "too_long"
	ReasonUnknownKind = "unknown_topic"
	ReasonAmbiguous   = "ambiguous_field"
)

// Reasons lists every reason, so metrics can be initialised at zero.
var Reasons = []string{ReasonTooLarge, ReasonBadJSON, ReasonBadUTF8, ReasonMissing, ReasonWrongType,
	ReasonBadEnum, ReasonBadTime, ReasonNegative, ReasonTooLong, ReasonUnknownKind, ReasonAmbiguous}

const (
	absent     = math.MinInt64
	absentInt  = math.MinInt
	absentText = "\x00absent"
)

// Invalid says why an event was rejected.
type Invalid struct {
	Reason string // one of the Reason constants
	Field  string
	Detail string
}

func (e *Invalid) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", e.Reason, e.Detail)
	}
	return fmt.Sprintf("%s: %s: %s", e.Reason, e.Field, e.Detail)
}

// Decode parses and validates one event of the given kind.
func Decode(kind Kind, data []byte) (Event, error) { return decode(kind, data, boundArrays) }

// decode is Decode with the step that cuts arrays short (boundArrays) given,
// so tests can compare it with a decoder that does not.
func decode(kind Kind, data []byte, arrays func(Kind, []byte) []byte) (Event, error) {
	if len(data) > MaxBytes {
		return nil, &Invalid{Reason: ReasonTooLarge, Detail: fmt.Sprintf("%d bytes > %d", len(data), MaxBytes)}
	}
	if !utf8.Valid(data) {
		return nil, &Invalid{Reason: ReasonBadUTF8, Detail: "message is not valid UTF-8"}
	}
	// Required fields where the zero value is valid start at a sentinel, so a
	// missing key is told apart without decoding twice.
	var ev Event
	switch kind {
	case KindOrder:
		ev = &Order{Meta: Meta{SchemaVersion: absentInt}, AmountMinor: absent}
	case KindRefund:
		ev = &Refund{Meta: Meta{SchemaVersion: absentInt}, AmountMinor: absent}
	case KindReturn:
		ev = &Return{Meta: Meta{SchemaVersion: absentInt}}
	case KindMessage:
		ev = &Message{Meta: Meta{SchemaVersion: absentInt}, Text: absentText}
	default:
		return nil, &Invalid{Reason: ReasonUnknownKind, Detail: string(kind)}
	}
	if err := unmarshal(kind, data, ev, arrays); err != nil {
		return nil, err
	}
	v := validator{}
	switch e := ev.(type) {
	case *Order:
		v.order(e)
	case *Refund:
		v.refund(e)
	case *Return:
		v.ret(e)
	case *Message:
		v.message(e)
	}
	if v.err != nil {
		return nil, v.err
	}
	return ev, nil
}

func unmarshal(kind Kind, data []byte, into any, arrays func(Kind, []byte) []byte) error {
	trimmed := bytes.Trim(data, " \t\r\n") // JSON's whitespace, no other
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return &Invalid{Reason: ReasonBadJSON, Detail: "not a JSON object"}
	}
	// encoding/json matches keys case-insensitively: "SHOP_ID" would
	// silently replace shop_id. Such keys are rejected, not guessed at.
	if key := foldedKey(trimmed); key != "" {
		return &Invalid{Reason: ReasonAmbiguous, Field: key, Detail: "differs from a contract field only in letter case"}
	}
	// Arrays cut to the element that decides the outcome (arrays.go), so
	// that memory stays proportional to the message.
	if err := json.Unmarshal(arrays(kind, trimmed), into); err != nil {
		var te *json.UnmarshalTypeError
		var pe *time.ParseError
		switch {
		case errors.As(err, &te):
			field := strings.TrimPrefix(te.Field, "Meta.")
			return &Invalid{Reason: ReasonWrongType, Field: field, Detail: "want " + te.Type.String() + ", got JSON " + te.Value}
		case errors.As(err, &pe):
			return &Invalid{Reason: ReasonBadTime, Detail: pe.Error()}
		default:
			return &Invalid{Reason: ReasonBadJSON, Detail: err.Error()}
		}
	}
	return nil
}

// validator records the first problem found.
type validator struct{ err *Invalid }

func (v *validator) fail(reason, field, detail string) {
	if v.err == nil {
		v.err = &Invalid{Reason: reason, Field: field, Detail: detail}
	}
}

func (v *validator) str(field, s string, minLen, maxLen int) {
	n := utf8.RuneCountInString(s)
	switch {
	case n < minLen:
		v.fail(ReasonMissing, field, "required")
	case maxLen > 0 && n > maxLen:
		v.fail(ReasonTooLong, field, fmt.Sprintf("%d characters > %d", n, maxLen))
	}
}

func (v *validator) enum(field, s string, allowed ...string) {
	if s == "" {
		v.fail(ReasonMissing, field, "required")
		return
	}
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	v.fail(ReasonBadEnum, field, fmt.Sprintf("%q is not one of %v", s, allowed))
}

func (v *validator) nonNeg(field string, n int64) {
	if n < 0 {
		v.fail(ReasonNegative, field, fmt.Sprintf("%d < 0", n))
	}
}

// amount is a required non-negative integer; absent it keeps its sentinel.
func (v *validator) amount(field string, n int64) {
	if n == absent {
		v.fail(ReasonMissing, field, "required")
		return
	}
	v.nonNeg(field, n)
}

// quantity is required and at least 1; 0 is what a missing one decodes to.
func (v *validator) quantity(field string, q int64) {
	switch {
	case q < 0:
		v.fail(ReasonNegative, field, fmt.Sprintf("%d < 1", q))
	case q == 0:
		v.fail(ReasonMissing, field, "required, at least 1")
	}
}

func (v *validator) required(field string, present bool) {
	if !present {
		v.fail(ReasonMissing, field, "required")
	}
}

func (v *validator) time(field string, t time.Time) {
	if t.IsZero() {
		v.fail(ReasonMissing, field, "required")
		return
	}
	v.optTime(field, t)
}

// optTime rejects what the parser let through but cannot be written back
// (an offset of ±24:00, a year past 9999), which would fail every later step.
func (v *validator) optTime(field string, t time.Time) {
	if _, err := t.MarshalText(); err != nil {
		v.fail(ReasonBadTime, field, err.Error())
	}
}

func (v *validator) meta(m *Meta) {
	v.str("event_id", m.EventID, 1, 128)
	v.str("shop_id", m.ShopID, 1, 64)
	v.time("occurred_at", m.OccurredAt)
	switch {
	case m.SchemaVersion == absentInt:
		m.SchemaVersion = 1 // the contract's default
	case m.SchemaVersion < 1:
		v.fail(ReasonNegative, "schema_version", "must be ≥ 1")
	}
}

// Array elements are checked without their names (field[i].sku_id), which
// are built only for the element that fails: an array can be long, and each
// name costs an allocation.

func (v *validator) itemRefs(field string, refs []ItemRef) {
	for i := range refs {
		if v.err != nil {
			return
		}
		if probe := (validator{}); probe.itemRef("", &refs[i]) != nil {
			v.itemRef(fmt.Sprintf("%s[%d]", field, i), &refs[i])
		}
	}
}

func (v *validator) itemRef(f string, r *ItemRef) *Invalid {
	v.str(f+".sku_id", r.SKUID, 1, 0)
	v.quantity(f+".quantity", r.Quantity)
	return v.err
}

func (v *validator) items(items []Item) {
	for i := range items {
		if v.err != nil {
			return
		}
		if probe := (validator{}); probe.item("", &items[i]) != nil {
			v.item(fmt.Sprintf("items[%d]", i), &items[i])
		}
	}
}

func (v *validator) item(f string, it *Item) *Invalid {
	v.str(f+".sku_id", it.SKUID, 1, 0)
	v.str(f+".product_id", it.ProductID, 1, 0)
	v.quantity(f+".quantity", it.Quantity)
	v.nonNeg(f+".unit_price_minor", it.UnitPriceMinor)
	v.nonNeg(f+".unit_weight_g", it.UnitWeightG)
	return v.err
}

func (v *validator) order(o *Order) {
	v.meta(&o.Meta)
	v.str("order_id", o.OrderID, 1, 0)
	v.str("buyer_id", o.BuyerID, 1, 0)
	v.enum("status", o.Status, "created", "paid", "shipped", "signed", "completed", "closed")
	v.time("created_at", o.CreatedAt)
	if len(o.Items) == 0 {
		v.fail(ReasonMissing, "items", "at least one item is required")
	}
	v.items(o.Items)
	v.amount("amount_minor", o.AmountMinor)
	v.str("currency", o.Currency, 0, 8)
	v.required("receiver", o.Receiver != nil)
	if s := o.Shipment; s != nil {
		v.str("shipment.carrier", s.Carrier, 0, 32)
		v.str("shipment.tracking_no", s.TrackingNo, 0, 64)
		if s.WeightG != nil {
			v.nonNeg("shipment.weight_g", *s.WeightG)
		}
		v.optTime("shipment.shipped_at", s.ShippedAt)
		v.optTime("shipment.signed_at", s.SignedAt)
		if s.SignedBy != "" {
			v.enum("shipment.signed_by", s.SignedBy, "self", "proxy", "locker", "station", "unknown")
		}
	}
}

func (v *validator) refund(r *Refund) {
	v.meta(&r.Meta)
	v.str("refund_id", r.RefundID, 1, 0)
	v.str("order_id", r.OrderID, 1, 0)
	v.str("buyer_id", r.BuyerID, 1, 0)
	v.enum("kind", r.RefundKind, "refund_only", "return_refund", "exchange")
	v.enum("reason", r.Reason, "not_received", "missing_item", "wrong_item", "damaged", "quality",
		"not_as_described", "no_reason", "out_of_stock", "invoice", "other")
	v.enum("status", r.Status, "requested", "agreed", "awaiting_return", "returned", "received",
		"refunded", "rejected", "cancelled", "closed")
	v.time("requested_at", r.RequestedAt)
	v.itemRefs("items", r.Items)
	v.amount("amount_minor", r.AmountMinor)
	v.nonNeg("shipping_fee_claim_minor", r.ShippingFeeClaimMinor)
	if s := r.ReturnShipment; s != nil {
		v.str("return_shipment.carrier", s.Carrier, 1, 32)
		v.str("return_shipment.tracking_no", s.TrackingNo, 1, 64)
		v.optTime("return_shipment.filled_at", s.FilledAt)
	}
}

func (v *validator) ret(r *Return) {
	v.meta(&r.Meta)
	v.str("tracking_no", r.TrackingNo, 1, 64)
	v.str("carrier", r.Carrier, 1, 32)
	v.enum("status", r.Status, "created", "picked_up", "in_transit", "delivered", "signed", "rejected", "lost")
	if r.WeightG != nil {
		v.nonNeg("weight_g", *r.WeightG)
	}
	if in := r.Inspection; in != nil {
		v.enum("inspection.outcome", in.Outcome, "ok", "empty", "missing_items", "swapped", "damaged")
		v.itemRefs("inspection.items_received", in.ItemsReceived)
		v.optTime("inspection.inspected_at", in.InspectedAt)
	}
}

func (v *validator) message(m *Message) {
	v.meta(&m.Meta)
	v.str("message_id", m.MessageID, 1, 0)
	v.str("buyer_id", m.BuyerID, 1, 0)
	v.enum("channel", m.Channel, "chat", "complaint", "review", "phone_note")
	v.required("text", m.Text != absentText)
	v.str("text", m.Text, 0, 10000)
}
