package store

// Known offenders: hashes of identifiers (accounts, phones, addresses, return
// senders) that a reviewer confirmed as fraud. They are shared across shops,
// so their keys live outside every shop's slot and hold only keyed hashes
// (offender.Hasher), never a raw identifier:
//
//	sg:offender:<hash>  hash    every confirmation, c:<n>:<shop><refund> =
//	                            "<first>|<last>" (n: the shop id's length);
//	                            tombstones of withdrawals, w:<n>:<shop><refund>
//	                            = "<up to>"; and derived from the confirmations
//	                            (what lookups read): kind, shop, refund,
//	                            confirmed_at, the earliest by any shop, and
//	                            s:<shop> = "<confirmed_at>|<refund>", each
//	                            confirming shop's own earliest
//	sg:offhit:<hash>    set     ["shop","refund"] of every refund a lookup
//	                            matched to the hash (retention TTL): whom a
//	                            withdrawal assesses again, in every shop
//	sg:offenders        zset    every hash, scored by when Redis first recorded
//	                            it (unix ms, Redis's clock): the feed that keeps
//	                            each process's bloom filter current
//
// and, in the confirming shop's slot (after sg:{shop}:):
//
//	ofr:<refund>        hash    h:<hash> = the newest time the refund
//	                            confirmed it; w = the time up to which its
//	                            confirmations are withdrawn (set by reopening
//	                            a fraud case)
//	ofw                 zset    refunds whose withdrawal is not done yet,
//	                            scored by when the case was reopened (unix ms)
//
// The earliest confirmation is derived again after every change (ties: the
// smaller shop, then refund id), so confirming again, in any order, ends in
// the same record. Withdrawing a refund removes its confirmations dated up to
// w from each hash it confirmed (read from ofr, not from the case, whose
// identifiers may have changed since) and leaves a tombstone there, so a
// late confirmation dated before w stays void whichever arrives first; a new
// verdict is dated after w and counts. A hash with no confirmation left reads
// as never confirmed; it stays in the feed (a filter hit is checked in Redis).
// The feed is scored by recording time rather than confirmation time so that
// a confirmation dated in the past, or written by a host whose clock is
// behind, still reaches every filter on its next refresh.
//
// Retention: none. Unlike facts these keys have no TTL: they are verdicts,
// and a verdict does not age out with the retention window (Redis must not
// evict them either: keep maxmemory-policy noeviction or volatile-*). Each
// hash costs about 370 bytes (measured on Redis 7.0: record ~240, feed
// member ~130); each further confirmation adds a short field or two, each
// withdrawal a tombstone, and each refund's index one field per hash it
// confirmed.

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sellerguard/sellerguard/offender"
)

const offendersKey = "sg:offenders"

func offenderKey(hash string) string { return "sg:offender:" + hash }

// offenderTime is fixed-width UTC with milliseconds (valid RFC 3339), so the
// script compares two times as strings.
const offenderTime = "2006-01-02T15:04:05.000Z07:00"

// offendersSincePage bounds one reply of OffendersSince.
const offendersSincePage = 10000

var (
	//go:embed lua/offender_lib.lua
	offenderLib string
	//go:embed lua/offender_confirm.lua
	offenderConfirmBody string
	//go:embed lua/offender_withdraw.lua
	offenderWithdrawBody string
)

// The record scripts: the shared prelude and a body, run by EVAL (source
// each time, like the review scripts): confirmations are rare.
var (
	confirmOffenderSrc  = offenderLib + offenderConfirmBody
	withdrawOffenderSrc = offenderLib + offenderWithdrawBody
)

// indexOffendersSrc records which hashes a refund confirmed, unless the
// confirmation is dated at or before the refund's withdrawal.
// KEYS[1] ofr:<refund>; ARGV confirmed_at, hashes. Returns 1, or 0 when void.
const indexOffendersSrc = `
local at = ARGV[1]
local w = redis.call('HGET', KEYS[1], 'w')
if w and at <= w then
  return 0
end
for i = 2, #ARGV do
  local f = 'h:' .. ARGV[i]
  local cur = redis.call('HGET', KEYS[1], f)
  if not cur or cur < at then
    redis.call('HSET', KEYS[1], f, at)
  end
end
return 1
`

// startWithdrawalSrc raises the refund's withdrawal time to up_to (when
// given) and returns it with every hash the refund confirmed; {} when no
// withdrawal was ever asked for.
// KEYS[1] ofr:<refund>; ARGV up_to or "".
const startWithdrawalSrc = `
local w = redis.call('HGET', KEYS[1], 'w')
if ARGV[1] ~= '' and (not w or w < ARGV[1]) then
  w = ARGV[1]
  redis.call('HSET', KEYS[1], 'w', w)
end
if not w then
  return {}
end
local out = {w}
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(f, 1, 2) == 'h:' then
    out[#out + 1] = string.sub(f, 3)
  end
end
return out
`

