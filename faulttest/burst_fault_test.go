package faulttest

import (
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/redistest"
)

// A burst far above the normal rate (the normal rate here is 500 events/s;
// the burst is a backlog produced as fast as the broker takes it, over ten
// times that) is absorbed with bounded memory: kafka-go's queue and the batch
// size bound what is in hand, the rest waits in Kafka. The proof is that a
// backlog three times larger does not raise the daemon's peak resident
// memory by more than a small margin.
func TestBurstKeepsMemoryBounded(t *testing.T) {
	needDaemon(t)
	normal := simWorkload("burst-normal", 606, 2000, false)
	small := simWorkload("burst-small", 607, 10000, false)
	large := simWorkload("burst-large", 608, 30000, false)
	e := newEnv(t)
	rs := redistest.StartServer(t)
	d := e.startDaemon("sg", rs.Addr)

	e.produce(normal, 500).wait(t)
	e.waitConsumed(30*time.Second, d)
	base := d.peakRSS()

	start := time.Now()
	p := e.produce(small, 0)
	p.wait(t)
	rate := float64(len(small.inputs)) / time.Since(start).Seconds()
	e.waitConsumed(60*time.Second, d)
	afterSmall := d.peakRSS()

	p = e.produce(large, 0)
	p.wait(t)
	e.waitConsumed(90*time.Second, d)
	afterLarge := d.peakRSS()

	const MiB = 1 << 20
	t.Logf("peak RSS: %d MiB at 500 events/s, %d MiB after a backlog of %d (produced at %.0f/s), %d MiB after %d",
		base/MiB, afterSmall/MiB, len(small.inputs), rate, afterLarge/MiB, len(large.inputs))
	if rate < 5000 {
		t.Logf("the burst was produced at only %.0f events/s", rate)
	}
	if afterLarge-afterSmall > 64*MiB {
		t.Errorf("peak memory grew by %d MiB from a backlog of %d to one of %d: it follows the backlog",
			(afterLarge-afterSmall)/MiB, len(small.inputs), len(large.inputs))
	}
	if afterLarge > 512*MiB {
		t.Errorf("peak memory %d MiB", afterLarge/MiB)
	}
}
