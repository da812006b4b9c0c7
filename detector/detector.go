// Package detector turns batches of raw input messages into assessments:
// decode, store facts, find the refunds they touch, load what those refunds
// need, assess, store what changed and publish it. It talks to storage and
// Kafka only through the small interfaces below.
package detector

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

// Ref names one refund of one shop.
type Ref struct {
	Shop     string
	RefundID string
}

// Facts stores input events as facts and reads back what an assessment needs.
type Facts interface {
	// Apply stores the events' facts and returns, per event, the refunds it touches.
	Apply(ctx context.Context, events []event.Event) ([]Applied, error)
	// Load reads the case of each refund, with the input version it was read at.
	Load(ctx context.Context, refs []Ref) ([]Loaded, error)
	// Touch moves the input version of each stored refund on, as an event
	// touching it would.
	Touch(ctx context.Context, refs []Ref) error
}

// Applied is what one event touched.
type Applied struct {
	Touched []Ref
	Capped  bool // the fan-out cap left some refunds out
}

// Loaded is one refund's case as read.
type Loaded struct {
	Ref
	Found   bool
	Version string
	Case    rules.Case
}

// Assessments keeps the current assessment of each refund.
type Assessments interface {
	// Save stores each assessment that changed and was computed from the newest facts.
	Save(ctx context.Context, items []Pending) ([]Saved, error)
	// MarkPublished records that the saved change went out.
	MarkPublished(ctx context.Context, items []Pending) error
}

// Pending is an assessment to store.
type Pending struct {
	Ref
	Version    string // input version the case was read at
	Assessment rules.Assessment
	JSON       []byte // the assessment as the lookup API serves it
	Signature  string // what a change is measured by: decision, score and reasons
}

// Saved is the result of storing one assessment.
type Saved struct {
	Outcome  Outcome
	Previous rules.Decision // the decision it replaced, "" the first time
}

// Outcome of Save for one assessment.
type Outcome int

const (
	Unchanged Outcome = iota
	Changed           // stored (or stored earlier but not yet published): publish it
	Stale             // the facts moved after they were read: a later pass assesses again
)

// Publisher writes messages to one topic and returns once they are acknowledged.
type Publisher interface {
	Publish(ctx context.Context, msgs []event.Raw) error
}

// Config wires a Processor.
type Config struct {
	// Topics maps each input topic to the kind of event it carries.
	Topics map[string]event.Kind
	// Rules is the rule set in force; Processor.SetRules swaps it at run time.
	Rules *rules.Set
	Clock func() time.Time
	// Offenders fills each case's Offenses before it is assessed (an
	// offender.Book); nil leaves them empty.
	Offenders Offenders
	// Holds counts automatic holds for the guardrails; nil: no guardrails.
	Holds Holds
	// Workers is how many groups of shops one batch is split into and
	// processed at once (0: DefaultWorkers). Shops share no facts, so the
	// groups are independent; running them together keeps Redis busy while
	// Go assesses.
	Workers int
}

// DefaultWorkers is Config.Workers when it is zero.
const DefaultWorkers = 4

// Holds counts the refunds held automatically, for the guardrails.
type Holds interface {
	// Hold admits each hold while its rule and its shop are under their caps
	// this hour; a refund admitted before stays admitted.
	Hold(ctx context.Context, holds []Hold) ([]HoldResult, error)
}

// Hold asks to hold one refund under a rule (its scope) in an hour.
type Hold struct {
	Shop, Rule, RefundID, Hour string
	RuleCap, ShopCap           int64
}

// HoldResult says whether a hold was admitted and, if not, which cap it met.
type HoldResult struct {
	Admitted bool
	Scope    string // the rule code or "shop" whose cap was met
	Held     int64  // refunds held under that scope this hour
}

// Offenders finds earlier confirmed frauds matching cases, with a constant
// number of round trips for the whole batch. cases[i] belongs to shops[i].
type Offenders interface {
	LookupAll(ctx context.Context, shops []string, cases []rules.Case) ([][]rules.Offense, error)
}

