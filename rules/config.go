package rules

import (
	"errors"
	"fmt"
	"time"

	"github.com/sellerguard/sellerguard/event"
)

// Config holds every threshold and weight. Zero values are not defaults: start
// from Defaults() and override.
type Config struct {
	Version     string `yaml:"version"`      // stamped into every assessment as ruleset_version
	ReviewScore int    `yaml:"review_score"` // score at or above which a refund goes to review
	BlockScore  int    `yaml:"block_score"`  // score at or above which a refund is blocked

	// Mode says whether decisions are acted on: off, shadow or enforce.
	Mode       string       `yaml:"mode"`
	Actions    ActionPolicy `yaml:"actions"`
	Guardrails Guardrails   `yaml:"guardrails"`

	// The shop's own setup (set per shop in the config file).
	Warehouses       []event.Address `yaml:"warehouses"`        // where returns must be addressed
	AcceptedCarriers []string        `yaml:"accepted_carriers"` // empty: every carrier is accepted

	TrackingReused      TrackingReusedConfig      `yaml:"tracking_reused"`
	EmptyParcel         EmptyParcelConfig         `yaml:"empty_parcel"`
	InspectionFailed    RuleConfig                `yaml:"inspection_failed"`
	LowWeightReturn     LowWeightConfig           `yaml:"low_weight_return"`
	MultiAccountAddress MultiAccountAddressConfig `yaml:"multi_account_address"`
	ReturnSenderShared  ReturnSenderSharedConfig  `yaml:"return_sender_shared"`
	WrongItemSKUSwap    WrongItemSKUSwapConfig    `yaml:"wrong_item_sku_swap"`
	UnacceptedCarrier   RuleConfig                `yaml:"unaccepted_carrier"`
	TrackingInvalid     TrackingInvalidConfig     `yaml:"tracking_invalid"`
	ReturnMisaddressed  RuleConfig                `yaml:"return_misaddressed"`
	OrderContactAnomaly OrderContactAnomalyConfig `yaml:"order_contact_anomaly"`
	OrderBurst          OrderBurstConfig          `yaml:"order_burst"`
	RefundOnlyAbuse     RefundOnlyAbuseConfig     `yaml:"refund_only_abuse"`
	MissingItem         MissingItemConfig         `yaml:"missing_item_contradicted"`
	ShippingFeeInflated ShippingFeeConfig         `yaml:"shipping_fee_inflated"`
	StockoutClaimAbuse  StockoutClaimConfig       `yaml:"stockout_claim_abuse"`
	ExtortionMessage    ExtortionConfig           `yaml:"extortion_message"`
	KnownOffender       RuleConfig                `yaml:"known_offender"`
}

// RuleConfig is what every rule has.
type RuleConfig struct {
	Enabled bool `yaml:"enabled"`
	// Weight is the rule's contribution to the score, 0–100.
	Weight int `yaml:"weight"`
	// Hard evidence blocks on its own, whatever the score.
	Hard bool `yaml:"hard"`
}

type TrackingReusedConfig struct {
	RuleConfig `yaml:",inline"`
	// One buyer's refunds on different orders filled in this close together are
	// one parcel returning both orders, not a reuse.
	CombinedReturnWindow time.Duration `yaml:"combined_return_window"`
	// Weight for the earliest refund on the waybill, which may be the victim
	// whose number was copied; it is hard only when the reuser is the same account.
	FirstUseWeight int `yaml:"first_use_weight"`
}

type EmptyParcelConfig struct {
	RuleConfig `yaml:",inline"`
	FloorG     int64   `yaml:"floor_g"`   // below this a parcel is empty when its items are clearly heavier
	MaxShare   float64 `yaml:"max_share"` // or below this share of the items' weight
}

type LowWeightConfig struct {
	RuleConfig   `yaml:",inline"`
	MinRatio     float64 `yaml:"min_ratio"`      // parcel lighter than this share of the items' weight fires
	PackagingG   int64   `yaml:"packaging_g"`    // packaging allowance taken off the measured weight...
	PackagingMax float64 `yaml:"packaging_max"`  // ...but never more than this share of it
	MinExpectedG int64   `yaml:"min_expected_g"` // lighter goods are left alone: scales and catalogues are too coarse
}