// withdrawalDoneSrc forgets the hashes whose confirmation up to up_to was
// withdrawn and, unless a later reopen raised the withdrawal time, takes
// the refund off the pending list.
// KEYS[1] ofr:<refund>, KEYS[2] ofw; ARGV refund, up_to. Returns 1 when done.
const withdrawalDoneSrc = `
local h = redis.call('HGETALL', KEYS[1])
for i = 1, #h, 2 do
  if string.sub(h[i], 1, 2) == 'h:' and h[i + 1] <= ARGV[2] then
    redis.call('HDEL', KEYS[1], h[i])
  end
end
local w = redis.call('HGET', KEYS[1], 'w')
if w and w > ARGV[2] then
  return 0
end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`

// feedOffendersSrc adds new hashes to the feed at Redis's time; hashes
// already there keep their score, so a page read by offset never skips one.
// KEYS[1] feed; ARGV hashes.
const feedOffendersSrc = `
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = 0
for _, h in ipairs(ARGV) do
  if not redis.call('ZSCORE', KEYS[1], h) then
    redis.call('ZADD', KEYS[1], ms, h)
    n = n + 1
  end
end
return n
`

// offenderRefundKey indexes the hashes a refund of the shop confirmed; it
// lives in the shop's slot, so reopening the case marks its withdrawal in
// the same script.
func offenderRefundKey(shop, refundID string) string { return prefix(shop) + "ofr:" + refundID }

// offenderWithdrawalsKey lists a shop's withdrawals not done yet.
func offenderWithdrawalsKey(shop string) string { return prefix(shop) + "ofw" }

