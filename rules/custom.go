package rules

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// CustomRule is a shop's own rule, an expression over the refund and the
// computed features, in the spirit of Stripe Radar's rules:
//
//	code: big_refund_busy_account
//	when: refund.amount_minor > 50000 && features.refunds_by_account_30d >= 3
//	message: {zh: 该账号近30天第3次以上退款且金额较大, en: Large refund from an account with 3+ refunds in 30 days}
//	weight: 50        # or action: review | block
type CustomRule struct {
	Code    string   `yaml:"code"`
	Shops   []string `yaml:"shops"` // empty: every shop
	When    string   `yaml:"when"`
	Message Text     `yaml:"message"`
	Weight  int      `yaml:"weight"`
	// Action review makes the rule send a refund to review on its own;
	// block makes it hard evidence. Empty: the weight only adds to the score.
	Action string `yaml:"action"`

	program *vm.Program
}

var customCode = regexp.MustCompile(`^[a-z][a-z0-9_]{2,63}$`)

// Compile type-checks the expression against Env and checks the rest.
// Errors name the field; expression errors carry expr's position.
func (r *CustomRule) Compile() error {
	switch {
	case !customCode.MatchString(r.Code):
		return fmt.Errorf("code: %q must be 3–64 lower-case letters, digits and underscores", r.Code)
	case slices.Contains(Codes, r.Code):
		return fmt.Errorf("code: %q is a built-in rule", r.Code)
	case r.Message.ZH == "" || r.Message.EN == "":
		return errors.New("message: both zh and en are required")
	case r.Weight < 0 || r.Weight > 100:
		return fmt.Errorf("weight: %d is not between 0 and 100", r.Weight)
	case r.Action != "" && r.Action != "review" && r.Action != "block":
		return fmt.Errorf("action: %q is not review or block", r.Action)
	case r.Weight == 0 && r.Action == "":
		return errors.New("weight: a rule needs a weight or an action")
	}
	p, err := expr.Compile(r.When, expr.Env(Env{}), expr.AsBool())
	if err != nil {
		return fmt.Errorf("when: %w", err)
	}
	r.program = p
	return nil
}

// appliesTo says whether the rule runs for a shop.
func (r *CustomRule) appliesTo(shop string) bool {
	return len(r.Shops) == 0 || slices.Contains(r.Shops, shop)
}

// Env is what a custom rule's expression sees. Field names are the ones
// written in the expression.
type Env struct {
	Refund   RefundEnv `expr:"refund"`
	Order    OrderEnv  `expr:"order"`
	Parcel   ParcelEnv `expr:"parcel"`
	Features Features  `expr:"features"`
}

type RefundEnv struct {
	Kind                  string `expr:"kind"`
	Reason                string `expr:"reason"`
	Status                string `expr:"status"`
	AmountMinor           int64  `expr:"amount_minor"`
	ShippingFeeClaimMinor int64  `expr:"shipping_fee_claim_minor"`
	Carrier               string `expr:"carrier"` // of the return waybill, "" without one
	Description           string `expr:"description"`
}

type OrderEnv struct {
	Known       bool   `expr:"known"` // the order event has arrived
	Status      string `expr:"status"`
	AmountMinor int64  `expr:"amount_minor"`
	Items       int64  `expr:"items"` // units ordered
	Signed      bool   `expr:"signed"`
	SignedBy    string `expr:"signed_by"`
}

type ParcelEnv struct {
	Known      bool   `expr:"known"`
	Status     string `expr:"status"`
	Carrier    string `expr:"carrier"`
	WeightG    int64  `expr:"weight_g"` // 0 when not weighed
	Inspection string `expr:"inspection"`
}

// Features are counts over the facts around the refund. Windows end at the
// refund's own request time, so they do not depend on when it is assessed.
type Features struct {
	RefundsByAccount30d    int     `expr:"refunds_by_account_30d"`
	RefundOnlyByAccount30d int     `expr:"refund_only_by_account_30d"`
	RefundsByAccount       int     `expr:"refunds_by_account"` // within retention
	AccountsAtAddress      int     `expr:"accounts_at_address"`
	AccountsAtPhone        int     `expr:"accounts_at_phone"`
	RefundsOfLinked        int     `expr:"refunds_of_linked_accounts"`
	AccountsOfSender       int     `expr:"accounts_of_sender"`
	RefundsOnWaybill       int     `expr:"refunds_on_waybill"`
	ExpectedWeightG        int64   `expr:"expected_weight_g"`
	WeightRatio            float64 `expr:"weight_ratio"` // parcel weight / expected, 0 when unknown
	MessagesByBuyer        int     `expr:"messages_by_buyer"`
}

