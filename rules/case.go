// Package rules is SellerGuard's detection logic: a pure function from the facts
// around one refund to an assessment. No I/O: everything it needs is in a Case.
package rules

import (
	"time"

	"github.com/sellerguard/sellerguard/event"
)

// Rule codes from the contract's detection catalogue. They are stable: they
// appear in assessments, decision events, metrics and dashboards.
const (
	TrackingReused          = "tracking_reused"
	EmptyParcel             = "empty_parcel"
	InspectionFailed        = "inspection_failed"
	LowWeightReturn         = "low_weight_return"
	MultiAccountAddress     = "multi_account_address"
	ReturnSenderShared      = "return_sender_shared"
	WrongItemSKUSwap        = "wrong_item_sku_swap"
	UnacceptedCarrier       = "unaccepted_carrier"
	TrackingInvalid         = "tracking_invalid"
	ReturnMisaddressed      = "return_misaddressed"
	OrderContactAnomaly     = "order_contact_anomaly"
	OrderBurst              = "order_burst"
	RefundOnlyAbuse         = "refund_only_abuse"
	MissingItemContradicted = "missing_item_contradicted"
	ShippingFeeInflated     = "shipping_fee_inflated"
	StockoutClaimAbuse      = "stockout_claim_abuse"
	ExtortionMessage        = "extortion_message"
	KnownOffender           = "known_offender"
)

// Codes lists the implemented rule codes, so metrics can start at zero.
var Codes = []string{TrackingReused, EmptyParcel, InspectionFailed, LowWeightReturn, MultiAccountAddress,
	ReturnSenderShared, WrongItemSKUSwap, UnacceptedCarrier, TrackingInvalid, ReturnMisaddressed,
	OrderContactAnomaly, OrderBurst, RefundOnlyAbuse, MissingItemContradicted, ShippingFeeInflated,
	StockoutClaimAbuse, ExtortionMessage, KnownOffender}

// Case is everything known around one refund.
type Case struct {
	Refund *event.Refund
	Order  *event.Order // nil until the order event arrives
	Parcel *Parcel      // the return parcel, nil when none is known

	// Other refunds naming the same return waybill, with their orders.
	WaybillRefunds []Related
	// Orders of any account to the refund's order's address and phone
	// (including the refund's own order).
	AddressLinks []Link
	PhoneLinks   []Link
	// Orders whose receiver phone has the same masked form (138****5678):
	// a weak link only.
	MaskedPhoneLinks []Link
	// Refund ids of the accounts in AddressLinks and PhoneLinks.
	BuyerRefunds map[string][]string

	// History of the refund's own account and of the accounts in
	// AddressLinks and PhoneLinks, keyed by buyer id: every refund they
	// filed (within retention), newest state of each.
	History map[string][]RefundSummary
	// Orders of the accounts in AddressLinks and PhoneLinks other than the
	// refund's own order (bodies; capped).
	LinkedOrders []*event.Order
	// Other return parcels from the refund parcel's sender (same phone, or
	// same name and address), with the refunds and accounts they belong to.
	SenderLinks []SenderLink
	// The buyer's messages, newest first (capped).
	Messages []*event.Message
	// Offenses: identifiers of this case a reviewer confirmed as fraud before.
	Offenses []Offense
	// Allowances of the shop: identifiers marked safe for named rules.
	Allowances []Allowance
	// Now is the newest event time seen for the shop: the clock of rules that
	// wait for something to happen (a logistics record within 72 h). It is a
	// fact, not the wall clock, so results stay independent of arrival order.
	Now time.Time
}

// RefundSummary is what history rules need of one refund.
type RefundSummary struct {
	RefundID    string    `json:"refund_id"`
	OrderID     string    `json:"order_id"`
	Kind        string    `json:"kind"`
	Reason      string    `json:"reason"`
	Status      string    `json:"status"`
	RequestedAt time.Time `json:"requested_at"`
}

// SenderLink is another parcel sent by the same person.
type SenderLink struct {
	TrackingNo string `json:"tracking_no"`
	RefundID   string `json:"refund_id"`
	BuyerID    string `json:"buyer_id"`
	Match      string `json:"match"` // "phone" or "name_address"
}

// Offense is a confirmed earlier fraud matching one of the case's identifiers.
type Offense struct {
	Kind        string    `json:"kind"` // account, phone, address, sender
	ConfirmedAt time.Time `json:"confirmed_at"`
	SameShop    bool      `json:"same_shop"` // another shop's offense shows no details
	RefundID    string    `json:"refund_id,omitempty"`
}

// Related is another refund and its order (nil when unknown).
type Related struct {
	Refund *event.Refund
	Order  *event.Order
}

// Link is one order placed to a shared address or phone.
type Link struct {
	OrderID string `json:"order_id"`
	BuyerID string `json:"buyer_id"`
}

// Parcel is the merged state of one return parcel: each field is the newest
// one reported, because the courier feed and the warehouse each send part.
type Parcel struct {
	TrackingNo string
	Carrier    string
	Status     string
	RefundID   string // the refund the warehouse linked it to
	WeightG    *int64
	Sender     *event.Address
	Recipient  *event.Address
	Inspection *event.Inspection
}

// Decision is the outcome of an assessment.
type Decision string

const (
	Approve Decision = "approve"
	Review  Decision = "review"
	Block   Decision = "block"
)

// Assessment is the contract's assessment of one refund.
type Assessment struct {
	RefundID       string    `json:"refund_id"`
	ShopID         string    `json:"shop_id"`
	OrderID        string    `json:"order_id,omitempty"`
	BuyerID        string    `json:"buyer_id,omitempty"`
	Decision       Decision  `json:"decision"`
	Score          int       `json:"score"`
	Reasons        []Reason  `json:"reasons"`
	AssessedAt     time.Time `json:"assessed_at"`
	RulesetVersion string    `json:"ruleset_version"`
	// Action is what the refund workflow should do (refund_now …
	// hold_and_refuse); Mode and Enforced say whether the shop acts on it.
	Action   string `json:"action"`
	Mode     string `json:"mode"`
	Enforced bool   `json:"enforced"`
	// Guardrail is set when a hold was turned into a review because too many
	// refunds were held automatically this hour.
	Guardrail *Guardrail `json:"guardrail,omitempty"`
	// Suppressed lists findings an allowance held back.
	Suppressed []Suppressed `json:"suppressed,omitempty"`
}

// Guardrail says which cap a hold ran into.
type Guardrail struct {
	Scope string `json:"scope"` // a rule code, or "shop"
	Cap   int64  `json:"cap"`
	Held  int64  `json:"held"` // refunds held under that scope this hour
	Hour  string `json:"hour"`
	Text  Text   `json:"message"`
}

// Reason is one rule's finding with its evidence.
type Reason struct {
	Rule     string         `json:"rule"`
	Severity string         `json:"severity"`
	Message  Text           `json:"message"`
	Evidence map[string]any `json:"evidence"`
}

// Text is a message in both languages the staff use.
type Text struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}
