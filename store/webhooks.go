package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sellerguard/sellerguard/webhook"
)

// The webhook outbox: deliveries by id in one hash, a schedule of due ones and
// a set of parked ones, all under the {webhook} hash tag so the scripts run
// on one cluster node. Deliveries are kept until delivered or replayed.
const (
	whDeliveries = "sg:{webhook}:d"
	whDue        = "sg:{webhook}:due"
	whParked     = "sg:{webhook}:parked"
)

var (
	// A delivery already known (in flight, retrying or parked) is not reset.
	whEnqueue = redis.NewScript(`
for i = 1, #ARGV - 1, 2 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('ZADD', KEYS[2], ARGV[#ARGV], ARGV[i])
  end
end
return 1`)
	// Claimed deliveries are hidden for the lease, so two instances do not
	// send one at the same time; a crash mid-send only delays it.
	whClaim = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
if #ids == 0 then return {} end
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[2], ARGV[2], id)
end
return redis.call('HMGET', KEYS[1], unpack(ids))`)
)

func ms(t time.Time) int64 { return t.UnixMilli() }

// Enqueue stores deliveries and schedules them now.
func (r *Redis) Enqueue(ctx context.Context, ds []webhook.Delivery) error {
	args := make([]any, 0, 2*len(ds)+1)
	for _, d := range ds {
		b, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("store: webhook delivery: %w", err)
		}
		args = append(args, d.ID, b)
	}
	args = append(args, ms(time.Now()))
	_, err := r.pipeline(ctx, "webhook", func(p redis.Pipeliner) {
		whEnqueue.Eval(ctx, p, []string{whDeliveries, whDue}, args...)
	})
	return err
}

// Claim takes up to n due deliveries for lease.
func (r *Redis) Claim(ctx context.Context, now time.Time, lease time.Duration, n int) ([]webhook.Delivery, error) {
	var cmd *redis.Cmd
	if _, err := r.pipeline(ctx, "webhook", func(p redis.Pipeliner) {
		cmd = whClaim.Eval(ctx, p, []string{whDeliveries, whDue}, ms(now), ms(now.Add(lease)), n)
	}); err != nil {
		return nil, err
	}
	return decodeDeliveries(cmd.Val())
}

func decodeDeliveries(v any) ([]webhook.Delivery, error) {
	list, _ := v.([]any)
	out := make([]webhook.Delivery, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			continue // removed meanwhile
		}
		var d webhook.Delivery
		if err := json.Unmarshal([]byte(s), &d); err != nil {
			return nil, fmt.Errorf("store: webhook delivery: %w", err)
		}
		out = append(out, d)
	}
	return out, nil
}

// Settle records an attempt's outcome.
func (r *Redis) Settle(ctx context.Context, d webhook.Delivery, delivered bool, next time.Time) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("store: webhook delivery: %w", err)
	}
	_, err = r.pipeline(ctx, "webhook", func(p redis.Pipeliner) {
		switch {
		case delivered:
			p.ZRem(ctx, whDue, d.ID)
			p.HDel(ctx, whDeliveries, d.ID)
		case next.IsZero():
			p.ZRem(ctx, whDue, d.ID)
			p.HSet(ctx, whDeliveries, d.ID, b)
			p.ZAdd(ctx, whParked, redis.Z{Score: float64(ms(time.Now())), Member: d.ID})
		default:
			p.HSet(ctx, whDeliveries, d.ID, b)
			p.ZAdd(ctx, whDue, redis.Z{Score: float64(ms(next)), Member: d.ID})
		}
	})
	return err
}

// Parked lists parked deliveries, oldest first.
func (r *Redis) Parked(ctx context.Context) ([]webhook.Delivery, error) {
	var ids *redis.StringSliceCmd
	if _, err := r.pipeline(ctx, "webhook", func(p redis.Pipeliner) { ids = p.ZRange(ctx, whParked, 0, 999) }); err != nil {
		return nil, err
	}
	if len(ids.Val()) == 0 {
		return []webhook.Delivery{}, nil
	}
	var vals *redis.SliceCmd
	if _, err := r.pipeline(ctx, "webhook", func(p redis.Pipeliner) { vals = p.HMGet(ctx, whDeliveries, ids.Val()...) }); err != nil {
		return nil, err
	}
	return decodeDeliveries(vals.Val())
}

// Replay schedules parked deliveries again, with a fresh count of attempts.
func (r *Redis) Replay(ctx context.Context, ids []string) (int, error) {
	parked, err := r.Parked(ctx)
	if err != nil {
		return 0, err
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	n := 0
	_, err = r.pipeline(ctx, "webhook", func(p redis.Pipeliner) {
		for _, d := range parked {
			if len(ids) > 0 && !want[d.ID] {
				continue
			}
			d.Attempts, d.LastError = 0, ""
			b, _ := json.Marshal(d)
			p.HSet(ctx, whDeliveries, d.ID, b)
			p.ZRem(ctx, whParked, d.ID)
			p.ZAdd(ctx, whDue, redis.Z{Score: float64(ms(time.Now())), Member: d.ID})
			n++
		}
	})
	return n, err
}