type MultiAccountAddressConfig struct {
	RuleConfig     `yaml:",inline"`
	MinAccounts    int `yaml:"min_accounts"`     // accounts at one address or phone
	MinWithRefunds int `yaml:"min_with_refunds"` // of which at least this many asked for refunds
	// Above this many accounts an address is a shared hub (a campus mailroom, a
	// parcel station) and links nobody.
	MaxAccounts int `yaml:"max_accounts"`
	// Weight of a ring found only through a masked phone (138****5678).
	MaskedPhoneWeight int `yaml:"masked_phone_weight"`
	// Only accounts whose orders there were placed within this long of the
	// refund's order count: a ring orders together, colleagues sharing a
	// mailroom over weeks do not.
	Window time.Duration `yaml:"window"`
}

// ReturnSenderSharedConfig: one return sender behind several accounts.
type ReturnSenderSharedConfig struct {
	RuleConfig `yaml:",inline"`
	// Accounts (this refund's included) whose refunds one sender's parcels
	// carry, from which the finding has the rule's weight.
	MinAccounts int `yaml:"min_accounts"`
	// Two accounts but fewer than min_accounts (a couple sending each other's
	// returns) are a weak signal of this weight.
	WeakWeight int `yaml:"weak_weight"`
	// Above this many accounts the sender is a hub (a parcel station sending
	// for its customers) and links nobody.
	MaxAccounts int `yaml:"max_accounts"`
}

// WrongItemSKUSwapConfig: linked accounts buying one product in different SKUs
// and each claiming the wrong SKU came.
type WrongItemSKUSwapConfig struct {
	RuleConfig `yaml:",inline"`
	// Accounts (this refund's included) with a wrong-item claim on the product.
	MinAccounts int `yaml:"min_accounts"`
	// From this many accounts the finding is hard (0: never).
	BlockAccounts int `yaml:"block_accounts"`
	// Only claims filed this close to this refund count.
	Window time.Duration `yaml:"window"`
}

// TrackingInvalidConfig: waybills that do not fit their carrier or have no
// logistics record.
type TrackingInvalidConfig struct {
	RuleConfig `yaml:",inline"`
	// Check the number against its carrier's format (rules/data/waybills.yaml).
	CheckFormat bool `yaml:"check_format"`
	// A waybill with no logistics record this long after it was filled in
	// fires (0: never).
	NoRecordAfter time.Duration `yaml:"no_record_after"`
}

// OrderContactAnomalyConfig: junk receiver addresses and impossible phones.
type OrderContactAnomalyConfig struct {
	RuleConfig `yaml:",inline"`
	// A street line with fewer letters and digits than this is junk.
	MinAddressRunes int `yaml:"min_address_runes"`
	// A run of this many identical characters in the street line is junk.
	RepeatRun int `yaml:"repeat_run"`
}

// OrderBurstConfig: many orders from linked accounts in a short time.
type OrderBurstConfig struct {
	RuleConfig `yaml:",inline"`
	MinOrders  int           `yaml:"min_orders"` // orders (this refund's order included) within the window
	Window     time.Duration `yaml:"window"`
	// Orders per account in the burst at least this: colleagues at one office
	// ordering one each on a sale day are not a burst.
	MinOrdersPerAccount float64 `yaml:"min_orders_per_account"`
}

// RefundOnlyAbuseConfig: repeated refund-only requests, and "not received"
// after a normal signed delivery.
type RefundOnlyAbuseConfig struct {
	RuleConfig `yaml:",inline"`
	// Refund-only requests (this one included) by the account and its linked
	// accounts within the window (0: this part is off).
	MinRefunds int           `yaml:"min_refunds"`
	Window     time.Duration `yaml:"window"`
	// "Not received" after the buyer, a locker or a station signed without
	// exception.
	SignedNotReceived bool `yaml:"signed_not_received"`
}

// MissingItemConfig: "missing item" although the outbound weight matched.
type MissingItemConfig struct {
	RuleConfig `yaml:",inline"`
	// The outbound parcel weighed at least this share of the order's catalogue weight.
	MinMatchRatio float64 `yaml:"min_match_ratio"`
	// Packaging may weigh up to the larger of these...
	PackagingG     int64   `yaml:"packaging_g"`
	PackagingShare float64 `yaml:"packaging_share"`
	// ...and the scale may be off by this much. The rule fires only when the
	// parcel weighed more than the order without the claimed items could
	// have, with all of that allowed.
	ToleranceG int64 `yaml:"tolerance_g"`
}

