package store

// The staff workflow's state: who owns a case of the review queue, its
// deadline, its verdict, its audit log, and per-rule verdict counters for
// precision. Keys, after the shop prefix sg:{shop}: (one cluster slot with the
// queue and the assessments, so each step is one atomic script):
//
//	rv:<refund>  hash   status (open|closed), opened, deadline, owner, claimed,
//	                    verdict, note, by, at, day, rules, decision, fx
//	                    (verdict effects done), reopened
//	al:<refund>  list   audit log, JSON entries {at, by, action, verdict,
//	                    note, from, deadline, rules}, newest last, at most 500
//	vc:<day>     hash   <rule>|hits, <rule>|fraud, <rule>|legit, |fraud,
//	                    |legit: cases opened and verdicts given on that day
//	                    (China time, YYYY-MM-DD)
//	rvp          set    closed cases whose verdict effects are not done yet
//	ofr:<refund>, ofw   the known-offender confirmations a refund made and
//	                    the withdrawals pending (see offenders.go); reopening
//	                    a fraud case marks them
//
// and sg:review-shops (outside any slot), the shops the workflow has seen.
//
// Retention: rv and al expire with the retention window from their last
// write, except that a verdict is kept: a closed case's state has no TTL, and
// neither has a log that ever held a verdict. Reopening gives the state its
// TTL back (the log keeps the withdrawn verdict). Counters expire after
// reviewCounterTTL, enough for the 30-day precision window.
//
// Every script checks the state it changes, so repeating a step (a go-redis
// retry, a double click) changes nothing: a second claim by the owner is
// "already", a second identical verdict is "already" and counts once.
//
// api may not import store, so the row types are aliases of unnamed struct
// types: api declares the identical types under its own names, and
// *Redis satisfies api.ReviewStore without either package naming the other.

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sellerguard/sellerguard/review"
	"github.com/sellerguard/sellerguard/rules"
)

var (
	//go:embed lua/review_lib.lua
	reviewLib string
	//go:embed lua/review_open.lua
	reviewOpenSrc string
	//go:embed lua/review_claim.lua
	reviewClaimSrc string
	//go:embed lua/review_release.lua
	reviewReleaseSrc string
	//go:embed lua/review_verdict.lua
	reviewVerdictSrc string
	//go:embed lua/review_reopen.lua
	reviewReopenSrc string
	//go:embed lua/review_deadline.lua
	reviewDeadlineSrc string
	//go:embed lua/review_done.lua
	reviewDoneSrc string
)

// The review scripts: each is the shared prelude and its own body. They run
// by EVAL (source each time, like the offender scripts): staff actions are
// rare, and no script cache needs loading after a restart.
var (
	reviewOpenScript     = reviewLib + reviewOpenSrc
	reviewClaimScript    = reviewLib + reviewClaimSrc
	reviewReleaseScript  = reviewLib + reviewReleaseSrc
	reviewVerdictScript  = reviewLib + reviewVerdictSrc
	reviewReopenScript   = reviewLib + reviewReopenSrc
	reviewDeadlineScript = reviewLib + reviewDeadlineSrc
	reviewDoneScript     = reviewLib + reviewDoneSrc
)

// reviewShopsKey lists the shops whose queue the workflow has seen.
const reviewShopsKey = "sg:review-shops"

// reviewCounterTTL keeps a day's verdict counters past the 30-day window.
const reviewCounterTTL = 40 * 24 * time.Hour

// reviewTime is fixed-width UTC with milliseconds, so scripts compare times
// as strings.
const reviewTime = "2006-01-02T15:04:05.000Z"

// ReviewDay is the calendar day (China time) a verdict or an opening counts
// on, as the vc:<day> counters are named.
func ReviewDay(t time.Time) string { return t.In(chinaTime).Format(time.DateOnly) }

var chinaTime = time.FixedZone("CST", 8*60*60)

func reviewKeys(shop, refundID string) (pfx, rv, al string) {
	pfx = prefix(shop)
	return pfx, pfx + "rv:" + refundID, pfx + "al:" + refundID
}

func fmtReviewTime(t time.Time) string { return t.UTC().Format(reviewTime) }

