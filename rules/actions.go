package rules

import (
	"errors"
	"fmt"
	"slices"
)

// Enforcement modes of a shop.
const (
	ModeOff     = "off"     // assessed and served, nothing published
	ModeShadow  = "shadow"  // published, marked not enforced: what would have been held
	ModeEnforce = "enforce" // published for the refund workflow to act on
)

// Actions the refund workflow should take, from lightest to heaviest.
const (
	RefundNow             = "refund_now"
	RefundAfterPickup     = "refund_after_pickup"     // once the carrier scanned the return
	RefundAfterInspection = "refund_after_inspection" // once the warehouse opened it (refuse parcels that weigh nothing)
	HoldForReview         = "hold_for_review"
	HoldAndRefuse         = "hold_and_refuse"
)

// ActionPolicy chooses the action from the decision, the reasons and the
// amount. Only hard evidence refuses; weak signals on small refunds are
// refunded now and only watched.
type ActionPolicy struct {
	// A review of at most this amount (minor units) with no reason of
	// severity high or above is refunded now and watched.
	WatchBelowMinor int64 `yaml:"watch_below_minor"`
	// Reviews whose every reason is one of these wait for the carrier's
	// pickup scan (the doubt is whether a parcel exists at all).
	PickupRules []string `yaml:"pickup_rules"`
	// Reviews whose every reason is one of these (or a pickup rule) wait for
	// the warehouse's inspection (the doubt is what is in the parcel).
	InspectRules []string `yaml:"inspect_rules"`
}

func defaultActions() ActionPolicy {
	return ActionPolicy{
		WatchBelowMinor: 3000,
		PickupRules:     []string{TrackingInvalid, UnacceptedCarrier},
		InspectRules:    []string{LowWeightReturn, ReturnMisaddressed, ReturnSenderShared, MissingItemContradicted},
	}
}

func (p ActionPolicy) validate(mode string) error {
	var errs []error
	if mode != ModeOff && mode != ModeShadow && mode != ModeEnforce {
		errs = append(errs, fmt.Errorf("rules: mode: %q is not off, shadow or enforce", mode))
	}
	if p.WatchBelowMinor < 0 {
		errs = append(errs, errors.New("rules: actions.watch_below_minor: must not be negative"))
	}
	for field, list := range map[string][]string{"actions.pickup_rules": p.PickupRules, "actions.inspect_rules": p.InspectRules} {
		for _, c := range list {
			if !slices.Contains(Codes, c) {
				errs = append(errs, fmt.Errorf("rules: %s: %q is not a rule code", field, c))
			}
		}
	}
	return errors.Join(errs...)
}

// action picks what the refund workflow should do with an assessment.
func (p ActionPolicy) action(a Assessment, amountMinor int64) string {
	critical, high := false, false
	all := func(list []string) bool {
		for _, r := range a.Reasons {
			if !slices.Contains(list, r.Rule) {
				return false
			}
		}
		return len(a.Reasons) > 0
	}
	for _, r := range a.Reasons {
		critical = critical || r.Severity == "critical"
		high = high || r.Severity == "high" || r.Severity == "critical"
	}
	switch a.Decision {
	case Approve:
		return RefundNow
	case Block:
		if critical {
			return HoldAndRefuse
		}
		return HoldForReview
	}
	switch {
	case !high && amountMinor <= p.WatchBelowMinor:
		return RefundNow
	case all(p.PickupRules):
		return RefundAfterPickup
	case all(append(slices.Clone(p.InspectRules), p.PickupRules...)):
		return RefundAfterInspection
	}
	return HoldForReview
}

// Guardrails cap automatic holds, so one broken rule cannot hold a whole
// day's refunds: past a cap, further holds fall back to review.
type Guardrails struct {
	MaxHoldsPerRulePerHour int64 `yaml:"max_holds_per_rule_per_hour"`
	MaxHoldsPerShopPerHour int64 `yaml:"max_holds_per_shop_per_hour"`
}

// HoldScope is the rule a hold is counted under: its first hard reason, or
// its first reason.
func HoldScope(a Assessment) string {
	for _, r := range a.Reasons {
		if r.Severity == "critical" {
			return r.Rule
		}
	}
	if len(a.Reasons) > 0 {
		return a.Reasons[0].Rule
	}
	return ""
}

// Release turns a hold that ran into a cap into a review, saying why.
func (g Guardrails) Release(a *Assessment, scope string, cap, held int64, hour string) {
	a.Decision, a.Action = Review, HoldForReview
	what := "规则 " + scope
	whatEN := "rule " + scope
	if scope == "shop" {
		what, whatEN = "本店", "this shop"
	}
	a.Guardrail = &Guardrail{Scope: scope, Cap: cap, Held: held, Hour: hour, Text: Text{
		ZH: fmt.Sprintf("%s 本小时已自动拦截 %d 笔退款(上限 %d),本笔转人工审核", what, held-1, cap),
		EN: fmt.Sprintf("%s already held %d refunds automatically this hour (cap %d): this one goes to review", whatEN, held-1, cap),
	}}
}
