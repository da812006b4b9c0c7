package faulttest

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// offsetWatch polls the group's committed offsets and records every move
// backwards: kafka-go lets a member that lost a partition in a rebalance
// still commit it (segmentio/kafka-go#1308), which moves the offset back
// and makes the new owner's work be redone after a restart. ingest commits
// with the batch's own generation instead, which the coordinator fences.
type offsetWatch struct {
	mu        sync.Mutex
	backwards []string
	stop      chan struct{}
	done      chan struct{}
}

func (e *env) watchOffsets() *offsetWatch {
	w := &offsetWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		last := map[tp]int64{}
		for {
			select {
			case <-w.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			c, err := e.committed()
			if err != nil {
				continue
			}
			for p, off := range c {
				if off < 0 {
					continue // no answer for it this time (a coordinator moving), not a commit
				}
				if prev, ok := last[p]; ok && off < prev {
					w.mu.Lock()
					w.backwards = append(w.backwards, fmt.Sprintf("%s/%d: %d → %d", p.topic, p.partition, prev, off))
					w.mu.Unlock()
				}
				last[p] = max(last[p], off)
			}
		}
	}()
	e.t.Cleanup(w.close)
	return w
}

func (w *offsetWatch) close() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

func (w *offsetWatch) moves() []string {
	w.close()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.backwards
}

// Two daemons in one group; one is killed (-9) mid-stream and a third
// joins later: two rebalances, one of them waiting out the dead member's
// session. Nothing is lost, nothing counted twice, commits never go back.
func TestRebalanceKillOneAddOne(t *testing.T) {
	needDaemon(t)
	w := simWorkload("rebalance", 202, 4000, true)
	cleanRun(t, w)
	e := newEnv(t)
	rs := startRedis(t)
	a := e.startDaemon("a", rs)
	b := e.startDaemon("b", rs)
	watch := e.watchOffsets()
	p := e.produce(w, 400)

	p.waitSent(t, len(w.inputs)/4)
	a.kill()
	p.waitSent(t, len(w.inputs)/2)
	c := e.startDaemon("c", rs)
	p.wait(t)
	e.waitConsumed(50*time.Second, b, c)
	if m := watch.moves(); len(m) > 0 {
		t.Errorf("committed offsets moved backwards: %v", m)
	}
	nb, _ := b.metric("sellerguard_ingest_messages_total")
	nc, _ := c.metric("sellerguard_ingest_messages_total")
	if nb == 0 || nc == 0 {
		t.Errorf("b consumed %v and c %v messages: the group did not spread the work", nb, nc)
	}
	e.verify(c, w, []string{rs}, true)
}

// A member slowed down (3 s per Redis round trip, so a batch takes over ten
// seconds) is mid-batch when a second member joins and takes some of its
// partitions. The slow member finishes the batch after the rebalance: its
// commit must not move the new owner's offsets back, and the messages of
// that batch are processed twice at most (by it and by the new owner),
// which changes nothing.
func TestStaleMemberAfterRebalance(t *testing.T) {
	needDaemon(t)
	w := simWorkload("stale", 303, 1500, true)
	cleanRun(t, w)
	e := newEnv(t)
	rs := startRedis(t)
	px := newProxy(t, rs)
	slow := e.startDaemon("slow", px.Listen)
	watch := e.watchOffsets()
	p := e.produce(w, 500)
	p.waitSent(t, len(w.inputs)/3)
	waitMetric(t, slow, "sellerguard_events_processed_total", 1)
	addToxic(t, px, `{"name":"lat","type":"latency","stream":"downstream","attributes":{"latency":3000}}`)
	time.Sleep(1500 * time.Millisecond) // a batch is now in hand and slow
	fast := e.startDaemon("fast", rs)
	p.wait(t)
	// The fast member got partitions and works through them while the slow
	// one is still in its batch.
	waitMetric(t, fast, "sellerguard_events_processed_total", 1)
	time.Sleep(8 * time.Second) // the slow batch ends after the rebalance
	removeToxics(t, px)
	e.waitConsumed(50*time.Second, slow, fast)
	if m := watch.moves(); len(m) > 0 {
		t.Errorf("committed offsets moved backwards: %v", m)
	}
	e.verify(fast, w, []string{rs}, true)
}