func ttlSeconds(d time.Duration) int64 { return int64(d / time.Second) }

// ReviewCases reads up to limit cases of a shop's review queue, most urgent
// first by the queue's order, each with its assessment, refund and state.
// Two round trips.
func (r *Redis) ReviewCases(ctx context.Context, shop string, limit int) ([]review.Row, error) {
	if limit <= 0 {
		return nil, nil
	}
	var cmd *redis.ZSliceCmd
	if _, err := r.pipeline(ctx, "review_read", func(p redis.Pipeliner) {
		cmd = p.ZRevRangeWithScores(ctx, prefix(shop)+"q", 0, int64(limit-1))
	}); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(cmd.Val()))
	for _, z := range cmd.Val() {
		ids = append(ids, z.Member.(string))
	}
	return r.ReviewRows(ctx, shop, ids)
}

// ReviewRows reads the given refunds of one shop as the workflow sees them,
// in one round trip. A refund unknown to the shop comes back with nil
// Assessment and Refund and an empty state.
func (r *Redis) ReviewRows(ctx context.Context, shop string, ids []string) ([]review.Row, error) {
	if len(ids) == 0 {
		return []review.Row{}, nil
	}
	pfx := prefix(shop)
	type cmds struct {
		score       *redis.FloatCmd
		assess, ref *redis.StringCmd
		state       *redis.MapStringStringCmd
	}
	cs := make([]cmds, len(ids))
	if _, err := r.pipeline(ctx, "review_read", func(p redis.Pipeliner) {
		for i, id := range ids {
			cs[i] = cmds{
				score:  p.ZScore(ctx, pfx+"q", id),
				assess: p.HGet(ctx, pfx+"a:"+id, "json"),
				ref:    p.HGet(ctx, pfx+"r:"+id, "f:body"),
				state:  p.HGetAll(ctx, pfx+"rv:"+id),
			}
		}
	}); err != nil {
		return nil, err
	}
	out := make([]review.Row, len(ids))
	for i, id := range ids {
		row := review.Row{RefundID: id}
		if s, err := cs[i].score.Result(); err == nil {
			row.Queued, row.QueueScore = true, s
		}
		if b, err := cs[i].assess.Result(); err == nil {
			row.Assessment = []byte(b)
		}
		if b, err := cs[i].ref.Result(); err == nil {
			row.Refund = []byte(b)
		}
		st, err := parseReviewState(cs[i].state.Val())
		if err != nil {
			return nil, fmt.Errorf("store: review state of %s: %w", id, err)
		}
		row.State = st
		out[i] = row
	}
	return out, nil
}

func parseReviewState(h map[string]string) (review.State, error) {
	var s review.State
	if len(h) == 0 {
		return s, nil
	}
	s.Status, s.Owner, s.Verdict, s.Note, s.DecidedBy, s.Decision = h["status"], h["owner"], h["verdict"], h["note"], h["by"], h["decision"]
	for name, dst := range map[string]*time.Time{"opened": &s.OpenedAt, "deadline": &s.Deadline, "claimed": &s.ClaimedAt, "at": &s.DecidedAt} {
		v := h[name]
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return s, fmt.Errorf("%s: %w", name, err)
		}
		*dst = t
	}
	if v := h["rules"]; v != "" {
		s.Rules = strings.Fields(v)
	}
	if v := h["reopened"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return s, fmt.Errorf("reopened: %w", err)
		}
		s.Reopened = n
	}
	s.Pending = s.Status == "closed" && h["fx"] == "0"
	return s, nil
}

