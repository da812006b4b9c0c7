package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/rules"
)

// queueScore orders the review queue: blocked refunds first, then by score.
func queueScore(a rules.Assessment) float64 {
	if a.Decision == rules.Block {
		return 1000 + float64(a.Score)
	}
	return float64(a.Score)
}

// Save stores the assessments that changed and were computed from the newest
// facts, and adds them to or removes them from the review queue.
func (r *Redis) Save(ctx context.Context, items []detector.Pending) ([]detector.Saved, error) {
	ttl := int64(r.cfg.Retention.Seconds())
	cmds := make([]*redis.Cmd, len(items))
	_, err := r.pipeline(ctx, "save", func(p redis.Pipeliner) {
		for i, it := range items {
			pfx := prefix(it.Shop)
			if it.Assessment.Decision != rules.Approve {
				// The review workflow's metrics walk the shops with cases.
				p.SAdd(ctx, reviewShopsKey, it.Shop)
				p.Expire(ctx, reviewShopsKey, r.cfg.Retention)
			}
			cmds[i] = r.save.EvalSha(ctx, p, []string{pfx + "r:" + it.RefundID, pfx + "a:" + it.RefundID, pfx + "q", pfx + "due", pfx + "clock"},
				it.Version, it.JSON, it.Signature, string(it.Assessment.Decision), queueScore(it.Assessment), ttl, it.RefundID)
		}
	})
	if err != nil {
		return nil, err
	}
	out := make([]detector.Saved, len(items))
	for i, c := range cmds {
		res, err := c.Slice()
		if err != nil || len(res) == 0 {
			return nil, fmt.Errorf("store: save %s: unexpected reply %v: %w", items[i].RefundID, res, err)
		}
		switch res[0] {
		case int64(1):
			out[i].Outcome = detector.Changed
			if len(res) > 1 {
				out[i].Previous = rules.Decision(res[1].(string))
			}
		case int64(-1):
			out[i].Outcome = detector.Stale
		default:
			out[i].Outcome = detector.Unchanged
		}
	}
	return out, nil
}

// MarkPublished records that these changes reached the decision topic.
func (r *Redis) MarkPublished(ctx context.Context, items []detector.Pending) error {
	_, err := r.pipeline(ctx, "published", func(p redis.Pipeliner) {
		for _, it := range items {
			r.published.EvalSha(ctx, p, []string{prefix(it.Shop) + "a:" + it.RefundID}, it.Signature)
		}
	})
	return err
}

// Assessment returns the stored assessment JSON of one shop's refund.
func (r *Redis) Assessment(ctx context.Context, shop, refundID string) ([]byte, bool, error) {
	var cmd *redis.StringCmd
	_, err := r.pipeline(ctx, "lookup", func(p redis.Pipeliner) {
		cmd = p.HGet(ctx, prefix(shop)+"a:"+refundID, "json")
	})
	if err != nil {
		return nil, false, err
	}
	if errors.Is(cmd.Err(), redis.Nil) {
		return nil, false, nil
	}
	return []byte(cmd.Val()), true, nil
}

// RefundShops returns the shops that have a refund with this id, sorted.
func (r *Redis) RefundShops(ctx context.Context, refundID string) ([]string, error) {
	var cmd *redis.StringSliceCmd
	if _, err := r.pipeline(ctx, "lookup", func(p redis.Pipeliner) {
		cmd = p.SMembers(ctx, refundShopsKey(refundID))
	}); err != nil {
		return nil, err
	}
	shops := cmd.Val()
	slices.Sort(shops)
	return shops, nil
}

// ReviewQueue returns up to n refund ids of a shop's review queue, most urgent first.
func (r *Redis) ReviewQueue(ctx context.Context, shop string, n int64) ([]string, error) {
	var cmd *redis.StringSliceCmd
	if _, err := r.pipeline(ctx, "lookup", func(p redis.Pipeliner) {
		cmd = p.ZRevRange(ctx, prefix(shop)+"q", 0, n-1)
	}); err != nil {
		return nil, err
	}
	return cmd.Val(), nil
}

// holdScript admits a hold while the rule's and the shop's sets of held
// refunds are under their caps; a refund already admitted stays admitted.
// KEYS: rule set, shop set; ARGV: refund, rule cap, shop cap, ttl seconds.
var holdScript = redis.NewScript(`
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then
  return {1, '', 0}
end
local rule, shop = redis.call('SCARD', KEYS[1]), redis.call('SCARD', KEYS[2])
if rule >= tonumber(ARGV[2]) then
  return {0, 'rule', rule}
end
if shop >= tonumber(ARGV[3]) then
  return {0, 'shop', shop}
end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return {1, '', 0}
`)

// Hold admits automatic holds under the guardrail caps. The sets of held
// refunds live two hours, one set per rule and per shop and hour.
func (r *Redis) Hold(ctx context.Context, holds []detector.Hold) ([]detector.HoldResult, error) {
	cmds := make([]*redis.Cmd, len(holds))
	if _, err := r.pipeline(ctx, "holds", func(p redis.Pipeliner) {
		for i, h := range holds {
			pfx := prefix(h.Shop) + "holds:"
			cmds[i] = holdScript.EvalSha(ctx, p, []string{pfx + h.Rule + ":" + h.Hour, pfx + "*shop:" + h.Hour},
				h.RefundID, h.RuleCap, h.ShopCap, int64((2 * time.Hour).Seconds()))
		}
	}); err != nil {
		return nil, err
	}
	out := make([]detector.HoldResult, len(holds))
	for i, c := range cmds {
		res, err := c.Slice()
		if err != nil || len(res) != 3 {
			return nil, fmt.Errorf("store: hold %s: unexpected reply %v: %w", holds[i].RefundID, res, err)
		}
		out[i].Admitted = res[0] == int64(1)
		out[i].Held, _ = res[2].(int64)
		switch res[1] {
		case "rule":
			out[i].Scope = holds[i].Rule
		case "shop":
			out[i].Scope = "shop"
		}
	}
	return out, nil
}
