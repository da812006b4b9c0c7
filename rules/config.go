package rules

import (
	"errors"
	"fmt"
	"github.com/sellerguard/sellerguard/event"
	"time"
)

// Config holds every threshold and weight. Zero values are not defaults: start
// from Defaults() and override.
type Config struct {
	Version     string `yaml:"version"`      // stamped into every assessment as ruleset_version
	ReviewScore int    `yaml:"review_score"` // score at or above which a refund goes to review
	BlockScore  int    `yaml:"block_score"`  // score at or above which a refund is blocked

	// The shop's own setup (set per shop in the config file).
	Warehouses       []event.Address `yaml:"warehouses"`        // where returns must be addressed
	AcceptedCarriers []string        `yaml:"accepted_carriers"` // empty: every carrier is accepted

	TrackingReused      TrackingReusedConfig      `yaml:"tracking_reused"`
	EmptyParcel         EmptyParcelConfig         `yaml:"empty_parcel"`
	InspectionFailed    RuleConfig                `yaml:"inspection_failed"`
	LowWeightReturn     LowWeightConfig           `yaml:"low_weight_return"`
	MultiAccountAddress MultiAccountAddressConfig `yaml:"multi_account_address"`
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
}

// Defaults is the built-in rule set.
func Defaults() Config {
	return Config{
		Version:     "default-1",
		ReviewScore: 40,
		BlockScore:  85,
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
			MinAccounts: 3, MinWithRefunds: 2, MaxAccounts: 20},
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
	m := c.MultiAccountAddress
	check(m.MinAccounts >= 2, "multi_account_address.min_accounts", "must be at least 2")
	check(m.MinWithRefunds >= 1 && m.MinWithRefunds <= m.MinAccounts, "multi_account_address.min_with_refunds", "must be between 1 and min_accounts")
	check(m.MaxAccounts >= m.MinAccounts, "multi_account_address.max_accounts", "must be at least min_accounts")
	return errors.Join(errs...)
}