// OpenReviewCases opens cases the workflow sees for the first time (cases
// open already are left as they are), counts one hit per rule on the opening
// day, and records the shop in sg:review-shops. One round trip.
func (r *Redis) OpenReviewCases(ctx context.Context, shop string, opens []review.Open) error {
	if len(opens) == 0 {
		return nil
	}
	ttl, cttl := ttlSeconds(r.cfg.Retention), ttlSeconds(reviewCounterTTL)
	var cmds []*redis.Cmd
	_, err := r.pipeline(ctx, "review_open", func(p redis.Pipeliner) {
		cmds = cmds[:0]
		p.SAdd(ctx, reviewShopsKey, shop)
		for _, o := range opens {
			pfx, rv, al := reviewKeys(shop, o.RefundID)
			args := []any{fmtReviewTime(o.OpenedAt), fmtReviewTime(o.Deadline), ttl, cttl}
			for _, rule := range o.Rules {
				args = append(args, rule)
			}
			cmds = append(cmds, p.Eval(ctx, reviewOpenScript, []string{rv, al, pfx + "vc:" + ReviewDay(o.OpenedAt)}, args...))
		}
	})
	if err != nil {
		return err
	}
	for _, c := range cmds {
		if err := c.Err(); err != nil {
			return fmt.Errorf("store: open review case: %w", err)
		}
	}
	return nil
}

// AddReviewShop records a shop in sg:review-shops (idempotent).
func (r *Redis) AddReviewShop(ctx context.Context, shop string) error {
	_, err := r.pipeline(ctx, "review_open", func(p redis.Pipeliner) {
		p.SAdd(ctx, reviewShopsKey, shop)
		p.Expire(ctx, reviewShopsKey, r.cfg.Retention)
	})
	return err
}

// ReviewShops lists the shops the workflow has seen, sorted.
func (r *Redis) ReviewShops(ctx context.Context) ([]string, error) {
	var cmd *redis.StringSliceCmd
	if _, err := r.pipeline(ctx, "review_read", func(p redis.Pipeliner) {
		cmd = p.SMembers(ctx, reviewShopsKey)
	}); err != nil {
		return nil, err
	}
	shops := cmd.Val()
	slices.Sort(shops)
	return shops, nil
}

// step runs one review script and decodes its {code, detail, state...} reply.
func (r *Redis) step(ctx context.Context, op, src string, keys []string, args ...any) (review.Step, error) {
	var cmd *redis.Cmd
	if _, err := r.pipeline(ctx, op, func(p redis.Pipeliner) {
		cmd = p.Eval(ctx, src, keys, args...)
	}); err != nil {
		return review.Step{}, err
	}
	res, err := cmd.Slice()
	if err != nil || len(res) < 2 {
		return review.Step{}, fmt.Errorf("store: %s: unexpected reply %v: %w", op, res, err)
	}
	out := review.Step{}
	out.Outcome, _ = res[0].(string)
	out.Detail, _ = res[1].(string)
	h := make(map[string]string, (len(res)-2)/2)
	for i := 2; i+1 < len(res); i += 2 {
		k, _ := res[i].(string)
		v, _ := res[i+1].(string)
		h[k] = v
	}
	if out.State, err = parseReviewState(h); err != nil {
		return review.Step{}, fmt.Errorf("store: %s: %w", op, err)
	}
	return out, nil
}

// ClaimReviewCase gives an open, queued case to who, unless someone owns it.
// Outcomes: ok, already (who owns it), taken (Detail: the owner), closed,
// not_queued (it left the queue), not_opened (open it first).
func (r *Redis) ClaimReviewCase(ctx context.Context, shop, refundID, who string, at time.Time) (review.Step, error) {
	pfx, rv, al := reviewKeys(shop, refundID)
	return r.step(ctx, "review_claim", reviewClaimScript, []string{rv, al, pfx + "q"},
		refundID, who, fmtReviewTime(at), ttlSeconds(r.cfg.Retention))
}

// ReleaseReviewCase ends who's claim; force ends anyone's. Outcomes: ok,
// unclaimed, not_owner (Detail: the owner), closed, not_opened.
func (r *Redis) ReleaseReviewCase(ctx context.Context, shop, refundID, who string, force bool, at time.Time) (review.Step, error) {
	_, rv, al := reviewKeys(shop, refundID)
	f := "0"
	if force {
		f = "1"
	}
	return r.step(ctx, "review_release", reviewReleaseScript, []string{rv, al}, who, fmtReviewTime(at), ttlSeconds(r.cfg.Retention), f)
}