// ShippingFeeConfig: postage claims far above what the parcel costs.
type ShippingFeeConfig struct {
	RuleConfig `yaml:",inline"`
	// The claim must be at least this many times the typical fee...
	MinRatio float64 `yaml:"min_ratio"`
	// ...and above it by at least this much, in fen.
	MinExcessMinor int64 `yaml:"min_excess_minor"`
}

// StockoutClaimConfig: accounts that make a business of "no stock" claims.
type StockoutClaimConfig struct {
	RuleConfig `yaml:",inline"`
	MinClaims  int           `yaml:"min_claims"` // out-of-stock refunds (this one included) within the window
	Window     time.Duration `yaml:"window"`
}

// ExtortionConfig: a threat together with a demand for money.
type ExtortionConfig struct {
	RuleConfig `yaml:",inline"`
	// From this many extortion messages the finding is hard (0: never).
	BlockAtMessages int `yaml:"block_at_messages"`
	// A buyer with a confirmed earlier offense is blocked at the first one.
	BlockOnOffense bool `yaml:"block_on_offense"`
}

// Defaults is the built-in rule set.
func Defaults() Config {
	return Config{
		Version:     "default-1",
		ReviewScore: 40,
		BlockScore:  85,
		Mode:        ModeEnforce,
		Actions:     defaultActions(),
		Guardrails:  Guardrails{MaxHoldsPerRulePerHour: 200, MaxHoldsPerShopPerHour: 1000},
		TrackingReused: TrackingReusedConfig{
			RuleConfig:           RuleConfig{Enabled: true, Weight: 95, Hard: true},
			CombinedReturnWindow: 48 * time.Hour,
			FirstUseWeight:       60,
		},
		EmptyParcel:      EmptyParcelConfig{RuleConfig: RuleConfig{Enabled: true, Weight: 90, Hard: true}, FloorG: 50, MaxShare: 0.10},
		InspectionFailed: RuleConfig{Enabled: true, Weight: 90, Hard: true},
		LowWeightReturn: LowWeightConfig{RuleConfig: RuleConfig{Enabled: true, Weight: 60},
			MinRatio: 0.60, PackagingG: 50, PackagingMax: 0.2, MinExpectedG: 100},
		MultiAccountAddress: MultiAccountAddressConfig{RuleConfig: RuleConfig{Enabled: true, Weight: 45},
			MinAccounts: 3, MinWithRefunds: 2, MaxAccounts: 20, MaskedPhoneWeight: 15, Window: 7 * 24 * time.Hour},
		ReturnSenderShared: ReturnSenderSharedConfig{RuleConfig: RuleConfig{Enabled: true, Weight: 45},
			MinAccounts: 3, WeakWeight: 20, MaxAccounts: 10},
		WrongItemSKUSwap: WrongItemSKUSwapConfig{RuleConfig: RuleConfig{Enabled: true, Weight: 55},
			MinAccounts: 2, BlockAccounts: 3, Window: 30 * 24 * time.Hour},
		UnacceptedCarrier: RuleConfig{Enabled: true, Weight: 40},
		TrackingInvalid: TrackingInvalidConfig{RuleConfig: RuleConfig{Enabled: true, Weight: 45},
			CheckFormat: true, NoRecordAfter: 72 * time.Hour},
		ReturnMisaddressed: RuleConfig{Enabled: true, Weight: 50},
		OrderContactAnomaly: OrderContactAnomalyConfig{RuleConfig: RuleConfig{Enabled: true, Weight: 40},
			MinAddressRunes: 3, RepeatRun: 5},
		OrderBurst: OrderBurstConfig{RuleConfig: RuleConfig{Enabled: true, Weight: 40},
			MinOrders: 5, Window: time.Hour, MinOrdersPerAccount: 2},
		RefundOnlyAbuse: RefundOnlyAbuseConfig{RuleConfig: RuleConfig{Enabled: true, Weight: 45},
			MinRefunds: 3, Window: 90 * 24 * time.Hour, SignedNotReceived: true},
		MissingItem: MissingItemConfig{RuleConfig: RuleConfig{Enabled: true, Weight: 45},
			MinMatchRatio: 0.95, PackagingG: 300, PackagingShare: 0.15, ToleranceG: 50},
		ShippingFeeInflated: ShippingFeeConfig{RuleConfig: RuleConfig{Enabled: true, Weight: 40},
			MinRatio: 2, MinExcessMinor: 1500},
		StockoutClaimAbuse: StockoutClaimConfig{RuleConfig: RuleConfig{Enabled: true, Weight: 45},
			MinClaims: 3, Window: 90 * 24 * time.Hour},
		ExtortionMessage: ExtortionConfig{RuleConfig: RuleConfig{Enabled: true, Weight: 50},
			BlockAtMessages: 2, BlockOnOffense: true},
		KnownOffender: RuleConfig{Enabled: true, Weight: 50},
	}
}

