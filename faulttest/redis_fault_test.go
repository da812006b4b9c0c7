package faulttest

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/sellerguard/sellerguard/redistest"
)

// Redis stopped for about 20 s mid-stream and started again with its data:
// the batch in hand fails and is retried whole, nothing is committed and no
// valid event is dead-lettered meanwhile, /readyz reports Redis, and the
// daemon resumes by itself when Redis is back.
func TestRedisOutageMidStream(t *testing.T) {
	needDaemon(t)
	w := crashWorkload()
	cleanRun(t, w)
	e := newEnv(t)
	rs := redistest.StartServer(t)
	d := e.startDaemon("sg", rs.Addr)
	p := e.produce(w, 300)

	p.waitSent(t, len(w.inputs)/5)
	waitMetric(t, d, "sellerguard_events_processed_total", 1)
	if err := rs.Stop(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	time.Sleep(2 * time.Second) // the batch in flight fails

	c1, err := e.committed()
	if err != nil {
		t.Fatal(err)
	}
	m1, _ := d.metric("sellerguard_ingest_messages_total")
	code, body := d.get("/readyz")
	var ready map[string]string
	_ = json.Unmarshal(body, &ready)
	if code != http.StatusServiceUnavailable || ready["redis"] == "ok" || ready["redis"] == "" || ready["kafka"] != "ok" {
		t.Errorf("/readyz during the outage: %d %s, want 503 naming redis", code, body)
	}
	if code, _ := d.get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz during the outage: %d, want 200 (the process lives)", code)
	}
	time.Sleep(time.Until(down.Add(20 * time.Second)))

	c2, err := e.committed()
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(c1, c2) {
		t.Errorf("offsets committed while Redis was down: %v then %v", c1, c2)
	}
	if m2, _ := d.metric("sellerguard_ingest_messages_total"); m2 != m1 {
		t.Errorf("consumption went on while Redis was down: %v then %v messages", m1, m2)
	}
	if n, _ := d.metric("sellerguard_ingest_process_errors_total"); n < 2 {
		t.Errorf("process_errors_total %v during the outage, want retries", n)
	}
	if err := rs.Start(); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	p.wait(t)
	e.waitConsumed(45*time.Second, d)
	t.Logf("caught up %s after Redis came back", time.Since(up).Round(100*time.Millisecond))
	if code, body := d.get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after the outage: %d %s", code, body)
	}
	if !d.running() {
		t.Fatal("the daemon died during the outage")
	}
	e.verify(d, w, []string{rs.Addr}, true)
}

// Latency, latency beyond the store's deadline, and cut connections on the
// Redis path (an in-process toxiproxy between the daemon and Redis): the
// daemon's Redis calls end at their deadlines, failed batches are retried,
// and the end state is the clean run's.
func TestRedisLatencyAndCutConnections(t *testing.T) {
	needDaemon(t)
	w := crashWorkload()
	cleanRun(t, w)
	e := newEnv(t)
	rs := startRedis(t)
	px := newProxy(t, rs)
	d := e.startDaemon("sg", px.Listen)
	p := e.produce(w, 300)
	p.waitSent(t, len(w.inputs)/10)

	phase := func(name, toxic string, dur time.Duration, during func()) {
		t.Helper()
		n0, _ := d.metric("sellerguard_events_processed_total")
		addToxic(t, px, toxic)
		if during != nil {
			during()
		}
		time.Sleep(dur)
		removeToxics(t, px)
		n1, _ := d.metric("sellerguard_events_processed_total")
		e0, _ := d.metric("sellerguard_store_errors_total")
		t.Logf("%s: %v events processed meanwhile, store errors so far %v", name, n1-n0, e0)
	}
	phase("latency 100ms±50", `{"name":"lat","type":"latency","stream":"downstream","attributes":{"latency":100,"jitter":50}}`, 2*time.Second, nil)
	phase("latency 7s (beyond the 5s store deadline)", `{"name":"lat","type":"latency","stream":"downstream","attributes":{"latency":7000}}`, 6*time.Second, func() {
		// /readyz keeps its own 2s deadline while Redis hangs.
		time.Sleep(500 * time.Millisecond)
		start := time.Now()
		code, body := d.get("/readyz")
		if took := time.Since(start); took > 4*time.Second || code != http.StatusServiceUnavailable {
			t.Errorf("/readyz with Redis hanging: %d %s after %s, want 503 within its 2s deadline", code, body, took)
		}
	})
	phase("connections reset", `{"name":"cut","type":"reset_peer","stream":"downstream","attributes":{"timeout":0}}`, 3*time.Second, nil)
	phase("replies cut after 3 KB", `{"name":"cut","type":"limit_data","stream":"downstream","attributes":{"bytes":3000}}`, 3*time.Second, nil)
	phase("requests cut after 2 KB", `{"name":"cut","type":"limit_data","stream":"upstream","attributes":{"bytes":2000}}`, 3*time.Second, nil)

	p.wait(t)
	e.waitConsumed(45*time.Second, d)
	if n, _ := d.metric("sellerguard_store_errors_total"); n == 0 {
		t.Error("no store errors counted: the faults did not reach the daemon")
	}
	e.verify(d, w, []string{rs}, true)
}

// newProxy starts an in-process toxiproxy in front of upstream.
func newProxy(t *testing.T, upstream string) *toxiproxy.Proxy {
	t.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	px := toxiproxy.NewProxy(srv, "redis", "127.0.0.1:0", upstream)
	if err := px.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(px.Stop)
	return px
}

func addToxic(t *testing.T, px *toxiproxy.Proxy, spec string) {
	t.Helper()
	if _, err := px.Toxics.AddToxicJson(strings.NewReader(spec)); err != nil {
		t.Fatalf("toxic %s: %v", spec, err)
	}
}

func removeToxics(t *testing.T, px *toxiproxy.Proxy) {
	t.Helper()
	px.Toxics.ResetToxics(context.Background())
}

// waitMetric waits until a metric reaches at least v.
func waitMetric(t *testing.T, d *daemon, name string, v float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if got, _ := d.metric(name); got >= v {
			return
		}
		if time.Now().After(deadline) {
			got, _ := d.metric(name)
			t.Fatalf("%s stayed at %v, want ≥ %v", name, got, v)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