// ConfirmOffenders stores confirmations (offender.Writer). Idempotent: each
// key is written by one script, so a retry or a repeat changes nothing. A
// confirmation dated at or before a withdrawal of its refund's
// confirmations is void (a late retry of a withdrawn verdict) and skipped.
//
// Two round trips: first each refund's index, so that a withdrawal finds
// every hash the refund confirmed and a void confirmation goes no further
// (in a Cluster one pipeline's commands to different nodes run in no fixed
// order); then the feed and the records. The feed goes first: a hash in the
// feed without its record reads as unconfirmed, which is harmless.
func (r *Redis) ConfirmOffenders(ctx context.Context, cs []offender.Confirmation) error {
	if len(cs) == 0 {
		return nil
	}
	type group struct {
		shop, refund, at string
		idx              []int // into cs
	}
	var groups []*group
	byKey := map[[3]string]*group{}
	for i, c := range cs {
		switch {
		case c.Hash == "" || c.Kind == "" || c.Shop == "" || c.RefundID == "":
			return fmt.Errorf("store: confirm offenders: hash, kind, shop and refund are required (%+v)", c)
		case c.ConfirmedAt.IsZero():
			return fmt.Errorf("store: confirm offenders: %s: confirmation time is required", c.Hash)
		}
		k := [3]string{c.Shop, c.RefundID, c.ConfirmedAt.UTC().Format(offenderTime)}
		g := byKey[k]
		if g == nil {
			g = &group{shop: k[0], refund: k[1], at: k[2]}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.idx = append(g.idx, i)
	}
	idxCmds := make([]*redis.Cmd, len(groups))
	if _, err := r.pipeline(ctx, "offender_confirm", func(p redis.Pipeliner) {
		for i, g := range groups {
			args := []any{g.at}
			for _, j := range g.idx {
				args = append(args, cs[j].Hash)
			}
			idxCmds[i] = p.Eval(ctx, indexOffendersSrc, []string{offenderRefundKey(g.shop, g.refund)}, args...)
		}
	}); err != nil {
		return err
	}
	var live []offender.Confirmation
	for i, c := range idxCmds {
		n, err := c.Int()
		if err != nil {
			return fmt.Errorf("store: confirm offenders: index: %w", err)
		}
		if n == 1 {
			for _, j := range groups[i].idx {
				live = append(live, cs[j])
			}
		}
	}
	if len(live) == 0 {
		return nil
	}
	hashes := make([]any, len(live))
	for i, c := range live {
		hashes[i] = c.Hash
	}
	cmds := make([]*redis.Cmd, 0, len(live)+1)
	_, err := r.pipeline(ctx, "offender_confirm", func(p redis.Pipeliner) {
		cmds = append(cmds[:0], p.Eval(ctx, feedOffendersSrc, []string{offendersKey}, hashes...))
		for _, c := range live {
			cmds = append(cmds, p.Eval(ctx, confirmOffenderSrc, []string{offenderKey(c.Hash)},
				c.Kind, c.Shop, c.RefundID, c.ConfirmedAt.UTC().Format(offenderTime)))
		}
	})
	if err != nil {
		return err
	}
	for _, c := range cmds {
		if err := c.Err(); err != nil {
			return fmt.Errorf("store: confirm offenders: %w", err)
		}
	}
	return nil
}

// WithdrawOffenders withdraws the confirmations a shop's refund made, dated
// up to upTo, or when upTo is zero up to the time reopening its fraud case
// recorded (offender.Writer): from every hash the refund's index holds.
// Nothing is withdrawn when no time is known.
// Idempotent; two round trips. Call OffenderWithdrawalDone once everything
// that follows from it is done.
func (r *Redis) WithdrawOffenders(ctx context.Context, shop, refundID string, upTo time.Time) (offender.Withdrawal, error) {
	if shop == "" || refundID == "" {
		return offender.Withdrawal{}, errors.New("store: withdraw offenders: shop and refund are required")
	}
	arg := ""
	if !upTo.IsZero() {
		arg = upTo.UTC().Format(offenderTime)
	}
	var start *redis.Cmd
	if _, err := r.pipeline(ctx, "offender_withdraw", func(p redis.Pipeliner) {
		start = p.Eval(ctx, startWithdrawalSrc, []string{offenderRefundKey(shop, refundID)}, arg)
	}); err != nil {
		return offender.Withdrawal{}, err
	}
	res, err := start.StringSlice()
	if err != nil {
		return offender.Withdrawal{}, fmt.Errorf("store: withdraw offenders: %w", err)
	}
	if len(res) == 0 {
		return offender.Withdrawal{}, nil
	}
	w := res[0]
	at, err := time.Parse(time.RFC3339, w)
	if err != nil {
		return offender.Withdrawal{}, fmt.Errorf("store: withdraw offenders: time %q: %w", w, err)
	}
	targets := res[1:]
	out := offender.Withdrawal{UpTo: at}
	if len(targets) == 0 {
		return out, nil
	}
	cmds := make([]*redis.Cmd, len(targets))
	hits := make([]*redis.StringSliceCmd, len(targets))
	if _, err := r.pipeline(ctx, "offender_withdraw", func(p redis.Pipeliner) {
		for i, h := range targets {
			cmds[i] = p.Eval(ctx, withdrawOffenderSrc, []string{offenderKey(h)}, shop, refundID, w)
			hits[i] = p.SMembers(ctx, offenderHitsKey(h))
		}
	}); err != nil {
		return offender.Withdrawal{}, err
	}
	for i, c := range cmds {
		n, err := c.Int()
		if err != nil {
			return offender.Withdrawal{}, fmt.Errorf("store: withdraw offenders: %w", err)
		}
		out.Withdrawn += n
		for _, m := range hits[i].Val() {
			var ref [2]string
			if err := json.Unmarshal([]byte(m), &ref); err != nil {
				return offender.Withdrawal{}, fmt.Errorf("store: withdraw offenders: hit %q: %w", m, err)
			}
			out.Hits = append(out.Hits, offender.Hit{Hash: targets[i], Shop: ref[0], RefundID: ref[1]})
		}
	}
	return out, nil
}

// offenderHitsKey lists the refunds, of every shop, that lookups matched to
// a hash: ["shop","refund"] members, kept for the retention window from the
// last match.
func offenderHitsKey(hash string) string { return "sg:offhit:" + hash }

// RecordHits remembers which refunds matched which hashes (offender.Store),
// so that withdrawing a hash's confirmation assesses them again in every
// shop. Only matches are recorded, which are rare: one round trip then.
func (r *Redis) RecordHits(ctx context.Context, hits []offender.Hit) error {
	if len(hits) == 0 {
		return nil
	}
	_, err := r.pipeline(ctx, "offender_hits", func(p redis.Pipeliner) {
		for _, h := range hits {
			k := offenderHitsKey(h.Hash)
			p.SAdd(ctx, k, mustJSON([2]string{h.Shop, h.RefundID}))
			p.Expire(ctx, k, r.cfg.Retention)
		}
	})
	return err
}

// OffenderWithdrawalDone records that the withdrawal up to upTo of a
// refund's confirmations is done (and what follows it, re-assessment): the
// refund leaves the pending list unless a later reopen asked for more.
// Reports whether it left.
func (r *Redis) OffenderWithdrawalDone(ctx context.Context, shop, refundID string, upTo time.Time) (bool, error) {
	var cmd *redis.Cmd
	if _, err := r.pipeline(ctx, "offender_withdraw", func(p redis.Pipeliner) {
		cmd = p.Eval(ctx, withdrawalDoneSrc, []string{offenderRefundKey(shop, refundID), offenderWithdrawalsKey(shop)},
			refundID, upTo.UTC().Format(offenderTime))
	}); err != nil {
		return false, err
	}
	n, err := cmd.Int()
	if err != nil {
		return false, fmt.Errorf("store: offender withdrawal done: %w", err)
	}
	return n == 1, nil
}

// PendingOffenderWithdrawals lists a shop's refunds whose case was reopened
// before before and whose withdrawal is not done yet, oldest first.
func (r *Redis) PendingOffenderWithdrawals(ctx context.Context, shop string, before time.Time) ([]string, error) {
	var cmd *redis.StringSliceCmd
	if _, err := r.pipeline(ctx, "offender_withdraw", func(p redis.Pipeliner) {
		cmd = p.ZRangeByScore(ctx, offenderWithdrawalsKey(shop), &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(before.UnixMilli(), 10)})
	}); err != nil {
		return nil, err
	}
	return cmd.Val(), nil
}

