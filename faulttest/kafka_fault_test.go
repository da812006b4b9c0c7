package faulttest

import (
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/kafkatest"
)

// The Kafka broker killed (-9) mid-stream and started again on the same
// port with its log: the producer, the daemon's consumer group, its commits
// and its writers all ride it out; the daemon is not restarted.
func TestKafkaBrokerRestartMidStream(t *testing.T) {
	needDaemon(t)
	if err := kafkatest.RealUnavailable(); err != nil {
		t.Skipf("needs Apache Kafka (kfake keeps nothing across a restart): %v", err)
	}
	w := crashWorkload()
	cleanRun(t, w)
	k := kafkatest.StartReal(t)
	e := newEnv(t, k.Addr)
	rs := startRedis(t)
	d := e.startDaemon("sg", rs)
	p := e.produce(w, 300)

	p.waitSent(t, len(w.inputs)/4)
	waitMetric(t, d, "sellerguard_events_processed_total", 1)
	if err := k.Kill(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	time.Sleep(2 * time.Second)
	if code, body := d.get("/readyz"); code != 503 {
		t.Errorf("/readyz with the broker down: %d %s, want 503", code, body)
	}
	if err := k.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("broker back after %s", time.Since(down).Round(100*time.Millisecond))
	p.wait(t)
	e.waitConsumed(50*time.Second, d)
	if !d.running() {
		t.Fatal("the daemon died with the broker")
	}
	e.verify(d, w, []string{rs}, true)
}
