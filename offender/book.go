package offender

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sellerguard/sellerguard/rules"
)

// Record is what is stored about one confirmed offender hash.
type Record struct {
	Kind string // the identifier kind the hash was made from
	// The earliest confirmation by any shop.
	Shop        string
	RefundID    string
	ConfirmedAt time.Time
	// ByShop holds every confirming shop's own earliest confirmation, so a
	// shop sees its own case even when another shop confirmed first.
	ByShop map[string]ShopConfirmation
}

// ShopConfirmation is one shop's earliest confirmation of a hash.
type ShopConfirmation struct {
	RefundID    string
	ConfirmedAt time.Time
}

// Store reads confirmed offenders (store.Redis implements it).
type Store interface {
	// Offenses returns the records of those hashes that were confirmed;
	// unknown hashes are absent from the map. One round trip.
	Offenses(ctx context.Context, hashes []string) (map[string]Record, error)
	// OffendersSince returns every hash recorded at or after after (all of
	// them for the zero time), and the time to pass next to get what came
	// later. The times are the store's own clock of recording, not
	// confirmation times, so a confirmation dated in the past is not missed.
	OffendersSince(ctx context.Context, after time.Time) ([]string, time.Time, error)
	// RecordHits remembers which refunds matched which hashes, so that a
	// withdrawal finds them again in every shop.
	RecordHits(ctx context.Context, hits []Hit) error
}

// Hit is a refund, of any shop, that a lookup matched to a confirmed hash.
type Hit struct {
	Hash, Shop, RefundID string
}

// Confirmation is one identifier hash a reviewer confirmed as fraud.
type Confirmation struct {
	Hash        string
	Kind        string
	Shop        string
	RefundID    string
	ConfirmedAt time.Time
}

// Writer stores confirmations (store.Redis implements it). It must be
// idempotent, keep every (shop, refund) confirmation of a hash and report,
// per hash and per shop, the earliest one still standing.
type Writer interface {
	// ConfirmOffenders records confirmations. One dated at or before a
	// withdrawal of its refund's confirmations is void.
	ConfirmOffenders(ctx context.Context, cs []Confirmation) error
	// WithdrawOffenders withdraws the confirmations a shop's refund made
	// (whatever hashes they were), dated up to upTo, or when upTo is zero up
	// to the time the store recorded when the refund's case was reopened.
	// Others' confirmations of the same hashes stand.
	WithdrawOffenders(ctx context.Context, shop, refundID string, upTo time.Time) (Withdrawal, error)
}

// Withdrawal is what withdrawing a refund's confirmations did.
type Withdrawal struct {
	Withdrawn int       // hashes whose confirmation by the refund was withdrawn now
	UpTo      time.Time // confirmations dated up to this are void; zero when no time was known
	// Hits are the refunds of every shop that lookups matched to the
	// withdrawn hashes: those whose known_offender may go with it.
	Hits []Hit
}

// RefreshOverlap is how far back of the last mark Refresh reads again, to
// cover clock steps on the store's side. Adding a hash twice is harmless.
const RefreshOverlap = time.Minute

// Book ties hasher, filter and store together for the detector and the API.
// Safe for concurrent use.
type Book struct {
	h      *Hasher
	f      *Filter
	store  Store
	writer Writer // store, when it can write; nil otherwise

	syncMu   sync.Mutex // serializes Load and Refresh, guards mark and loadedAt
	mark     time.Time  // pass to OffendersSince next
	loadedAt time.Time  // wall clock of the last Load

	lookups   *prometheus.CounterVec
	withdrawn prometheus.Counter
}

// Lookup outcomes, per identifier, in sellerguard_offender_lookups_total.
const (
	resultFiltered      = "filtered"       // the filter said no: no Redis read
	resultConfirmed     = "confirmed"      // the filter said maybe and Redis has it
	resultFalsePositive = "false_positive" // the filter said maybe, Redis does not have it
)

// NewBook builds a Book. store usually also implements Writer; without it
// Confirm fails. reg receives sellerguard_offender_filter_size and
// sellerguard_offender_lookups_total{result}.
func NewBook(h *Hasher, f *Filter, store Store, reg prometheus.Registerer) *Book {
	b := &Book{h: h, f: f, store: store,
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sellerguard_offender_lookups_total",
			Help: "Known-offender lookups per case identifier: filtered (bloom filter said no), confirmed (found in Redis), false_positive (filter said maybe, Redis had none).",
		}, []string{"result"})}
	b.withdrawn = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sellerguard_offender_withdrawals_total",
		Help: "Known-offender confirmations withdrawn (one per identifier hash) because the fraud verdict that made them was reopened.",
	})
	b.writer, _ = store.(Writer)
	for _, r := range []string{resultFiltered, resultConfirmed, resultFalsePositive} {
		b.lookups.WithLabelValues(r)
	}
	size := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sellerguard_offender_filter_size",
		Help: "Known-offender hashes in this process's bloom filter.",
	}, func() float64 { return float64(f.Len()) })
	reg.MustRegister(b.lookups, b.withdrawn, size)
	return b
}