// Offenses reads the records of those hashes that were confirmed
// (offender.Store), in one round trip.
func (r *Redis) Offenses(ctx context.Context, hashes []string) (map[string]offender.Record, error) {
	if len(hashes) == 0 {
		return map[string]offender.Record{}, nil
	}
	cmds := make([]*redis.MapStringStringCmd, len(hashes))
	if _, err := r.pipeline(ctx, "offender_lookup", func(p redis.Pipeliner) {
		for i, h := range hashes {
			cmds[i] = p.HGetAll(ctx, offenderKey(h))
		}
	}); err != nil {
		return nil, err
	}
	out := make(map[string]offender.Record, len(hashes))
	for i, c := range cmds {
		m, err := c.Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("store: offenses: %w", err)
		}
		if m["confirmed_at"] == "" {
			continue // never confirmed, or every confirmation withdrawn
		}
		rec, err := parseOffender(m)
		if err != nil {
			return nil, fmt.Errorf("store: offenses: %s: %w", hashes[i], err)
		}
		out[hashes[i]] = rec
	}
	return out, nil
}

func parseOffender(m map[string]string) (offender.Record, error) {
	at, err := time.Parse(time.RFC3339, m["confirmed_at"])
	if err != nil {
		return offender.Record{}, fmt.Errorf("confirmed_at: %w", err)
	}
	rec := offender.Record{Kind: m["kind"], Shop: m["shop"], RefundID: m["refund"], ConfirmedAt: at}
	for f, v := range m {
		shop, ok := strings.CutPrefix(f, "s:")
		if !ok {
			continue
		}
		ts, refund, ok := strings.Cut(v, "|")
		t, err := time.Parse(time.RFC3339, ts)
		if !ok || err != nil {
			return offender.Record{}, fmt.Errorf("%s: bad value %q", f, v)
		}
		if rec.ByShop == nil {
			rec.ByShop = map[string]offender.ShopConfirmation{}
		}
		rec.ByShop[shop] = offender.ShopConfirmation{RefundID: refund, ConfirmedAt: t}
	}
	return rec, nil
}

// OffendersSince returns the hashes recorded at or after after (every hash
// for the zero time), oldest first, and the recording time of the newest one
// (after itself when there is none) to pass next time (offender.Store). It
// reads in pages of 10 000, one round trip each. A hash recorded while the
// pages are read may come twice, or (recorded in the newest millisecond) be
// left to the next call, whose bound is inclusive.
func (r *Redis) OffendersSince(ctx context.Context, after time.Time) ([]string, time.Time, error) {
	lo := "-inf"
	if !after.IsZero() {
		lo = strconv.FormatInt(after.UnixMilli(), 10)
	}
	var out []string
	mark := after
	for off := int64(0); ; off += offendersSincePage {
		var cmd *redis.ZSliceCmd
		if _, err := r.pipeline(ctx, "offender_since", func(p redis.Pipeliner) {
			cmd = p.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: offendersKey, Start: lo, Stop: "+inf",
				ByScore: true, Offset: off, Count: offendersSincePage})
		}); err != nil {
			return nil, time.Time{}, err
		}
		page := cmd.Val()
		for _, z := range page {
			out = append(out, z.Member.(string))
			if t := time.UnixMilli(int64(z.Score)); t.After(mark) {
				mark = t
			}
		}
		if len(page) < offendersSincePage {
			return out, mark, nil
		}
	}
}