// Validate names the first bad field.
func (c Config) Validate() error {
	if len(c.Topics) == 0 {
		return errors.New("detector: topics: at least one input topic is required")
	}
	if c.Workers < 0 {
		return fmt.Errorf("detector: workers: must not be negative, got %d", c.Workers)
	}
	for t, k := range c.Topics {
		if t == "" || !slices.Contains(event.Kinds, k) {
			return fmt.Errorf("detector: topics: %q → %q is not a topic and an event kind", t, k)
		}
	}
	if c.Rules == nil {
		return errors.New("detector: rules: a rule set is required")
	}
	return nil
}

// Processor is the detection pipeline for one batch at a time. main and the
// tests build it with New.
type Processor struct {
	topics      map[string]event.Kind
	rules       atomic.Pointer[rules.Set]
	clock       func() time.Time
	facts       Facts
	assessments Assessments
	decisions   Publisher
	deadLetters Publisher
	offenders   Offenders
	holds       Holds
	workers     int
	log         *slog.Logger
	m           metrics
}

// New builds a Processor.
func New(cfg Config, facts Facts, assessments Assessments, decisions, deadLetters Publisher,
	reg prometheus.Registerer, log *slog.Logger) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	p := &Processor{topics: cfg.Topics, clock: cfg.Clock, facts: facts, assessments: assessments,
		decisions: decisions, deadLetters: deadLetters, offenders: cfg.Offenders, holds: cfg.Holds,
		workers: cmp.Or(cfg.Workers, DefaultWorkers), log: log, m: newMetrics(reg)}
	p.SetRules(cfg.Rules)
	return p, nil
}

// SetRules swaps the rule set; batches after it use the new one.
func (p *Processor) SetRules(set *rules.Set) {
	for _, r := range set.Custom {
		p.m.ruleHits.WithLabelValues(r.Code)
	}
	p.rules.Store(set)
}

// Rules is the rule set in force.
func (p *Processor) Rules() *rules.Set { return p.rules.Load() }

// Decision is the message published on the decision topic.
type Decision struct {
	rules.Assessment
	PreviousDecision rules.Decision `json:"previous_decision,omitempty"`
	EventIDs         []string       `json:"event_ids"`
}

// Process handles one batch. When it returns nil every effect of the batch is
// stored and published, so its offsets may be committed; on error nothing may
// be committed and the whole batch is given again, which is safe because
// every step is idempotent.
func (p *Processor) Process(ctx context.Context, batch []event.Raw) error {
	events, origin, dead := p.decode(batch)
	arrived := make([]time.Time, len(events))
	for i, o := range origin {
		arrived[i] = batch[o].Time
	}
	if err := p.handle(ctx, events, arrived); err != nil {
		return err
	}
	// Dead letters go out once the rest of the batch is stored: a batch that
	// fails on Redis and is retried does not dead-letter its bad messages
	// again each time.
	if len(dead) > 0 {
		if err := p.deadLetters.Publish(ctx, dead); err != nil {
			return fmt.Errorf("detector: dead-letter: %w", err)
		}
		for _, d := range dead {
			p.m.deadLetters.WithLabelValues(d.Headers["sellerguard-reason-code"]).Inc()
		}
	}
	return nil
}

// Ingest handles events that came another way than the stream (a refund
// workflow asking synchronously): the same facts, assessments and decisions.
func (p *Processor) Ingest(ctx context.Context, events []event.Event) error {
	return p.handle(ctx, events, make([]time.Time, len(events)))
}