// DecideReviewCase closes the case who owns with a verdict ("fraud" or
// "legit") and a note, counts it for each rule of the stored assessment on
// at's day, and marks its effects pending (see ReviewEffectsDone). Outcomes:
// ok, already (the same verdict by who: a retry), closed (Detail: the
// verdict), unclaimed, not_owner (Detail: the owner), not_opened.
func (r *Redis) DecideReviewCase(ctx context.Context, shop, refundID, who, verdict, note string, at time.Time) (review.Step, error) {
	if verdict != "fraud" && verdict != "legit" {
		return review.Step{}, fmt.Errorf("store: verdict %q is not fraud or legit", verdict)
	}
	pfx, rv, al := reviewKeys(shop, refundID)
	day := ReviewDay(at)
	return r.step(ctx, "review_verdict", reviewVerdictScript,
		[]string{rv, al, pfx + "a:" + refundID, pfx + "rvp", pfx + "vc:" + day},
		refundID, who, fmtReviewTime(at), verdict, note, day, ttlSeconds(r.cfg.Retention), ttlSeconds(reviewCounterTTL))
}

// ReopenReviewCase reopens a closed case with a new deadline, withdrawing
// its verdict from the counters. A fraud verdict's known-offender
// confirmations are marked withdrawn up to at (or the verdict's time, if
// later), and the withdrawal pending: carry it out with WithdrawOffenders,
// then OffenderWithdrawalDone (PendingOffenderWithdrawals lists those left
// undone). Outcomes: ok (Detail: the withdrawn verdict), open (it was not
// closed), not_opened.
func (r *Redis) ReopenReviewCase(ctx context.Context, shop, refundID, who, note string, at, deadline time.Time) (review.Step, error) {
	pfx, rv, al := reviewKeys(shop, refundID)
	return r.step(ctx, "review_reopen", reviewReopenScript,
		[]string{rv, al, pfx + "rvp", offenderRefundKey(shop, refundID), offenderWithdrawalsKey(shop)},
		refundID, who, fmtReviewTime(at), note, fmtReviewTime(deadline), ttlSeconds(r.cfg.Retention), pfx, at.UnixMilli())
}

// SetReviewDeadline moves an open case's deadline. Outcomes: ok, closed,
// not_opened.
func (r *Redis) SetReviewDeadline(ctx context.Context, shop, refundID, who string, deadline, at time.Time) (review.Step, error) {
	_, rv, al := reviewKeys(shop, refundID)
	return r.step(ctx, "review_deadline", reviewDeadlineScript, []string{rv, al}, who, fmtReviewTime(at),
		fmtReviewTime(deadline), ttlSeconds(r.cfg.Retention))
}

// ReviewEffectsDone records that the verdict given at decidedAt had its
// effects; a verdict since withdrawn or replaced is left alone. Reports
// whether it marked anything.
func (r *Redis) ReviewEffectsDone(ctx context.Context, shop, refundID, verdict string, decidedAt time.Time) (bool, error) {
	pfx, rv, _ := reviewKeys(shop, refundID)
	var cmd *redis.Cmd
	if _, err := r.pipeline(ctx, "review_done", func(p redis.Pipeliner) {
		cmd = p.Eval(ctx, reviewDoneScript, []string{rv, pfx + "rvp"}, refundID, verdict, fmtReviewTime(decidedAt))
	}); err != nil {
		return false, err
	}
	n, err := cmd.Int()
	if err != nil {
		return false, fmt.Errorf("store: review done: %w", err)
	}
	return n == 1, nil
}

// PendingReviewEffects lists a shop's closed cases whose verdict effects are
// not done yet, sorted.
func (r *Redis) PendingReviewEffects(ctx context.Context, shop string) ([]string, error) {
	var cmd *redis.StringSliceCmd
	if _, err := r.pipeline(ctx, "review_read", func(p redis.Pipeliner) {
		cmd = p.SMembers(ctx, prefix(shop)+"rvp")
	}); err != nil {
		return nil, err
	}
	ids := cmd.Val()
	slices.Sort(ids)
	return ids, nil
}