// Validate names every field that is out of range.
func (c Config) Validate() error {
	var errs []error
	check := func(ok bool, field, msg string) {
		if !ok {
			errs = append(errs, fmt.Errorf("rules: %s: %s", field, msg))
		}
	}
	weight := func(field string, w int) { check(w >= 0 && w <= 100, field, "must be between 0 and 100") }
	share := func(field string, f float64) { check(f >= 0 && f <= 1, field, "must be between 0 and 1") }
	check(c.Version != "", "version", "must not be empty")
	check(c.ReviewScore > 0 && c.ReviewScore <= 100, "review_score", "must be between 1 and 100")
	check(c.BlockScore >= c.ReviewScore && c.BlockScore <= 100, "block_score", "must be between review_score and 100")
	weight("tracking_reused.weight", c.TrackingReused.Weight)
	weight("tracking_reused.first_use_weight", c.TrackingReused.FirstUseWeight)
	check(c.TrackingReused.CombinedReturnWindow >= 0, "tracking_reused.combined_return_window", "must not be negative")
	weight("empty_parcel.weight", c.EmptyParcel.Weight)
	check(c.EmptyParcel.FloorG >= 0, "empty_parcel.floor_g", "must not be negative")
	share("empty_parcel.max_share", c.EmptyParcel.MaxShare)
	weight("inspection_failed.weight", c.InspectionFailed.Weight)
	weight("low_weight_return.weight", c.LowWeightReturn.Weight)
	share("low_weight_return.min_ratio", c.LowWeightReturn.MinRatio)
	share("low_weight_return.packaging_max", c.LowWeightReturn.PackagingMax)
	check(c.LowWeightReturn.PackagingG >= 0, "low_weight_return.packaging_g", "must not be negative")
	check(c.LowWeightReturn.MinExpectedG >= 0, "low_weight_return.min_expected_g", "must not be negative")
	weight("multi_account_address.weight", c.MultiAccountAddress.Weight)
	weight("multi_account_address.masked_phone_weight", c.MultiAccountAddress.MaskedPhoneWeight)
	check(c.MultiAccountAddress.Window >= time.Hour, "multi_account_address.window", "must be at least an hour")
	m := c.MultiAccountAddress
	check(m.MinAccounts >= 2, "multi_account_address.min_accounts", "must be at least 2")
	check(m.MinWithRefunds >= 1 && m.MinWithRefunds <= m.MinAccounts, "multi_account_address.min_with_refunds", "must be between 1 and min_accounts")
	check(m.MaxAccounts >= m.MinAccounts, "multi_account_address.max_accounts", "must be at least min_accounts")
	check(m.MaxAccounts <= MaxLinkAccounts, "multi_account_address.max_accounts", fmt.Sprintf("must be at most %d", MaxLinkAccounts))
	for i, code := range c.AcceptedCarriers {
		check(carrierKey(code) != "", "accepted_carriers", fmt.Sprintf("entry %d must not be empty", i+1))
	}
	for i, w := range c.Warehouses {
		check(CanonicalAddress(w) != "", "warehouses", fmt.Sprintf("entry %d needs a city or district and a street line of at least 4 characters", i+1))
	}
	positive := func(field string, d time.Duration) { check(d > 0, field, "must be positive") }
	notNegative := func(field string, d time.Duration) { check(d >= 0, field, "must not be negative") }

	rs := c.ReturnSenderShared
	weight("return_sender_shared.weight", rs.Weight)
	weight("return_sender_shared.weak_weight", rs.WeakWeight)
	check(rs.MinAccounts >= 2, "return_sender_shared.min_accounts", "must be at least 2")
	check(rs.MaxAccounts >= rs.MinAccounts, "return_sender_shared.max_accounts", "must be at least min_accounts")

	sw := c.WrongItemSKUSwap
	weight("wrong_item_sku_swap.weight", sw.Weight)
	check(sw.MinAccounts >= 2, "wrong_item_sku_swap.min_accounts", "must be at least 2")
	check(sw.BlockAccounts == 0 || sw.BlockAccounts >= sw.MinAccounts, "wrong_item_sku_swap.block_accounts", "must be 0 (never) or at least min_accounts")
	positive("wrong_item_sku_swap.window", sw.Window)

	weight("unaccepted_carrier.weight", c.UnacceptedCarrier.Weight)

	ti := c.TrackingInvalid
	weight("tracking_invalid.weight", ti.Weight)
	notNegative("tracking_invalid.no_record_after", ti.NoRecordAfter)

	weight("return_misaddressed.weight", c.ReturnMisaddressed.Weight)

	oc := c.OrderContactAnomaly
	weight("order_contact_anomaly.weight", oc.Weight)
	check(oc.MinAddressRunes >= 0 && oc.MinAddressRunes <= 20, "order_contact_anomaly.min_address_runes", "must be between 0 and 20")
	check(oc.RepeatRun >= 3, "order_contact_anomaly.repeat_run", "must be at least 3")

	ob := c.OrderBurst
	weight("order_burst.weight", ob.Weight)
	check(ob.MinOrders >= 2, "order_burst.min_orders", "must be at least 2")
	positive("order_burst.window", ob.Window)
	check(ob.MinOrdersPerAccount >= 1 && ob.MinOrdersPerAccount <= float64(max(ob.MinOrders, 1)), "order_burst.min_orders_per_account", "must be between 1 and min_orders")

	ro := c.RefundOnlyAbuse
	weight("refund_only_abuse.weight", ro.Weight)
	check(ro.MinRefunds == 0 || ro.MinRefunds >= 2, "refund_only_abuse.min_refunds", "must be 0 (off) or at least 2")
	positive("refund_only_abuse.window", ro.Window)

	mi := c.MissingItem
	weight("missing_item_contradicted.weight", mi.Weight)
	check(mi.MinMatchRatio > 0 && mi.MinMatchRatio <= 2, "missing_item_contradicted.min_match_ratio", "must be above 0 and at most 2")
	check(mi.PackagingG >= 0, "missing_item_contradicted.packaging_g", "must not be negative")
	share("missing_item_contradicted.packaging_share", mi.PackagingShare)
	check(mi.ToleranceG >= 0, "missing_item_contradicted.tolerance_g", "must not be negative")

	sf := c.ShippingFeeInflated
	weight("shipping_fee_inflated.weight", sf.Weight)
	check(sf.MinRatio >= 1 && sf.MinRatio <= 100, "shipping_fee_inflated.min_ratio", "must be between 1 and 100")
	check(sf.MinExcessMinor >= 0, "shipping_fee_inflated.min_excess_minor", "must not be negative")

	so := c.StockoutClaimAbuse
	weight("stockout_claim_abuse.weight", so.Weight)
	check(so.MinClaims >= 2, "stockout_claim_abuse.min_claims", "must be at least 2")
	positive("stockout_claim_abuse.window", so.Window)

	ex := c.ExtortionMessage
	weight("extortion_message.weight", ex.Weight)
	check(ex.BlockAtMessages == 0 || ex.BlockAtMessages >= 2, "extortion_message.block_at_messages", "must be 0 (never) or at least 2")

	weight("known_offender.weight", c.KnownOffender.Weight)
	check(c.Guardrails.MaxHoldsPerRulePerHour >= 1, "guardrails.max_holds_per_rule_per_hour", "must be at least 1")
	check(c.Guardrails.MaxHoldsPerShopPerHour >= 1, "guardrails.max_holds_per_shop_per_hour", "must be at least 1")
	if err := c.Actions.validate(c.Mode); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
