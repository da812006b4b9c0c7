package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sellerguard/sellerguard/kafkatest"
	"github.com/sellerguard/sellerguard/offender"
	"github.com/sellerguard/sellerguard/redistest"
	"github.com/sellerguard/sellerguard/webhook"
)

// A refund system that does not read Kafka gets the decisions by webhook,
// signed, from the daemon as main builds it.
func TestDecisionsByWebhook(t *testing.T) {
	var mu sync.Mutex
	got := map[string]string{} // refund -> last decision
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Idempotency-Key") == "" || r.Header.Get("X-SellerGuard-Signature") == "" {
			t.Errorf("headers %v", r.Header)
		}
		var d struct {
			RefundID string `json:"refund_id"`
			Decision string `json:"decision"`
		}
		_ = json.Unmarshal(body, &d)
		mu.Lock()
		got[d.RefundID] = d.Decision
		mu.Unlock()
	}))
	defer srv.Close()
	cfg := defaultConfig()
	cfg.Webhooks = []webhook.Hook{{Name: "erp", URL: srv.URL, Secret: "webhook-secret-0123456789"}}
	brokers := kafkatest.Start(t, cfg.Topics.all()...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := newDaemon(ctx, options{brokers: brokers, group: "wh", redis: []string{redistest.Start(t)}, listen: "127.0.0.1:0",
		config: cfg, offenderKey: offender.RandomKey(), log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	s := stack{brokers: brokers, cfg: cfg, client: cl}
	s.produce(t, exampleRecords(t, cfg))
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		ok := got["R1002"] == "block" && got["R1001"] == "review"
		mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook received %v", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
