package store

// Known offenders: hashes of identifiers (accounts, phones, addresses, return
// senders) that a reviewer confirmed as fraud. They are shared across shops,
// so their keys live outside every shop's slot and hold only keyed hashes
// (offender.Hasher), never a raw identifier:
//
//	sg:offender:<hash>  hash    kind, shop, refund, confirmed_at: the earliest
//	                            confirmation by any shop; s:<shop> = "<confirmed_at>|<refund>":
//	                            each confirming shop's own earliest one
//	sg:offenders        zset    every hash, scored by when Redis first recorded
//	                            it (unix ms, Redis's clock): the feed that keeps
//	                            each process's bloom filter current
//
// The earliest confirmation is kept (ties: the smaller shop, then refund id),
// so confirming again, in any order, ends in the same record. The feed is
// scored by recording time rather than confirmation time so that a
// confirmation dated in the past, or written by a host whose clock is behind,
// still reaches every filter on its next refresh.
//
// Retention: none. Unlike facts these keys have no TTL: they are verdicts,
// and a verdict does not age out with the retention window (Redis must not
// evict them either: keep maxmemory-policy noeviction or volatile-*). Each
// hash costs about 370 bytes (measured on Redis 7.0: record ~240, feed
// member ~130); each further confirming shop adds one short field.

import (
	"context"
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

// confirmOffenderSrc keeps the earliest confirmation, overall and per shop.
// KEYS[1] record; ARGV kind, shop, refund, confirmed_at.
const confirmOffenderSrc = `
local kind, shop, refund, at = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local function earlier(a1, s1, r1, a2, s2, r2)
  if a1 ~= a2 then return a1 < a2 end
  if s1 ~= s2 then return s1 < s2 end
  return r1 < r2
end
local cur = redis.call('HMGET', KEYS[1], 'confirmed_at', 'shop', 'refund')
if not cur[1] or earlier(at, shop, refund, cur[1], cur[2] or '', cur[3] or '') then
  redis.call('HSET', KEYS[1], 'kind', kind, 'shop', shop, 'refund', refund, 'confirmed_at', at)
end
local f = 's:' .. shop
local own = redis.call('HGET', KEYS[1], f)
if not own or earlier(at, '', refund, string.sub(own, 1, #at), '', string.sub(own, #at + 2)) then
  redis.call('HSET', KEYS[1], f, at .. '|' .. refund)
end
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

// ConfirmOffenders stores confirmations (offender.Writer). Idempotent: the
// feed entry and the record are each written by one script, so a retry or a
// repeat changes nothing. The feed goes first in the pipeline: a hash in the
// feed without its record reads as unconfirmed, which is harmless.
func (r *Redis) ConfirmOffenders(ctx context.Context, cs []offender.Confirmation) error {
	if len(cs) == 0 {
		return nil
	}
	hashes := make([]any, 0, len(cs))
	for _, c := range cs {
		switch {
		case c.Hash == "" || c.Kind == "" || c.Shop == "" || c.RefundID == "":
			return fmt.Errorf("store: confirm offenders: hash, kind, shop and refund are required (%+v)", c)
		case c.ConfirmedAt.IsZero():
			return fmt.Errorf("store: confirm offenders: %s: confirmation time is required", c.Hash)
		}
		hashes = append(hashes, c.Hash)
	}
	cmds := make([]*redis.Cmd, 0, len(cs)+1)
	_, err := r.pipeline(ctx, "offender_confirm", func(p redis.Pipeliner) {
		cmds = append(cmds[:0], p.Eval(ctx, feedOffendersSrc, []string{offendersKey}, hashes...))
		for _, c := range cs {
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
		if len(m) == 0 {
			continue
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