// Hash is the keyed hash of one identifier.
func (b *Book) Hash(id Identifier) string { return b.h.Hash(id) }

// Load rebuilds the filter from every hash in the store. Call it once before
// the first Lookup (until then every lookup is filtered out) and now and then
// to shed the effects of growth.
func (b *Book) Load(ctx context.Context) error {
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	return b.load(ctx)
}

func (b *Book) load(ctx context.Context) error {
	var mark time.Time
	err := b.f.Rebuild(func() ([]string, error) {
		hashes, m, err := b.store.OffendersSince(ctx, time.Time{})
		mark = m
		return hashes, err
	})
	if err != nil {
		return fmt.Errorf("offender: load: %w", err)
	}
	b.mark, b.loadedAt = mark, time.Now()
	return nil
}

// Refresh adds the hashes recorded since the last Load or Refresh (by this
// or any other instance). Cheap: call it every few seconds. When the filter
// has outgrown its size it reloads instead.
func (b *Book) Refresh(ctx context.Context) error {
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	if b.loadedAt.IsZero() || b.f.overfull() {
		return b.load(ctx)
	}
	from := b.mark
	if !from.IsZero() {
		from = from.Add(-RefreshOverlap)
	}
	hashes, mark, err := b.store.OffendersSince(ctx, from)
	if err != nil {
		return fmt.Errorf("offender: refresh: %w", err)
	}
	for _, h := range hashes {
		b.f.Add(h)
	}
	if mark.After(b.mark) {
		b.mark = mark
	}
	return nil
}

