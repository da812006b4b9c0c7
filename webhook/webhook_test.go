package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/redistest"
	"github.com/sellerguard/sellerguard/store"
	"github.com/sellerguard/sellerguard/webhook"
)

const secret = "webhook-secret-0123456789"

// receiver fails while fail() says so, and records what it accepted.
type receiver struct {
	mu       sync.Mutex
	fail     func(n int) bool
	calls    int
	accepted map[string][]byte // by idempotency key
	bad      []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls++
	sig := r.Header.Get("X-SellerGuard-Signature")
	ts := strings.TrimPrefix(strings.Split(sig, ",")[0], "t=")
	var sec int64
	_ = json.Unmarshal([]byte(ts), &sec)
	if webhook.Sign(secret, time.Unix(sec, 0), body) != sig {
		rc.bad = append(rc.bad, sig)
	}
	if rc.fail(rc.calls) {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if _, dup := rc.accepted[key]; !dup { // a receiver dedupes by the key
		rc.accepted[key] = body
	}
}

func setup(t *testing.T, rc *receiver) (*webhook.Webhooks, *store.Redis) {
	t.Helper()
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	cfg := store.DefaultConfig()
	cfg.Addrs = []string{redistest.Start(t)}
	st, err := store.New(context.Background(), cfg, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	wh, err := webhook.New(webhook.Config{Hooks: []webhook.Hook{{Name: "erp", URL: srv.URL, Secret: secret, Shops: []string{"shop-1"}}},
		MaxAttempts: 4, Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Timeout: time.Second},
		st, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return wh, st
}

func decisions(ids ...string) []event.Raw {
	var out []event.Raw
	for _, id := range ids {
		out = append(out, event.Raw{Key: []byte(id), Value: []byte(`{"refund_id":"` + id + `","shop_id":"shop-1","decision":"block"}`)})
	}
	return out
}

// drain delivers until nothing is due (retries wait a few ms).
func drain(t *testing.T, wh *webhook.Webhooks) {
	t.Helper()
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) {
		if err := wh.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A receiver that fails and recovers gets every delivery exactly once,
// signed; enqueuing the same decision again (a redelivered batch) changes
// nothing for it.
func TestFailingReceiverRecovers(t *testing.T) {
	rc := &receiver{fail: func(n int) bool { return n <= 3 }, accepted: map[string][]byte{}}
	wh, _ := setup(t, rc)
	ctx := context.Background()
	if err := wh.Publish(ctx, decisions("R1", "R2")); err != nil {
		t.Fatal(err)
	}
	if err := wh.Publish(ctx, decisions("R1")); err != nil { // redelivered batch
		t.Fatal(err)
	}
	if err := wh.Publish(ctx, []event.Raw{{Key: []byte("R9"), Value: []byte(`{"refund_id":"R9","shop_id":"shop-2"}`)}}); err != nil {
		t.Fatal(err)
	}
	drain(t, wh)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.accepted) != 2 || len(rc.bad) != 0 {
		t.Errorf("accepted %d (want R1 and R2 once each, not shop-2's R9), bad signatures %v", len(rc.accepted), rc.bad)
	}
	if rc.calls != 3+2 {
		t.Errorf("%d calls, want 3 failures and 2 deliveries", rc.calls)
	}
}

// A receiver that stays down gets the delivery parked after the last
// attempt; an operator replays it once the receiver is back.
func TestParkedAndReplayed(t *testing.T) {
	down := true
	rc := &receiver{fail: func(int) bool { return down }, accepted: map[string][]byte{}}
	wh, st := setup(t, rc)
	ctx := context.Background()
	if err := wh.Publish(ctx, decisions("R3")); err != nil {
		t.Fatal(err)
	}
	drain(t, wh)
	parked, err := st.Parked(ctx)
	if err != nil || len(parked) != 1 || parked[0].Attempts != 4 || parked[0].LastError == "" {
		t.Fatalf("parked %+v %v", parked, err)
	}
	rc.mu.Lock()
	down = false
	rc.mu.Unlock()
	if n, err := st.Replay(ctx, nil); err != nil || n != 1 {
		t.Fatalf("replay %d %v", n, err)
	}
	drain(t, wh)
	if parked, _ := st.Parked(ctx); len(parked) != 0 {
		t.Errorf("still parked: %+v", parked)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.accepted) != 1 {
		t.Errorf("accepted %d after replay", len(rc.accepted))
	}
}