// NewEnv computes what custom rules see of a case.
func NewEnv(c Case, combinedWindow time.Duration) Env {
	r := c.Refund
	env := Env{Refund: RefundEnv{Kind: r.RefundKind, Reason: r.Reason, Status: r.Status, AmountMinor: r.AmountMinor,
		ShippingFeeClaimMinor: r.ShippingFeeClaimMinor, Description: r.Description}}
	if r.ReturnShipment != nil {
		env.Refund.Carrier = r.ReturnShipment.Carrier
	}
	if o := c.Order; o != nil {
		env.Order = OrderEnv{Known: true, Status: o.Status, AmountMinor: o.AmountMinor}
		for _, it := range o.Items {
			env.Order.Items += it.Quantity
		}
		if s := o.Shipment; s != nil && !s.SignedAt.IsZero() {
			env.Order.Signed, env.Order.SignedBy = true, s.SignedBy
		}
	}
	if p := c.Parcel; p != nil {
		env.Parcel = ParcelEnv{Known: true, Status: p.Status, Carrier: p.Carrier}
		if p.WeightG != nil {
			env.Parcel.WeightG = *p.WeightG
		}
		if p.Inspection != nil {
			env.Parcel.Inspection = p.Inspection.Outcome
		}
	}
	f := &env.Features
	since := r.RequestedAt.Add(-30 * 24 * time.Hour)
	for _, s := range c.History[r.BuyerID] {
		f.RefundsByAccount++
		if !s.RequestedAt.Before(since) && !s.RequestedAt.After(r.RequestedAt) {
			f.RefundsByAccount30d++
			if s.Kind == "refund_only" {
				f.RefundOnlyByAccount30d++
			}
		}
	}
	// Past MaxLinkAccounts a count stops being exact (see MaxLinkAccounts).
	f.AccountsAtAddress = min(countAccounts(c.AddressLinks), MaxLinkAccounts+1)
	f.AccountsAtPhone = min(countAccounts(c.PhoneLinks), MaxLinkAccounts+1)
	for b, list := range c.History {
		if b != r.BuyerID {
			f.RefundsOfLinked += len(list)
		}
	}
	senders := map[string]bool{}
	for _, l := range c.SenderLinks {
		if l.BuyerID != "" {
			senders[l.BuyerID] = true
		}
	}
	if len(c.SenderLinks) > 0 {
		senders[r.BuyerID] = true
	}
	f.AccountsOfSender = len(senders)
	if r.ReturnShipment != nil {
		f.RefundsOnWaybill = 1 + len(c.WaybillRefunds)
	}
	if w, ok := expectedWeight(c, combinedWindow); ok {
		f.ExpectedWeightG = w
		if env.Parcel.WeightG > 0 {
			f.WeightRatio = float64(env.Parcel.WeightG) / float64(w)
		}
	}
	f.MessagesByBuyer = len(c.Messages)
	return env
}

func countAccounts(links []Link) int {
	seen := map[string]bool{}
	for _, l := range links {
		seen[l.BuyerID] = true
	}
	return len(seen)
}

// eval runs the rule. An expression that fails at run time (it cannot: it was
// type-checked) does not fire.
func (r *CustomRule) eval(env Env, cfg Config) (finding, bool) {
	out, err := expr.Run(r.program, env)
	if hit, _ := out.(bool); err != nil || !hit {
		return finding{}, false
	}
	weight, hard := r.Weight, r.Action == "block"
	if r.Action == "review" {
		weight = max(weight, cfg.ReviewScore)
	}
	return newFinding(r.Code, weight, hard, r.Message.ZH, r.Message.EN, map[string]any{"when": r.When, "custom": true}), true
}