// Run keeps the filter current until ctx ends: every refresh interval it
// refreshes, or loads when it has never loaded or its last load is older than
// reload. Errors are logged; the filter keeps what it has meanwhile.
func (b *Book) Run(ctx context.Context, refresh, reload time.Duration, log *slog.Logger) {
	t := time.NewTicker(refresh)
	defer t.Stop()
	for {
		b.syncMu.Lock()
		due := b.loadedAt.IsZero() || time.Since(b.loadedAt) >= reload
		b.syncMu.Unlock()
		var err error
		if due {
			err = b.Load(ctx)
		} else {
			err = b.Refresh(ctx)
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("known-offender filter not refreshed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Lookup finds the earlier confirmed frauds matching a case of shop: it
// hashes the case's identifiers, asks the filter, and confirms only the
// maybes, in one Store call (none when the filter says no to all).
func (b *Book) Lookup(ctx context.Context, shop string, c rules.Case) ([]rules.Offense, error) {
	out, err := b.LookupAll(ctx, []string{shop}, []rules.Case{c})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// LookupAll is Lookup for a batch of cases (cases[i] is a case of shops[i])
// with at most two Store calls for the whole batch (the lookup, and when
// something matched, RecordHits), so a detector batch costs a constant
// number of round trips. The result is parallel to cases.
//
// An offense carries the kind that matched and when it was confirmed. When
// the shop itself confirmed it, SameShop is set and RefundID names the
// refund (the shop's own earliest confirmation); otherwise the earliest
// confirmation by another shop is reported without its shop or refund. A
// confirmation of the case's own refund is not an earlier offense and is
// left out. Offenses are sorted by kind, then time.
func (b *Book) LookupAll(ctx context.Context, shops []string, cases []rules.Case) ([][]rules.Offense, error) {
	if len(shops) != len(cases) {
		return nil, fmt.Errorf("offender: lookup: %d shops for %d cases", len(shops), len(cases))
	}
	type probe struct {
		kind, hash string
	}
	probes := make([][]probe, len(cases))
	var maybes []string
	filtered := 0
	for i, c := range cases {
		for _, id := range Identifiers(c) {
			h := b.h.Hash(id)
			if !b.f.MayContain(h) {
				filtered++
				continue
			}
			probes[i] = append(probes[i], probe{id.Kind, h})
			maybes = append(maybes, h)
		}
	}
	b.lookups.WithLabelValues(resultFiltered).Add(float64(filtered))
	out := make([][]rules.Offense, len(cases))
	if len(maybes) == 0 {
		return out, nil
	}
	slices.Sort(maybes)
	recs, err := b.store.Offenses(ctx, slices.Compact(maybes))
	if err != nil {
		return nil, fmt.Errorf("offender: lookup: %w", err)
	}
	var hits []Hit
	for i, ps := range probes {
		for _, p := range ps {
			rec, ok := recs[p.hash]
			if !ok {
				b.lookups.WithLabelValues(resultFalsePositive).Inc()
				continue
			}
			b.lookups.WithLabelValues(resultConfirmed).Inc()
			if o, ok := offense(rec, p.kind, shops[i], cases[i]); ok {
				out[i] = append(out[i], o)
				hits = append(hits, Hit{Hash: p.hash, Shop: shops[i], RefundID: cases[i].Refund.RefundID})
			}
		}
		slices.SortFunc(out[i], func(a, b rules.Offense) int {
			return cmp.Or(cmp.Compare(a.Kind, b.Kind), a.ConfirmedAt.Compare(b.ConfirmedAt), cmp.Compare(a.RefundID, b.RefundID))
		})
	}
	if len(hits) > 0 {
		if err := b.store.RecordHits(ctx, hits); err != nil {
			return nil, fmt.Errorf("offender: lookup: record hits: %w", err)
		}
	}
	return out, nil
}

// offense is what a shop may see of a record; false when it is the case's
// own refund.
func offense(rec Record, kind, shop string, c rules.Case) (rules.Offense, bool) {
	if rec.Kind != "" {
		kind = rec.Kind
	}
	own, ok := rec.ByShop[shop]
	if !ok && rec.Shop == shop {
		own, ok = ShopConfirmation{RefundID: rec.RefundID, ConfirmedAt: rec.ConfirmedAt}, true
	}
	if ok {
		if c.Refund != nil && own.RefundID == c.Refund.RefundID {
			return rules.Offense{}, false
		}
		return rules.Offense{Kind: kind, ConfirmedAt: own.ConfirmedAt, SameShop: true, RefundID: own.RefundID}, true
	}
	return rules.Offense{Kind: kind, ConfirmedAt: rec.ConfirmedAt}, true
}

// Confirm records that the identifiers of a shop's refund were confirmed as
// fraud at at, in the store and in this process's filter (other instances
// pick it up on their next Refresh). Identifiers must be normalized (see
// Identifiers, AccountID, PhoneID, AddressID, SenderIDs). Idempotent; a
// confirmation dated at or before a withdrawal of the refund's
// confirmations is void (see Withdraw).
func (b *Book) Confirm(ctx context.Context, shop, refundID string, ids []Identifier, at time.Time) error {
	if b.writer == nil {
		return errors.New("offender: confirm: the store is read-only")
	}
	switch {
	case shop == "":
		return errors.New("offender: confirm: shop is required")
	case refundID == "":
		return errors.New("offender: confirm: refund id is required")
	case at.IsZero():
		return errors.New("offender: confirm: time is required")
	case len(ids) == 0:
		return errors.New("offender: confirm: no identifiers")
	}
	cs := make([]Confirmation, 0, len(ids))
	for _, id := range ids {
		if !id.Valid() {
			return fmt.Errorf("offender: confirm: invalid identifier %q/%q", id.Kind, id.Value)
		}
		cs = append(cs, Confirmation{Hash: b.h.Hash(id), Kind: id.Kind, Shop: shop, RefundID: refundID, ConfirmedAt: at})
	}
	if err := b.writer.ConfirmOffenders(ctx, cs); err != nil {
		return fmt.Errorf("offender: confirm: %w", err)
	}
	for _, c := range cs {
		b.f.Add(c.Hash)
	}
	return nil
}

// Withdraw withdraws the confirmations a shop's refund made (its fraud
// verdict was reopened), dated up to upTo or, when upTo is zero, up to the
// time the store recorded at reopening, from every hash the store recorded
// for the refund. Other refunds' and shops' confirmations stand. The filters keep
// the hashes: a hit is checked in the store, which no longer has them.
// Idempotent.
func (b *Book) Withdraw(ctx context.Context, shop, refundID string, upTo time.Time) (Withdrawal, error) {
	if b.writer == nil {
		return Withdrawal{}, errors.New("offender: withdraw: the store is read-only")
	}
	if shop == "" || refundID == "" {
		return Withdrawal{}, errors.New("offender: withdraw: shop and refund id are required")
	}
	w, err := b.writer.WithdrawOffenders(ctx, shop, refundID, upTo)
	if err != nil {
		return Withdrawal{}, fmt.Errorf("offender: withdraw: %w", err)
	}
	b.withdrawn.Add(float64(w.Withdrawn))
	return w, nil
}
