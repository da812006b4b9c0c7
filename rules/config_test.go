package rules_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

func TestDefaultsValid(t *testing.T) {
	if err := rules.Defaults().Validate(); err != nil {
		t.Fatalf("Defaults().Validate() = %v", err)
	}
}

// fieldsNamed lists the config fields an error from Validate names: each
// problem is one line "rules: <field>: <why>".
func fieldsNamed(t *testing.T, err error) []string {
	t.Helper()
	var fields []string
	for _, line := range strings.Split(err.Error(), "\n") {
		rest, ok := strings.CutPrefix(line, "rules: ")
		field, why, ok2 := strings.Cut(rest, ": ")
		if !ok || !ok2 || why == "" {
			t.Fatalf("error line %q is not \"rules: <field>: <why>\"", line)
		}
		fields = append(fields, field)
	}
	slices.Sort(fields)
	return fields
}

func TestValidateNamesTheBrokenField(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*rules.Config)
		fields []string // exactly the fields the error must name
	}{
		{"empty version", func(c *rules.Config) { c.Version = "" }, []string{"version"}},
		{"review_score 0", func(c *rules.Config) { c.ReviewScore = 0 }, []string{"review_score"}},
		{"review_score negative", func(c *rules.Config) { c.ReviewScore = -1 }, []string{"review_score"}},
		{"block_score above 100", func(c *rules.Config) { c.BlockScore = 101 }, []string{"block_score"}},
		{"block_score below review_score", func(c *rules.Config) { c.BlockScore = 39 }, []string{"block_score"}},
		{"tracking_reused weight above 100", func(c *rules.Config) { c.TrackingReused.Weight = 101 }, []string{"tracking_reused.weight"}},
		{"tracking_reused weight negative", func(c *rules.Config) { c.TrackingReused.Weight = -1 }, []string{"tracking_reused.weight"}},
		{"first_use_weight above 100", func(c *rules.Config) { c.TrackingReused.FirstUseWeight = 101 }, []string{"tracking_reused.first_use_weight"}},
		{"combined_return_window negative", func(c *rules.Config) { c.TrackingReused.CombinedReturnWindow = -time.Hour }, []string{"tracking_reused.combined_return_window"}},
		{"empty_parcel weight negative", func(c *rules.Config) { c.EmptyParcel.Weight = -5 }, []string{"empty_parcel.weight"}},
		{"empty_parcel floor_g negative", func(c *rules.Config) { c.EmptyParcel.FloorG = -1 }, []string{"empty_parcel.floor_g"}},
		{"empty_parcel max_share above 1", func(c *rules.Config) { c.EmptyParcel.MaxShare = 1.5 }, []string{"empty_parcel.max_share"}},
		{"empty_parcel max_share negative", func(c *rules.Config) { c.EmptyParcel.MaxShare = -0.1 }, []string{"empty_parcel.max_share"}},
		{"empty_parcel max_share NaN", func(c *rules.Config) { c.EmptyParcel.MaxShare = math.NaN() }, []string{"empty_parcel.max_share"}},
		{"inspection_failed weight above 100", func(c *rules.Config) { c.InspectionFailed.Weight = 150 }, []string{"inspection_failed.weight"}},
		{"low_weight_return weight negative", func(c *rules.Config) { c.LowWeightReturn.Weight = -10 }, []string{"low_weight_return.weight"}},
		{"low_weight_return min_ratio above 1", func(c *rules.Config) { c.LowWeightReturn.MinRatio = 1.2 }, []string{"low_weight_return.min_ratio"}},
		{"low_weight_return packaging_max negative", func(c *rules.Config) { c.LowWeightReturn.PackagingMax = -0.5 }, []string{"low_weight_return.packaging_max"}},
		{"low_weight_return packaging_g negative", func(c *rules.Config) { c.LowWeightReturn.PackagingG = -1 }, []string{"low_weight_return.packaging_g"}},
		{"low_weight_return min_expected_g negative", func(c *rules.Config) { c.LowWeightReturn.MinExpectedG = -1 }, []string{"low_weight_return.min_expected_g"}},
		{"multi_account_address weight above 100", func(c *rules.Config) { c.MultiAccountAddress.Weight = 101 }, []string{"multi_account_address.weight"}},
		{"min_with_refunds 0", func(c *rules.Config) { c.MultiAccountAddress.MinWithRefunds = 0 }, []string{"multi_account_address.min_with_refunds"}},
		{"min_with_refunds above min_accounts", func(c *rules.Config) { c.MultiAccountAddress.MinWithRefunds = 4 }, []string{"multi_account_address.min_with_refunds"}},
		{"max_accounts below min_accounts", func(c *rules.Config) { c.MultiAccountAddress.MaxAccounts = 2 }, []string{"multi_account_address.max_accounts"}},
		{"max_accounts above the hub limit every rule shares", func(c *rules.Config) { c.MultiAccountAddress.MaxAccounts = rules.MaxLinkAccounts + 1 }, []string{"multi_account_address.max_accounts"}},
		// Fields checked against another field: one bad value breaks both
		// checks, and the error names both.
		{"review_score above 100 (then also above block_score)", func(c *rules.Config) { c.ReviewScore = 101 },
			[]string{"block_score", "review_score"}},
		{"min_accounts 1 (then also below min_with_refunds)", func(c *rules.Config) { c.MultiAccountAddress.MinAccounts = 1 },
			[]string{"multi_account_address.min_accounts", "multi_account_address.min_with_refunds"}},
		{"min_accounts above max_accounts", func(c *rules.Config) { c.MultiAccountAddress.MinAccounts = 21 },
			[]string{"multi_account_address.max_accounts"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := rules.Defaults()
			tc.mutate(&cfg)
			err := cfg.Validate()
			if err == nil {
				t.Fatalf("Validate() = nil, want an error naming %v", tc.fields)
			}
			if got := fieldsNamed(t, err); !slices.Equal(got, tc.fields) {
				t.Errorf("Validate() names %v, want exactly %v (error: %v)", got, tc.fields, err)
			}
		})
	}
}

