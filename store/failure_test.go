package store_test

import (
	"context"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/rules"
	"github.com/sellerguard/sellerguard/store"
)

// After the server loses its script cache (a restart, a failover, SCRIPT
// FLUSH) every operation loads the scripts again and works.
func TestScriptCacheLoss(t *testing.T) {
	t.Parallel()
	e := start(t)
	flushScripts := func(t *testing.T) {
		t.Helper()
		if err := e.rc.ScriptFlush(e.ctx).Err(); err != nil {
			t.Fatalf("script flush: %v", err)
		}
	}
	flushScripts(t) // before the very first call, too
	e.applyEach(t, world()...)

	flushScripts(t)
	a := e.apply(t, rfd(meta("r-R3-1", 60), "R3", "O1", "B1", wb1))
	if got := touched(t, shop1, a[0]); !slices.Equal(got, []string{"R1", "R2", "R3"}) {
		t.Errorf("apply after SCRIPT FLUSH touched %v, want [R1 R2 R3]", got)
	}

	flushScripts(t)
	l := e.load(t, "R1", "R3", "R404")
	if !l["R1"].Found || !l["R3"].Found || l["R404"].Found {
		t.Fatalf("load after SCRIPT FLUSH: found R1 %v R3 %v R404 %v", l["R1"].Found, l["R3"].Found, l["R404"].Found)
	}
	if got := relatedIDs(l["R3"].Case); !slices.Equal(got, []string{"R1", "R2"}) {
		t.Errorf("R3's waybill refunds after SCRIPT FLUSH: %v", got)
	}

	flushScripts(t)
	p := pending(t, shop1, "R3", l["R3"].Version, rules.Block, 90)
	if out := e.save(t, p); out[0].Outcome != detector.Changed {
		t.Errorf("save after SCRIPT FLUSH: %v", out[0].Outcome)
	}
	flushScripts(t)
	e.markPublished(t, p)
	flushScripts(t)
	if out := e.save(t, p); out[0].Outcome != detector.Unchanged {
		t.Errorf("save after a MarkPublished following SCRIPT FLUSH: %v, want Unchanged", out[0].Outcome)
	}
	if q := e.queue(t, shop1, 10); !slices.Equal(q, []string{"R3"}) {
		t.Errorf("queue %v", q)
	}
}

// silentServer accepts connections and never answers: a hung Redis.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// With Redis gone or hung, every operation fails within the store's Timeout
// instead of blocking the consumer.
func TestRedisDown(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	// Scheduling and the race detector on a loaded 2-core machine; a hang
	// would be go-redis's 10 s default or forever.
	const slack = 500 * time.Millisecond
	short := func(c *store.Config) { c.Timeout = timeout }
	for _, tc := range []struct {
		name string
		env  func(t *testing.T) *env
	}{
		{"server shut down", func(t *testing.T) *env {
			e := start(t, short)
			e.applyEach(t, world()...) // the pool holds live connections
			_ = e.rc.ShutdownNoSave(e.ctx).Err()
			// Bounded wait until the server is really gone.
			deadline := time.Now().Add(5 * time.Second)
			for e.rc.Ping(e.ctx).Err() == nil {
				if time.Now().After(deadline) {
					t.Fatal("redis-server still answers after SHUTDOWN NOSAVE")
				}
				time.Sleep(10 * time.Millisecond)
			}
			return e
		}},
		{"server never answers", func(t *testing.T) *env { return open(t, silentServer(t), short) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.env(t)
			ref := []detector.Ref{{Shop: shop1, RefundID: "R1"}}
			p := pending(t, shop1, "R1", "1", rules.Review, 50)
			for _, op := range []struct {
				name string
				call func(ctx context.Context) error
			}{
				{"ping", func(ctx context.Context) error { return e.st.Ping(ctx) }},
				{"apply", func(ctx context.Context) error { _, err := e.st.Apply(ctx, world()[:3]); return err }},
				{"load", func(ctx context.Context) error { _, err := e.st.Load(ctx, ref); return err }},
				{"save", func(ctx context.Context) error { _, err := e.st.Save(ctx, []detector.Pending{p}); return err }},
				{"mark published", func(ctx context.Context) error { return e.st.MarkPublished(ctx, []detector.Pending{p}) }},
				{"assessment", func(ctx context.Context) error { _, _, err := e.st.Assessment(ctx, shop1, "R1"); return err }},
				{"review queue", func(ctx context.Context) error { _, err := e.st.ReviewQueue(ctx, shop1, 10); return err }},
				{"refund shops", func(ctx context.Context) error { _, err := e.st.RefundShops(ctx, "R1"); return err }},
			} {
				// The caller's context allows far longer: the store's own
				// Timeout must end the call.
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				errc := make(chan error, 1)
				began := time.Now()
				go func() { errc <- op.call(ctx) }()
				select {
				case err := <-errc:
					took := time.Since(began)
					if err == nil {
						t.Errorf("%s: no error", op.name)
					}
					if took > timeout+slack {
						t.Errorf("%s: failed after %v, want within the %v timeout", op.name, took, timeout)
					}
					t.Logf("%s: %v after %v", op.name, err, took.Round(time.Millisecond))
				case <-time.After(5 * time.Second):
					t.Errorf("%s: still blocked after 5s", op.name)
				}
				cancel()
			}
			// A caller's shorter deadline wins over the store's Timeout.
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			began := time.Now()
			_, err := e.st.Apply(ctx, world()[:1])
			if err == nil || time.Since(began) > 50*time.Millisecond+slack {
				t.Errorf("apply with a 50ms deadline: %v after %v", err, time.Since(began))
			}
		})
	}
}

// A round trip repeated because the script cache was lost is counted.
func TestScriptCacheLossIsCounted(t *testing.T) {
	t.Parallel()
	e := start(t)
	reg := prometheus.NewRegistry()
	cfg := e.cfg
	st, err := store.New(e.ctx, cfg, reg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	apply := func() {
		if _, err := st.Apply(e.ctx, world()[:1]); err != nil {
			t.Fatal(err)
		}
	}
	apply() // nothing loaded yet: one retry
	apply() // loaded: none
	if err := e.rc.ScriptFlush(e.ctx).Err(); err != nil {
		t.Fatal(err)
	}
	apply() // flushed: one more
	if got := counterOf(t, reg, "sellerguard_store_retries_total", "apply"); got != 2 {
		t.Errorf("retries %v, want 2", got)
	}
}

func counterOf(t *testing.T, reg *prometheus.Registry, name, op string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "op" && l.GetValue() == op {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("%s{op=%q} not found", name, op)
	return 0
}