// handle runs valid events through facts and assessments, split by shop into
// up to workers groups processed at once; arrived[i] is when events[i]
// reached its topic (zero when unknown).
func (p *Processor) handle(ctx context.Context, events []event.Event, arrived []time.Time) error {
	groups := splitByShop(events, arrived, p.workers)
	if len(groups) <= 1 {
		return p.handleShops(ctx, events, arrived)
	}
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Go(func() { errs[i] = p.handleShops(ctx, g.events, g.arrived) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// shopGroup is the events of some shops, in batch order.
type shopGroup struct {
	events  []event.Event
	arrived []time.Time
}

// splitByShop deals the shops of a batch into at most n groups of about
// equal events, the busiest shop first, each into the lightest group.
func splitByShop(events []event.Event, arrived []time.Time, n int) []shopGroup {
	count := map[string]int{}
	for _, ev := range events {
		count[ev.Head().ShopID]++
	}
	if n <= 1 || len(count) <= 1 {
		return nil
	}
	shops := slices.Collect(maps.Keys(count))
	slices.SortFunc(shops, func(a, b string) int { return cmp.Or(cmp.Compare(count[b], count[a]), cmp.Compare(a, b)) })
	groups := make([]shopGroup, min(n, len(shops)))
	load := make([]int, len(groups))
	of := make(map[string]int, len(shops))
	for _, s := range shops {
		g := slices.Index(load, slices.Min(load))
		of[s] = g
		load[g] += count[s]
	}
	for i, ev := range events {
		g := &groups[of[ev.Head().ShopID]]
		g.events = append(g.events, ev)
		g.arrived = append(g.arrived, arrived[i])
	}
	return groups
}

// handleShops is handle for one group of shops.
func (p *Processor) handleShops(ctx context.Context, events []event.Event, arrived []time.Time) error {
	if len(events) == 0 {
		return nil
	}
	applied, err := p.facts.Apply(ctx, events)
	if err != nil {
		return fmt.Errorf("detector: apply facts: %w", err)
	}
	// Which events touched which refund, for the decision's event_ids.
	causes := map[Ref][]string{}
	for i, a := range applied {
		if a.Capped {
			p.m.fanoutCapped.Inc()
		}
		for _, ref := range a.Touched {
			causes[ref] = append(causes[ref], events[i].Head().EventID)
		}
	}
	return p.reassess(ctx, causes, events, arrived)
}

// Reassess assesses refunds again without new events (a reviewer's
// allowance or verdict changed what applies to them), saving and publishing
// changes. Their input versions move on first: a pass of the stream that
// read them before the change then saves nothing (Stale), so it cannot
// overwrite this one.
func (p *Processor) Reassess(ctx context.Context, refs []Ref) error {
	if err := p.facts.Touch(ctx, refs); err != nil {
		return fmt.Errorf("detector: touch refunds: %w", err)
	}
	causes := make(map[Ref][]string, len(refs))
	for _, r := range refs {
		causes[r] = []string{}
	}
	return p.reassess(ctx, causes, nil, nil)
}

// reassess loads, assesses, saves and publishes the refunds in causes (each
// with the ids of the events that touched it); events and arrived feed the
// metrics.
func (p *Processor) reassess(ctx context.Context, causes map[Ref][]string, events []event.Event, arrived []time.Time) error {
	refs := make([]Ref, 0, len(causes))
	for ref := range causes {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, func(a, b Ref) int {
		return cmp.Or(cmp.Compare(a.Shop, b.Shop), cmp.Compare(a.RefundID, b.RefundID))
	})
	loaded, err := p.facts.Load(ctx, refs)
	if err != nil {
		return fmt.Errorf("detector: load cases: %w", err)
	}
	if err := p.lookupOffenders(ctx, loaded); err != nil {
		return err
	}
	set := p.rules.Load()
	now := p.clock()
	pending := make([]Pending, 0, len(loaded))
	amounts := map[Ref]int64{}
	for _, l := range loaded {
		if !l.Found {
			continue
		}
		amounts[l.Ref] = l.Case.Refund.AmountMinor
		pending = append(pending, Pending{Ref: l.Ref, Version: l.Version, Assessment: set.Assess(l.Case, now)})
	}
	if err := p.guard(ctx, set, pending, now); err != nil {
		return err
	}
	for i := range pending {
		pd := &pending[i]
		body, err := json.Marshal(pd.Assessment)
		if err != nil {
			return fmt.Errorf("detector: encode assessment %s: %w", pd.RefundID, err)
		}
		pd.JSON, pd.Signature = body, signature(pd.Assessment)
	}
	p.m.assessments.Add(float64(len(pending)))
	saved, err := p.assessments.Save(ctx, pending)
	if err != nil {
		return fmt.Errorf("detector: save assessments: %w", err)
	}
	var out []event.Raw
	var changed []Pending
	var previous []rules.Decision
	for i, s := range saved {
		switch s.Outcome {
		case Stale:
			p.m.stale.Inc()
			continue
		case Unchanged:
			continue
		}
		pd := pending[i]
		ids := slices.Compact(slices.Sorted(slices.Values(causes[pd.Ref])))
		if ids == nil {
			ids = []string{} // event_ids is required: a re-assessment no event caused
		}
		msg, err := json.Marshal(Decision{Assessment: pd.Assessment, PreviousDecision: s.Previous, EventIDs: ids})
		if err != nil {
			return fmt.Errorf("detector: encode decision %s: %w", pd.RefundID, err)
		}
		// A shop with enforcement off is assessed for its staff, but its
		// refund workflow hears nothing.
		if pd.Assessment.Mode != rules.ModeOff {
			out = append(out, event.Raw{Key: []byte(pd.RefundID), Value: msg})
		}
		changed = append(changed, pd)
		previous = append(previous, s.Previous)
	}
	if len(changed) > 0 {
		if err := p.decisions.Publish(ctx, out); err != nil {
			return fmt.Errorf("detector: publish decisions: %w", err)
		}
		if err := p.assessments.MarkPublished(ctx, changed); err != nil {
			return fmt.Errorf("detector: mark published: %w", err)
		}
	}
	p.observe(arrived, events, changed, previous, amounts)
	return nil
}

// deadLetterMax bounds a dead letter's body: kafka-go's writer refuses
// messages over 1 MiB, and an oversized input must not jam the stream.
const deadLetterMax = 64 << 10

// decode splits a batch into valid events (with the index of the message each
// came from) and dead letters carrying the original bytes and the reason.
func (p *Processor) decode(batch []event.Raw) ([]event.Event, []int, []event.Raw) {
	events := make([]event.Event, 0, len(batch))
	origin := make([]int, 0, len(batch))
	var dead []event.Raw
	for i, m := range batch {
		kind, ok := p.topics[m.Topic]
		if !ok {
			kind = event.Kind("topic " + m.Topic)
		}
		ev, err := event.Decode(kind, m.Value)
		if err != nil {
			reason := event.ReasonBadJSON
			var inv *event.Invalid
			if errors.As(err, &inv) {
				reason = inv.Reason
			}
			p.m.invalid.WithLabelValues(reason).Inc()
			headers := map[string]string{
				"sellerguard-reason":           err.Error(),
				"sellerguard-reason-code":      reason,
				"sellerguard-source-topic":     m.Topic,
				"sellerguard-source-partition": strconv.Itoa(m.Partition),
				"sellerguard-source-offset":    strconv.FormatInt(m.Offset, 10),
			}
			value := m.Value
			if len(value) > deadLetterMax {
				// The dead-letter topic refuses what the input topic took:
				// keep the head, say how long it was.
				value = value[:deadLetterMax]
				headers["sellerguard-truncated-from"] = strconv.Itoa(len(m.Value))
			}
			dead = append(dead, event.Raw{Key: m.Key, Value: value, Headers: headers})
			continue
		}
		events = append(events, ev)
		origin = append(origin, i)
	}
	return events, origin, dead
}

// signature is what makes two assessments the same decision for publishing.
func signature(a rules.Assessment) string {
	b, _ := json.Marshal(struct {
		D rules.Decision
		S int
		R []rules.Reason
		A string
		M string
	}{a.Decision, a.Score, a.Reasons, a.Action, a.Mode})
	return string(b)
}

func (p *Processor) observe(arrived []time.Time, events []event.Event, changed []Pending,
	previous []rules.Decision, amounts map[Ref]int64) {
	now := p.clock()
	for i, ev := range events {
		p.m.events.WithLabelValues(string(ev.Kind())).Inc()
		if t := arrived[i]; !t.IsZero() {
			p.m.latency.Observe(now.Sub(t).Seconds())
		}
		p.m.eventAge.Observe(now.Sub(ev.Head().OccurredAt).Seconds())
	}
	for i, c := range changed {
		d, prev := c.Assessment.Decision, previous[i]
		p.m.decisions.WithLabelValues(string(d)).Inc()
		p.m.scores.Observe(float64(c.Assessment.Score))
		if prev != "" {
			p.m.reassessed.Inc()
		}
		switch {
		case d == rules.Block && prev != rules.Block:
			p.m.blocked.WithLabelValues("entered").Add(float64(amounts[c.Ref]))
		case d != rules.Block && prev == rules.Block:
			p.m.blocked.WithLabelValues("left").Add(float64(amounts[c.Ref]))
		}
		for _, r := range c.Assessment.Reasons {
			p.m.ruleHits.WithLabelValues(r.Rule).Inc()
		}
		for _, r := range c.Assessment.Suppressed {
			p.m.suppressed.WithLabelValues(r.Rule).Inc()
		}
	}
}

// lookupOffenders fills the loaded cases' Offenses in one call.
func (p *Processor) lookupOffenders(ctx context.Context, loaded []Loaded) error {
	if p.offenders == nil {
		return nil
	}
	idx := make([]int, 0, len(loaded))
	shops := make([]string, 0, len(loaded))
	cases := make([]rules.Case, 0, len(loaded))
	for i, l := range loaded {
		if l.Found {
			idx, shops, cases = append(idx, i), append(shops, l.Shop), append(cases, l.Case)
		}
	}
	if len(cases) == 0 {
		return nil
	}
	offs, err := p.offenders.LookupAll(ctx, shops, cases)
	if err != nil {
		return fmt.Errorf("detector: known offenders: %w", err)
	}
	for j, i := range idx {
		loaded[i].Case.Offenses = offs[j]
	}
	return nil
}

// guard caps automatic holds per rule and per shop each hour: a hold past a
// cap becomes a review, so one broken rule cannot hold a whole day's refunds.
// A refund admitted once stays held when assessed again; the hour is the
// wall clock's: this is an operational brake, not evidence.
func (p *Processor) guard(ctx context.Context, set *rules.Set, pending []Pending, now time.Time) error {
	if p.holds == nil {
		return nil
	}
	hour := now.UTC().Format("2006-01-02T15")
	var holds []Hold
	var which []int
	for i, pd := range pending {
		a := pd.Assessment
		if a.Decision != rules.Block || a.Mode == rules.ModeOff {
			continue
		}
		g := set.For(pd.Shop).Guardrails
		holds = append(holds, Hold{Shop: pd.Shop, Rule: rules.HoldScope(a), RefundID: pd.RefundID, Hour: hour,
			RuleCap: g.MaxHoldsPerRulePerHour, ShopCap: g.MaxHoldsPerShopPerHour})
		which = append(which, i)
	}
	if len(holds) == 0 {
		return nil
	}
	res, err := p.holds.Hold(ctx, holds)
	if err != nil {
		return fmt.Errorf("detector: count holds: %w", err)
	}
	for j, i := range which {
		if res[j].Admitted {
			continue
		}
		h, pd := holds[j], &pending[i]
		limit := h.RuleCap
		if res[j].Scope == "shop" {
			limit = h.ShopCap
		}
		set.For(pd.Shop).Guardrails.Release(&pd.Assessment, res[j].Scope, limit, res[j].Held, hour)
		p.m.guardrailTrips.WithLabelValues(res[j].Scope).Inc()
	}
	return nil
}