// The edges of every range are valid.
func TestValidateAcceptsEdges(t *testing.T) {
	tests := []struct {
		name string
		set  func(*rules.Config)
	}{
		{"weights 0", func(c *rules.Config) {
			c.TrackingReused.Weight, c.TrackingReused.FirstUseWeight, c.EmptyParcel.Weight = 0, 0, 0
			c.InspectionFailed.Weight, c.LowWeightReturn.Weight, c.MultiAccountAddress.Weight = 0, 0, 0
		}},
		{"weights 100", func(c *rules.Config) {
			c.TrackingReused.Weight, c.TrackingReused.FirstUseWeight, c.EmptyParcel.Weight = 100, 100, 100
			c.InspectionFailed.Weight, c.LowWeightReturn.Weight, c.MultiAccountAddress.Weight = 100, 100, 100
		}},
		{"review_score 1", func(c *rules.Config) { c.ReviewScore = 1 }},
		{"block_score equals review_score", func(c *rules.Config) { c.BlockScore = c.ReviewScore }},
		{"both scores 100", func(c *rules.Config) { c.ReviewScore, c.BlockScore = 100, 100 }},
		{"shares 0", func(c *rules.Config) {
			c.EmptyParcel.MaxShare, c.LowWeightReturn.MinRatio, c.LowWeightReturn.PackagingMax = 0, 0, 0
		}},
		{"shares 1", func(c *rules.Config) {
			c.EmptyParcel.MaxShare, c.LowWeightReturn.MinRatio, c.LowWeightReturn.PackagingMax = 1, 1, 1
		}},
		{"grams and window 0", func(c *rules.Config) {
			c.TrackingReused.CombinedReturnWindow, c.EmptyParcel.FloorG = 0, 0
			c.LowWeightReturn.PackagingG, c.LowWeightReturn.MinExpectedG = 0, 0
		}},
		{"min_accounts 2, min_with_refunds 1", func(c *rules.Config) {
			c.MultiAccountAddress.MinAccounts, c.MultiAccountAddress.MinWithRefunds = 2, 1
		}},
		{"min_with_refunds equals min_accounts equals max_accounts", func(c *rules.Config) {
			c.MultiAccountAddress.MinAccounts, c.MultiAccountAddress.MinWithRefunds, c.MultiAccountAddress.MaxAccounts = 3, 3, 3
		}},
		{"every rule disabled", func(c *rules.Config) {
			c.TrackingReused.Enabled, c.EmptyParcel.Enabled, c.InspectionFailed.Enabled = false, false, false
			c.LowWeightReturn.Enabled, c.MultiAccountAddress.Enabled = false, false
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := rules.Defaults()
			tc.set(&cfg)
			if err := cfg.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}

func TestValidateNamesTheCatalogueFields(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*rules.Config)
		fields []string
	}{
		{"an empty accepted carrier", func(c *rules.Config) { c.AcceptedCarriers = []string{"SF", " "} }, []string{"accepted_carriers"}},
		{"a warehouse without a street", func(c *rules.Config) {
			c.Warehouses = []event.Address{{City: "杭州", District: "余杭", Address: "良睦路1号"}, {City: "杭州"}}
		}, []string{"warehouses"}},
		{"return_sender_shared weight", func(c *rules.Config) { c.ReturnSenderShared.Weight = 101 }, []string{"return_sender_shared.weight"}},
		{"return_sender_shared weak_weight", func(c *rules.Config) { c.ReturnSenderShared.WeakWeight = -1 }, []string{"return_sender_shared.weak_weight"}},
		{"return_sender_shared min_accounts 1", func(c *rules.Config) { c.ReturnSenderShared.MinAccounts = 1 }, []string{"return_sender_shared.min_accounts"}},
		{"return_sender_shared max below min", func(c *rules.Config) { c.ReturnSenderShared.MaxAccounts = 2 }, []string{"return_sender_shared.max_accounts"}},
		{"wrong_item_sku_swap weight", func(c *rules.Config) { c.WrongItemSKUSwap.Weight = -1 }, []string{"wrong_item_sku_swap.weight"}},
		{"wrong_item_sku_swap min_accounts 1", func(c *rules.Config) { c.WrongItemSKUSwap.MinAccounts = 1 }, []string{"wrong_item_sku_swap.min_accounts"}},
		{"wrong_item_sku_swap block below min", func(c *rules.Config) { c.WrongItemSKUSwap.MinAccounts, c.WrongItemSKUSwap.BlockAccounts = 3, 2 },
			[]string{"wrong_item_sku_swap.block_accounts"}},
		{"wrong_item_sku_swap window 0", func(c *rules.Config) { c.WrongItemSKUSwap.Window = 0 }, []string{"wrong_item_sku_swap.window"}},
		{"unaccepted_carrier weight", func(c *rules.Config) { c.UnacceptedCarrier.Weight = 101 }, []string{"unaccepted_carrier.weight"}},
		{"tracking_invalid weight", func(c *rules.Config) { c.TrackingInvalid.Weight = 101 }, []string{"tracking_invalid.weight"}},
		{"tracking_invalid no_record_after negative", func(c *rules.Config) { c.TrackingInvalid.NoRecordAfter = -time.Hour },
			[]string{"tracking_invalid.no_record_after"}},
		{"return_misaddressed weight", func(c *rules.Config) { c.ReturnMisaddressed.Weight = -3 }, []string{"return_misaddressed.weight"}},
		{"order_contact_anomaly weight", func(c *rules.Config) { c.OrderContactAnomaly.Weight = 101 }, []string{"order_contact_anomaly.weight"}},
		{"order_contact_anomaly min_address_runes", func(c *rules.Config) { c.OrderContactAnomaly.MinAddressRunes = 21 },
			[]string{"order_contact_anomaly.min_address_runes"}},
		{"order_contact_anomaly repeat_run", func(c *rules.Config) { c.OrderContactAnomaly.RepeatRun = 2 }, []string{"order_contact_anomaly.repeat_run"}},
		{"order_burst weight", func(c *rules.Config) { c.OrderBurst.Weight = 101 }, []string{"order_burst.weight"}},
		{"order_burst min_orders 1", func(c *rules.Config) { c.OrderBurst.MinOrders, c.OrderBurst.MinOrdersPerAccount = 1, 1 }, []string{"order_burst.min_orders"}},
		{"order_burst window 0", func(c *rules.Config) { c.OrderBurst.Window = 0 }, []string{"order_burst.window"}},
		{"order_burst per account below 1", func(c *rules.Config) { c.OrderBurst.MinOrdersPerAccount = 0.5 }, []string{"order_burst.min_orders_per_account"}},
		{"order_burst per account NaN", func(c *rules.Config) { c.OrderBurst.MinOrdersPerAccount = math.NaN() }, []string{"order_burst.min_orders_per_account"}},
		{"refund_only_abuse weight", func(c *rules.Config) { c.RefundOnlyAbuse.Weight = 101 }, []string{"refund_only_abuse.weight"}},
		{"refund_only_abuse min_refunds 1", func(c *rules.Config) { c.RefundOnlyAbuse.MinRefunds = 1 }, []string{"refund_only_abuse.min_refunds"}},
		{"refund_only_abuse window", func(c *rules.Config) { c.RefundOnlyAbuse.Window = -time.Hour }, []string{"refund_only_abuse.window"}},
		{"missing_item_contradicted weight", func(c *rules.Config) { c.MissingItem.Weight = 101 }, []string{"missing_item_contradicted.weight"}},
		{"missing_item_contradicted min_match_ratio", func(c *rules.Config) { c.MissingItem.MinMatchRatio = 0 }, []string{"missing_item_contradicted.min_match_ratio"}},
		{"missing_item_contradicted packaging_g", func(c *rules.Config) { c.MissingItem.PackagingG = -1 }, []string{"missing_item_contradicted.packaging_g"}},
		{"missing_item_contradicted packaging_share", func(c *rules.Config) { c.MissingItem.PackagingShare = 1.5 }, []string{"missing_item_contradicted.packaging_share"}},
		{"missing_item_contradicted tolerance_g", func(c *rules.Config) { c.MissingItem.ToleranceG = -1 }, []string{"missing_item_contradicted.tolerance_g"}},
		{"shipping_fee_inflated weight", func(c *rules.Config) { c.ShippingFeeInflated.Weight = 101 }, []string{"shipping_fee_inflated.weight"}},
		{"shipping_fee_inflated min_ratio below 1", func(c *rules.Config) { c.ShippingFeeInflated.MinRatio = 0.5 }, []string{"shipping_fee_inflated.min_ratio"}},
		{"shipping_fee_inflated min_excess_minor", func(c *rules.Config) { c.ShippingFeeInflated.MinExcessMinor = -1 }, []string{"shipping_fee_inflated.min_excess_minor"}},
		{"stockout_claim_abuse weight", func(c *rules.Config) { c.StockoutClaimAbuse.Weight = 101 }, []string{"stockout_claim_abuse.weight"}},
		{"stockout_claim_abuse min_claims", func(c *rules.Config) { c.StockoutClaimAbuse.MinClaims = 1 }, []string{"stockout_claim_abuse.min_claims"}},
		{"stockout_claim_abuse window", func(c *rules.Config) { c.StockoutClaimAbuse.Window = 0 }, []string{"stockout_claim_abuse.window"}},
		{"extortion_message weight", func(c *rules.Config) { c.ExtortionMessage.Weight = 101 }, []string{"extortion_message.weight"}},
		{"extortion_message block_at_messages 1", func(c *rules.Config) { c.ExtortionMessage.BlockAtMessages = 1 }, []string{"extortion_message.block_at_messages"}},
		{"known_offender weight", func(c *rules.Config) { c.KnownOffender.Weight = -1 }, []string{"known_offender.weight"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := rules.Defaults()
			tc.mutate(&cfg)
			err := cfg.Validate()
			if err == nil {
				t.Fatalf("Validate() = nil, want an error naming %v", tc.fields)
			}
			if got := fieldsNamed(t, err); !slices.Equal(got, tc.fields) {
				t.Errorf("Validate() names %v, want exactly %v (error: %v)", got, tc.fields, err)
			}
		})
	}
}

func TestValidateAcceptsCatalogueEdges(t *testing.T) {
	tests := []struct {
		name string
		set  func(*rules.Config)
	}{
		{"a shop's setup", func(c *rules.Config) {
			c.AcceptedCarriers = []string{"SF", "顺丰", "yto"}
			c.Warehouses = []event.Address{{Province: "浙江省", City: "杭州市", District: "余杭区", Address: "仓前街道良睦路1号退货仓"}}
		}},
		{"never block", func(c *rules.Config) { c.WrongItemSKUSwap.BlockAccounts, c.ExtortionMessage.BlockAtMessages = 0, 0 }},
		{"refund-only history off, no-record wait off", func(c *rules.Config) { c.RefundOnlyAbuse.MinRefunds, c.TrackingInvalid.NoRecordAfter = 0, 0 }},
		{"smallest thresholds", func(c *rules.Config) {
			c.ReturnSenderShared.MinAccounts, c.ReturnSenderShared.MaxAccounts = 2, 2
			c.WrongItemSKUSwap.MinAccounts, c.WrongItemSKUSwap.BlockAccounts = 2, 2
			c.OrderContactAnomaly.MinAddressRunes, c.OrderContactAnomaly.RepeatRun = 0, 3
			c.OrderBurst.MinOrders, c.OrderBurst.MinOrdersPerAccount = 2, 1
			c.RefundOnlyAbuse.MinRefunds, c.StockoutClaimAbuse.MinClaims = 2, 2
			c.ShippingFeeInflated.MinRatio, c.ShippingFeeInflated.MinExcessMinor = 1, 0
			c.MissingItem.PackagingG, c.MissingItem.PackagingShare, c.MissingItem.ToleranceG = 0, 0, 0
		}},
		{"every catalogue weight 0 and 100", func(c *rules.Config) {
			c.ReturnSenderShared.Weight, c.ReturnSenderShared.WeakWeight = 0, 100
			c.WrongItemSKUSwap.Weight, c.UnacceptedCarrier.Weight, c.TrackingInvalid.Weight = 100, 0, 100
			c.ReturnMisaddressed.Weight, c.OrderContactAnomaly.Weight, c.OrderBurst.Weight = 0, 100, 0
			c.RefundOnlyAbuse.Weight, c.MissingItem.Weight, c.ShippingFeeInflated.Weight = 100, 0, 100
			c.StockoutClaimAbuse.Weight, c.ExtortionMessage.Weight, c.KnownOffender.Weight = 0, 100, 0
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := rules.Defaults()
			tc.set(&cfg)
			if err := cfg.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}

// Each "review" rule reaches review_score alone and stays under block_score;
// the hard ones are hard.
func TestCatalogueDefaultWeights(t *testing.T) {
	d := rules.Defaults()
	for name, rc := range map[string]rules.RuleConfig{
		"return_sender_shared": d.ReturnSenderShared.RuleConfig, "wrong_item_sku_swap": d.WrongItemSKUSwap.RuleConfig,
		"unaccepted_carrier": d.UnacceptedCarrier, "tracking_invalid": d.TrackingInvalid.RuleConfig,
		"return_misaddressed": d.ReturnMisaddressed, "order_contact_anomaly": d.OrderContactAnomaly.RuleConfig,
		"order_burst": d.OrderBurst.RuleConfig, "refund_only_abuse": d.RefundOnlyAbuse.RuleConfig,
		"missing_item_contradicted": d.MissingItem.RuleConfig, "shipping_fee_inflated": d.ShippingFeeInflated.RuleConfig,
		"stockout_claim_abuse": d.StockoutClaimAbuse.RuleConfig, "extortion_message": d.ExtortionMessage.RuleConfig,
		"known_offender": d.KnownOffender,
	} {
		if !rc.Enabled || rc.Hard || rc.Weight < d.ReviewScore || rc.Weight >= d.BlockScore {
			t.Errorf("%s: %+v is not a review rule (review_score %d, block_score %d)", name, rc, d.ReviewScore, d.BlockScore)
		}
	}
	if d.ReturnSenderShared.WeakWeight >= d.ReviewScore {
		t.Errorf("return_sender_shared.weak_weight %d must stay a weak signal", d.ReturnSenderShared.WeakWeight)
	}
}
