// Package webhook delivers decision changes by HTTP POST to refund systems
// that do not read Kafka: signed with HMAC-SHA256 over a timestamp and the
// body, with an idempotency key, retried with backoff from a durable outbox,
// and parked after repeated failure where an operator can see and replay it.
package webhook

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sellerguard/sellerguard/event"
)

// Hook is one receiver.
type Hook struct {
	Name   string   `yaml:"name"`
	URL    string   `yaml:"url"`
	Secret string   `yaml:"secret"`
	Shops  []string `yaml:"shops"` // empty: every shop
}

// Config is every receiver and how hard to try.
type Config struct {
	Hooks       []Hook
	MaxAttempts int           // then the delivery is parked
	Backoff     time.Duration // first retry; doubles, capped at MaxBackoff
	MaxBackoff  time.Duration
	Timeout     time.Duration // one POST
}

// Validate names the first bad field.
func (c Config) Validate() error {
	names := map[string]bool{}
	for i, h := range c.Hooks {
		u, err := url.Parse(h.URL)
		switch {
		case h.Name == "" || names[h.Name]:
			return fmt.Errorf("webhooks[%d].name: required and unique", i)
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return fmt.Errorf("webhooks[%d].url: %q is not an http(s) URL", i, h.URL)
		case len(h.Secret) < 16:
			return fmt.Errorf("webhooks[%d].secret: at least 16 characters", i)
		}
		names[h.Name] = true
	}
	if c.MaxAttempts < 1 || c.Backoff <= 0 || c.MaxBackoff < c.Backoff || c.Timeout <= 0 {
		return errors.New("webhooks: attempts, backoff and timeout must be positive")
	}
	return nil
}

// WithDefaults fills what is zero.
func (c Config) WithDefaults() Config {
	c.MaxAttempts = cmp.Or(c.MaxAttempts, 8)
	c.Backoff = cmp.Or(c.Backoff, time.Second)
	c.MaxBackoff = cmp.Or(c.MaxBackoff, 10*time.Minute)
	c.Timeout = cmp.Or(c.Timeout, 10*time.Second)
	return c
}

// Delivery is one message to one hook.
type Delivery struct {
	ID        string    `json:"id"` // the idempotency key: hook, refund and content
	Hook      string    `json:"hook"`
	Body      []byte    `json:"body"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	Created   time.Time `json:"created"`
}

// Outbox keeps deliveries durably until they succeed or are parked.
type Outbox interface {
	Enqueue(ctx context.Context, ds []Delivery) error
	// Claim takes up to n due deliveries and hides them for lease.
	Claim(ctx context.Context, now time.Time, lease time.Duration, n int) ([]Delivery, error)
	// Settle removes a delivered one, reschedules a failed one at next, or
	// parks it when next is zero.
	Settle(ctx context.Context, d Delivery, delivered bool, next time.Time) error
}

// Webhooks enqueues decisions and delivers them.
type Webhooks struct {
	cfg    Config
	outbox Outbox
	client *http.Client
	log    *slog.Logger
	m      *prometheus.CounterVec
}

// New checks the config. reg receives sellerguard_webhook_deliveries_total.
func New(cfg Config, outbox Outbox, reg prometheus.Registerer, log *slog.Logger) (*Webhooks, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sellerguard_webhook_deliveries_total", Help: "Webhook delivery attempts, by hook and result (delivered, failed, parked).",
	}, []string{"hook", "result"})
	for _, h := range cfg.Hooks {
		for _, r := range []string{"delivered", "failed", "parked"} {
			m.WithLabelValues(h.Name, r)
		}
	}
	reg.MustRegister(m)
	return &Webhooks{cfg: cfg, outbox: outbox, client: &http.Client{Timeout: cfg.Timeout}, log: log, m: m}, nil
}

// Publish enqueues decision messages for every hook of their shop. It is the
// detector's decision publisher beside Kafka: when it returns, the
// deliveries are stored and will be attempted.
func (w *Webhooks) Publish(ctx context.Context, msgs []event.Raw) error {
	var ds []Delivery
	now := time.Now().UTC()
	for _, m := range msgs {
		var head struct {
			ShopID string `json:"shop_id"`
		}
		if err := json.Unmarshal(m.Value, &head); err != nil {
			return fmt.Errorf("webhook: decision: %w", err)
		}
		sum := sha256.Sum256(m.Value)
		for _, h := range w.cfg.Hooks {
			if len(h.Shops) > 0 && !slices.Contains(h.Shops, head.ShopID) {
				continue
			}
			ds = append(ds, Delivery{ID: h.Name + ":" + string(m.Key) + ":" + hex.EncodeToString(sum[:12]),
				Hook: h.Name, Body: m.Value, Created: now})
		}
	}
	if len(ds) == 0 {
		return nil
	}
	return w.outbox.Enqueue(ctx, ds)
}

// Sign is the signature header of a body sent at t: receivers recompute it
// with the shared secret and reject old timestamps.
func Sign(secret string, t time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	ts := strconv.FormatInt(t.Unix(), 10)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Run delivers due deliveries until ctx ends.
func (w *Webhooks) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := w.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("webhook outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DeliverDue attempts every delivery that is due now.
func (w *Webhooks) DeliverDue(ctx context.Context) error {
	for {
		ds, err := w.outbox.Claim(ctx, time.Now(), 2*w.cfg.Timeout, 50)
		if err != nil || len(ds) == 0 {
			return err
		}
		for _, d := range ds {
			if err := w.attempt(ctx, d); err != nil {
				return err
			}
		}
	}
}

func (w *Webhooks) attempt(ctx context.Context, d Delivery) error {
	var hook *Hook
	for i := range w.cfg.Hooks {
		if w.cfg.Hooks[i].Name == d.Hook {
			hook = &w.cfg.Hooks[i]
		}
	}
	if hook == nil { // a hook removed from the config: its deliveries are parked
		d.LastError = "hook no longer configured"
		w.m.WithLabelValues(d.Hook, "parked").Inc()
		return w.outbox.Settle(ctx, d, false, time.Time{})
	}
	d.Attempts++
	err := w.post(ctx, hook, d)
	if err == nil {
		w.m.WithLabelValues(d.Hook, "delivered").Inc()
		return w.outbox.Settle(ctx, d, true, time.Time{})
	}
	d.LastError = err.Error()
	if d.Attempts >= w.cfg.MaxAttempts {
		w.m.WithLabelValues(d.Hook, "parked").Inc()
		w.log.Warn("webhook delivery parked", "hook", d.Hook, "id", d.ID, "attempts", d.Attempts, "err", err)
		return w.outbox.Settle(ctx, d, false, time.Time{})
	}
	w.m.WithLabelValues(d.Hook, "failed").Inc()
	wait := min(w.cfg.Backoff<<(d.Attempts-1), w.cfg.MaxBackoff)
	return w.outbox.Settle(ctx, d, false, time.Now().Add(wait))
}

func (w *Webhooks) post(ctx context.Context, h *Hook, d Delivery) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(d.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", d.ID)
	req.Header.Set("X-SellerGuard-Signature", Sign(h.Secret, time.Now(), d.Body))
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}
