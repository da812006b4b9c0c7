package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/sellerguard/sellerguard/rules"
)

// Allowances live in one hash per shop (an identifier's newest allowance
// replaces the one before), each change also in the shop's audit list.
// They expire with the retention window from their last change.

// Allow stores an allowance and records it in the audit log.
func (r *Redis) Allow(ctx context.Context, shop string, a rules.Allowance) (err error) {
	body, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("store: allowance: %w", err)
	}
	pfx := prefix(shop)
	defer func() {
		if err == nil {
			r.m.allowances.WithLabelValues(a.Kind).Inc()
		}
	}()
	_, err = r.pipeline(ctx, "allow", func(p redis.Pipeliner) {
		p.HSet(ctx, pfx+"allow", a.Kind+"\x00"+a.Key, body)
		p.Expire(ctx, pfx+"allow", r.cfg.Retention)
		p.LPush(ctx, pfx+"allow:audit", body)
		p.LTrim(ctx, pfx+"allow:audit", 0, 9999)
		p.Expire(ctx, pfx+"allow:audit", r.cfg.Retention)
	})
	return err
}

// Allowances lists a shop's allowances, sorted by kind and key.
func (r *Redis) Allowances(ctx context.Context, shop string) ([]rules.Allowance, error) {
	var cmd *redis.StringSliceCmd
	if _, err := r.pipeline(ctx, "allow", func(p redis.Pipeliner) { cmd = p.HVals(ctx, prefix(shop)+"allow") }); err != nil {
		return nil, err
	}
	out := make([]rules.Allowance, 0, len(cmd.Val()))
	for _, b := range cmd.Val() {
		var a rules.Allowance
		if err := json.Unmarshal([]byte(b), &a); err != nil {
			return nil, fmt.Errorf("store: allowance: %w", err)
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b rules.Allowance) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Key, b.Key))
	})
	return out, nil
}
