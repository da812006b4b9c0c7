package faulttest

import (
	"strings"
	"testing"
	"time"
)

// The standard stream of the crash tests: about 3 000 simulated events with
// ten invalid ones among them, produced over about six seconds.
func crashWorkload() workload { return simWorkload("crash", 101, 3000, true) }

const crashRate = 500 // events/s

// kill -9 mid-stream, twice, and start again: the batch in flight when the
// process died was neither committed nor lost; redelivered, it changes
// nothing twice.
func TestKill9MidStream(t *testing.T) {
	needDaemon(t)
	w := crashWorkload()
	cleanRun(t, w)
	e := newEnv(t)
	rs := startRedis(t)
	d := e.startDaemon("first", rs)
	p := e.produce(w, crashRate)

	p.waitSent(t, len(w.inputs)/4)
	d.kill()
	d = e.startDaemon("second", rs)
	p.waitSent(t, len(w.inputs)/2)
	time.Sleep(300 * time.Millisecond) // let it get going again
	d.kill()
	d = e.startDaemon("third", rs)
	p.wait(t)
	e.waitConsumed(45*time.Second, d)
	e.verify(d, w, []string{rs}, true)
}

// SIGTERM mid-stream: the batch in hand is finished and committed, the
// process exits 0 within the drain window, and a new process resumes from
// the committed offsets.
func TestSigtermMidStream(t *testing.T) {
	needDaemon(t)
	w := crashWorkload()
	cleanRun(t, w)
	e := newEnv(t)
	rs := startRedis(t)
	d := e.startDaemon("first", rs)
	p := e.produce(w, crashRate)

	p.waitSent(t, len(w.inputs)/3)
	code, took := d.term(35 * time.Second)
	if code != 0 {
		t.Fatalf("exit code %d after SIGTERM (took %s), want 0:\n%s", code, took, d.logTail(3000))
	}
	log := d.log()
	for _, bad := range []string{"left uncommitted", "giving up commit", "stopped with error"} {
		if strings.Contains(log, bad) {
			t.Errorf("graceful stop logged %q", bad)
		}
	}
	if !strings.Contains(log, "consumer stopped") {
		t.Errorf("no 'consumer stopped' in the log")
	}
	t.Logf("SIGTERM to exit 0 in %s", took.Round(time.Millisecond))
	// What was processed is committed: nothing before the committed offsets
	// is left for the next process, which starts where the first stopped.
	c, err := e.committed()
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	for _, off := range c {
		total += max(off, 0)
	}
	if total == 0 {
		t.Errorf("nothing committed by the first process")
	}
	d = e.startDaemon("second", rs)
	p.wait(t)
	e.waitConsumed(45*time.Second, d)
	if got, ok := d.metric("sellerguard_ingest_messages_total"); ok && int64(got) != int64(len(w.inputs))-total {
		t.Errorf("second process consumed %v messages, want the %d after the committed offsets", got, int64(len(w.inputs))-total)
	}
	e.verify(d, w, []string{rs}, false)
}
