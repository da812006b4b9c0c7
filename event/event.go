// Package event holds the contract's input events: their Go types, decoding and
// validation. It is pure: no I/O.
package event

import (
	"time"
)

// Kind names one of the four input streams.
type Kind string

const (
	KindOrder   Kind = "order"
	KindRefund  Kind = "refund"
	KindReturn  Kind = "return"
	KindMessage Kind = "message"
)

// Kinds lists every input kind in a fixed order.
var Kinds = []Kind{KindOrder, KindRefund, KindReturn, KindMessage}

// Meta is what every event carries.
type Meta struct {
	EventID       string    `json:"event_id"`
	ShopID        string    `json:"shop_id"`
	OccurredAt    time.Time `json:"occurred_at"`
	SchemaVersion int       `json:"schema_version,omitempty"`
}

// Event is one decoded, valid input event.
type Event interface {
	Head() Meta
	Kind() Kind
}

// Address is a person's address as typed.
type Address struct {
	Name     string `json:"name,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Province string `json:"province,omitempty"`
	City     string `json:"city,omitempty"`
	District string `json:"district,omitempty"`
	Address  string `json:"address,omitempty"`
}

// Item is one order line.
type Item struct {
	SKUID          string `json:"sku_id"`
	ProductID      string `json:"product_id"`
	Title          string `json:"title,omitempty"`
	Quantity       int64  `json:"quantity"`
	UnitPriceMinor int64  `json:"unit_price_minor,omitempty"`
	UnitWeightG    int64  `json:"unit_weight_g,omitempty"`
}

// ItemRef names a quantity of one SKU.
type ItemRef struct {
	SKUID    string `json:"sku_id"`
	Quantity int64  `json:"quantity"`
}

// Shipment is an order's outbound parcel.
type Shipment struct {
	Carrier             string    `json:"carrier,omitempty"`
	TrackingNo          string    `json:"tracking_no,omitempty"`
	WeightG             *int64    `json:"weight_g,omitempty"`
	ShippedAt           time.Time `json:"shipped_at,omitzero"`
	SignedAt            time.Time `json:"signed_at,omitzero"`
	SignedBy            string    `json:"signed_by,omitempty"`
	SignedWithException bool      `json:"signed_with_exception,omitempty"`
}

// Order is the whole current state of one order.
type Order struct {
	Meta
	OrderID     string    `json:"order_id"`
	BuyerID     string    `json:"buyer_id"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	Items       []Item    `json:"items"`
	AmountMinor int64     `json:"amount_minor"`
	Currency    string    `json:"currency,omitempty"`
	Receiver    *Address  `json:"receiver"`
	Shipment    *Shipment `json:"shipment,omitempty"`
}

// ReturnShipment is the return waybill a buyer filled in.
type ReturnShipment struct {
	Carrier    string    `json:"carrier"`
	TrackingNo string    `json:"tracking_no"`
	FilledAt   time.Time `json:"filled_at,omitzero"`
}

// Refund is the whole current state of one refund.
type Refund struct {
	Meta
	RefundID              string          `json:"refund_id"`
	OrderID               string          `json:"order_id"`
	BuyerID               string          `json:"buyer_id"`
	RefundKind            string          `json:"kind"`
	Reason                string          `json:"reason"`
	Status                string          `json:"status"`
	RequestedAt           time.Time       `json:"requested_at"`
	Items                 []ItemRef       `json:"items,omitempty"`
	AmountMinor           int64           `json:"amount_minor"`
	ShippingFeeClaimMinor int64           `json:"shipping_fee_claim_minor,omitempty"`
	Description           string          `json:"description,omitempty"`
	ReturnShipment        *ReturnShipment `json:"return_shipment,omitempty"`
}

// Inspection is the warehouse's result on opening a return parcel.
type Inspection struct {
	Outcome       string    `json:"outcome"`
	ItemsReceived []ItemRef `json:"items_received,omitempty"`
	InspectedAt   time.Time `json:"inspected_at,omitzero"`
	Note          string    `json:"note,omitempty"`
}

// Return is one logistics or warehouse update of a return parcel.
type Return struct {
	Meta
	TrackingNo string      `json:"tracking_no"`
	Carrier    string      `json:"carrier"`
	Status     string      `json:"status"`
	RefundID   string      `json:"refund_id,omitempty"`
	Sender     *Address    `json:"sender,omitempty"`
	Recipient  *Address    `json:"recipient,omitempty"`
	WeightG    *int64      `json:"weight_g,omitempty"`
	Inspection *Inspection `json:"inspection,omitempty"`
}

// Message is a buyer's chat message, complaint, review or a staff phone note.
type Message struct {
	Meta
	MessageID string `json:"message_id"`
	BuyerID   string `json:"buyer_id"`
	Channel   string `json:"channel"`
	Text      string `json:"text"`
	OrderID   string `json:"order_id,omitempty"`
	RefundID  string `json:"refund_id,omitempty"`
}

func (m Meta) Head() Meta { return m }

func (*Order) Kind() Kind   { return KindOrder }
func (*Refund) Kind() Kind  { return KindRefund }
func (*Return) Kind() Kind  { return KindReturn }
func (*Message) Kind() Kind { return KindMessage }

// Raw is one Kafka message: as read from an input topic, or to be written to
// the decision or dead-letter topic (then Partition and Offset are unused).
type Raw struct {
	Topic     string
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   map[string]string
	Time      time.Time // broker timestamp when read
}

// ExpectedWeightG is the catalogue weight of the given items of an order, and
// whether it is known (every line has a weight).
func ExpectedWeightG(o *Order, items []ItemRef) (int64, bool) {
	if o == nil {
		return 0, false
	}
	if len(items) == 0 {
		var sum int64
		for _, it := range o.Items {
			if it.UnitWeightG <= 0 {
				return 0, false
			}
			sum += it.UnitWeightG * it.Quantity
		}
		return sum, sum > 0
	}
	var sum int64
	for _, ref := range items {
		w := int64(0)
		for _, it := range o.Items {
			if it.SKUID == ref.SKUID {
				w = it.UnitWeightG
				break
			}
		}
		if w <= 0 {
			return 0, false
		}
		sum += w * ref.Quantity
	}
	return sum, sum > 0
}
