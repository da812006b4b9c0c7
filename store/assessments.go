package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

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
