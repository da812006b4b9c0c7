package rules_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

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