// ReviewAudit returns a case's audit log, oldest first: JSON objects with
// at, by, action (opened, claimed, released, verdict, reopened, deadline)
// and, depending on the action, verdict, note, from, deadline, rules.
func (r *Redis) ReviewAudit(ctx context.Context, shop, refundID string) ([]string, error) {
	_, _, al := reviewKeys(shop, refundID)
	var cmd *redis.StringSliceCmd
	if _, err := r.pipeline(ctx, "review_read", func(p redis.Pipeliner) {
		cmd = p.LRange(ctx, al, 0, -1)
	}); err != nil {
		return nil, err
	}
	return cmd.Val(), nil
}

// ReviewCounters reads the counters of the given days (see ReviewDay), in
// one round trip: per day, field → count, with fields <rule>|hits,
// <rule>|fraud, <rule>|legit and the totals |fraud, |legit.
func (r *Redis) ReviewCounters(ctx context.Context, shop string, days []string) ([]map[string]int64, error) {
	pfx := prefix(shop)
	cmds := make([]*redis.MapStringStringCmd, len(days))
	if _, err := r.pipeline(ctx, "review_read", func(p redis.Pipeliner) {
		for i, d := range days {
			cmds[i] = p.HGetAll(ctx, pfx+"vc:"+d)
		}
	}); err != nil {
		return nil, err
	}
	out := make([]map[string]int64, len(days))
	for i, c := range cmds {
		m := make(map[string]int64, len(c.Val()))
		for k, v := range c.Val() {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("store: review counters %s %s: %w", days[i], k, err)
			}
			m[k] = n
		}
		out[i] = m
	}
	return out, nil
}

// SearchRefunds finds a shop's refunds by what staff type into one box: a
// refund id, an order id, a return waybill number (as typed: it is
// normalized) or a buyer id. The answer maps how it matched (refund, order,
// waybill, buyer) to refund ids, sorted; kinds without a match are absent.
// One round trip.
func (r *Redis) SearchRefunds(ctx context.Context, shop, q string) (map[string][]string, error) {
	q = strings.TrimSpace(q)
	out := map[string][]string{}
	if q == "" {
		return out, nil
	}
	pfx := prefix(shop)
	var refund *redis.IntCmd
	var order, waybill, buyer *redis.StringSliceCmd
	var linked *redis.StringCmd
	trk := rules.NormalizeTracking(q)
	if _, err := r.pipeline(ctx, "review_search", func(p redis.Pipeliner) {
		refund = p.Exists(ctx, pfx+"r:"+q)
		order = p.HKeys(ctx, pfx+"or:"+q)
		buyer = p.HKeys(ctx, pfx+"br:"+q)
		if trk != "" {
			waybill = p.HKeys(ctx, pfx+"wb:"+trk)
			linked = p.HGet(ctx, pfx+"p:"+trk, "f:refund_id")
		}
	}); err != nil {
		return nil, err
	}
	if refund.Val() == 1 {
		out["refund"] = []string{q}
	}
	add := func(kind string, ids []string) {
		if len(ids) > 0 {
			slices.Sort(ids)
			out[kind] = slices.Compact(ids)
		}
	}
	add("order", order.Val())
	add("buyer", buyer.Val())
	if waybill != nil {
		ids := waybill.Val()
		// The refund the warehouse linked the parcel to, when none named it.
		var id string
		if v, err := linked.Result(); err == nil && json.Unmarshal([]byte(v), &id) == nil && id != "" {
			ids = append(ids, id)
		}
		add("waybill", ids)
	}
	return out, nil
}

// ParcelSources returns, for each field of a return parcel the courier or
// the warehouse reported (status, weight_g, inspection, sender, ...), the
// event it came from as "occurred_at|event_id". The waybill is normalized as
// the refunds name it.
func (r *Redis) ParcelSources(ctx context.Context, shop, trackingNo string) (map[string]string, error) {
	trk := parcelID(trackingNo)
	var cmd *redis.MapStringStringCmd
	if _, err := r.pipeline(ctx, "review_read", func(p redis.Pipeliner) {
		cmd = p.HGetAll(ctx, prefix(shop)+"p:"+trk)
	}); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range cmd.Val() {
		if f, ok := strings.CutPrefix(k, "v:"); ok {
			out[f] = v
		}
	}
	return out, nil
}
