package rules

import (
	"strings"
	"testing"
)

func TestActionPolicy(t *testing.T) {
	p := defaultActions()
	reason := func(rule, severity string) Reason { return Reason{Rule: rule, Severity: severity} }
	for _, tc := range []struct {
		name     string
		decision Decision
		reasons  []Reason
		amount   int64
		want     string
	}{
		{"clean", Approve, nil, 99900, RefundNow},
		{"weak signal only", Approve, []Reason{reason(OrderBurst, "low")}, 99900, RefundNow},
		{"hard evidence", Block, []Reason{reason(TrackingReused, "critical")}, 100, HoldAndRefuse},
		{"blocked by score alone", Block, []Reason{reason(LowWeightReturn, "high"), reason(MultiAccountAddress, "medium"), reason(OrderBurst, "medium")}, 100, HoldForReview},
		{"small refund, weak signals", Review, []Reason{reason(MultiAccountAddress, "medium")}, 2000, RefundNow},
		{"small refund, strong signal", Review, []Reason{reason(LowWeightReturn, "high")}, 2000, RefundAfterInspection},
		{"no logistics record", Review, []Reason{reason(TrackingInvalid, "medium")}, 59900, RefundAfterPickup},
		{"light parcel", Review, []Reason{reason(LowWeightReturn, "high")}, 59900, RefundAfterInspection},
		{"light parcel, odd waybill", Review, []Reason{reason(LowWeightReturn, "high"), reason(TrackingInvalid, "medium")}, 59900, RefundAfterInspection},
		{"a ring", Review, []Reason{reason(MultiAccountAddress, "medium")}, 59900, HoldForReview},
		{"a ring and a light parcel", Review, []Reason{reason(MultiAccountAddress, "medium"), reason(LowWeightReturn, "high")}, 59900, HoldForReview},
	} {
		a := Assessment{Decision: tc.decision, Reasons: tc.reasons}
		if got := p.action(a, tc.amount); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestModeAndActionsValidate(t *testing.T) {
	for _, tc := range []struct {
		edit  func(*Config)
		field string
	}{
		{func(c *Config) { c.Mode = "auto" }, "mode"},
		{func(c *Config) { c.Actions.WatchBelowMinor = -1 }, "actions.watch_below_minor"},
		{func(c *Config) { c.Actions.PickupRules = []string{"nope"} }, "actions.pickup_rules"},
	} {
		c := Defaults()
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
}
