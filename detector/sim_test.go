package detector_test

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/redistest"
	"github.com/sellerguard/sellerguard/rules"
	"github.com/sellerguard/sellerguard/sim"
)

var kindTopic = map[event.Kind]string{event.KindOrder: "orders", event.KindRefund: "refunds",
	event.KindReturn: "returns", event.KindMessage: "messages"}

func simulate(t testing.TB, seed uint64, scenes int) ([]event.Raw, []sim.Label) {
	t.Helper()
	s := sim.New(sim.Config{Seed: seed})
	var raws []event.Raw
	var labels []sim.Label
	for range scenes {
		sc := s.Scene()
		for _, e := range sc.Events {
			raws = append(raws, event.Raw{Topic: kindTopic[e.Kind], Key: []byte(e.Key), Value: e.Value})
		}
		labels = append(labels, sc.Labels...)
	}
	return raws, labels
}

// Every simulated refund gets exactly the rule codes it is labeled with:
// each pattern is caught, and honest look-alikes (light items, families,
// late waybills, combined returns) are left alone.
func TestSimulatedTrafficMatchesLabels(t *testing.T) {
	pl := newPipeline(t)
	pl.p.SetRules(simRules(t))
	raws, labels := simulate(t, 42, 300)
	for i := 0; i < len(raws); i += 64 {
		pl.feed(t, raws[i:min(i+64, len(raws))])
	}
	hits, honest, reviewed := map[string]int{}, 0, 0
	for _, l := range labels {
		a := pl.assessment(t, l.ShopID, l.RefundID)
		got := codes(a)
		if len(l.Rules) == 0 {
			// Honest: never blocked; a review-level signal is tolerated
			// within the quality bound below (small offices sharing a
			// reception look like a ring for a while).
			honest++
			switch {
			case a.Decision == rules.Block:
				t.Errorf("honest %s/%s blocked: %v", l.ShopID, l.RefundID, got)
			case a.Decision == rules.Review:
				reviewed++
				t.Logf("honest %s/%s to review: %v", l.ShopID, l.RefundID, got)
			}
			continue
		}
		for _, c := range l.Rules {
			if !slices.Contains(got, c) {
				t.Errorf("%s/%s: fired %v (%s), labeled %v", l.ShopID, l.RefundID, got, a.Decision, l.Rules)
				continue
			}
			hits[c]++
		}
		if a.Decision == rules.Approve {
			t.Errorf("malicious %s/%s approved: %v", l.ShopID, l.RefundID, got)
		}
	}
	for c, malicious := range sim.Scenarios() {
		if malicious && hits[c] == 0 && c != rules.KnownOffender {
			t.Errorf("no simulated refund exercised %s", c)
		}
	}
	if honest == 0 || float64(reviewed) > 0.05*float64(honest) {
		t.Errorf("%d of %d honest refunds sent to review (bound 5 %%)", reviewed, honest)
	}
	t.Logf("honest %d (%d to review), caught %v", honest, reviewed, hits)
}

// Shuffled, duplicated, re-batched and with its shops processed at once, the
// simulated world ends in the same assessments.
func TestSimulatedTrafficOrderIndependent(t *testing.T) {
	raws, labels := simulate(t, 7, 120)
	run := func(in []event.Raw, batch, workers int) map[string]string {
		pl := newPipelineWorkers(t, []string{redistest.Start(t)}, workers)
		pl.p.SetRules(simRules(t))
		for i := 0; i < len(in); i += batch {
			pl.feed(t, in[i:min(i+batch, len(in))])
		}
		out := map[string]string{}
		for _, l := range labels {
			a := pl.assessment(t, l.ShopID, l.RefundID)
			a.AssessedAt = a.AssessedAt.UTC().Truncate(0)
			out[l.RefundID] = string(a.Decision) + signatureOf(a)
		}
		return out
	}
	want := run(raws, 50, 1)
	rng := rand.New(rand.NewPCG(3, 5))
	in := slices.Clone(raws)
	for _, m := range raws {
		if rng.IntN(10) == 0 { // 10 % duplicated
			in = append(in, m)
		}
	}
	rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
	got := run(in, 37, 2) // the two shops' events at once
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: shuffled %s\n in order %s", id, got[id], w)
		}
	}
}

func signatureOf(a rules.Assessment) string {
	b, _ := json.Marshal(struct {
		S int
		R []rules.Reason
	}{a.Score, a.Reasons})
	return string(b)
}

// The same world on a three-master Redis Cluster gives the same assessments
// as on one server: every script's keys share their shop's slot.
func TestSimulatedTrafficOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	raws, labels := simulate(t, 11, 150)
	single, cluster := newPipeline(t), newPipelineOn(t, redistest.StartCluster(t))
	for i := 0; i < len(raws); i += 50 {
		single.feed(t, raws[i:min(i+50, len(raws))])
		cluster.feed(t, raws[i:min(i+50, len(raws))])
	}
	flagged := 0
	for _, l := range labels {
		a, b := single.assessment(t, l.ShopID, l.RefundID), cluster.assessment(t, l.ShopID, l.RefundID)
		if a.Decision != b.Decision || signatureOf(a) != signatureOf(b) {
			t.Errorf("%s: single %s %s, cluster %s %s", l.RefundID, a.Decision, signatureOf(a), b.Decision, signatureOf(b))
		}
		if b.Decision != rules.Approve {
			flagged++
		}
	}
	if flagged == 0 {
		t.Error("nothing flagged: the comparison proves little")
	}
	if len(single.decisions.msgs) != len(cluster.decisions.msgs) {
		t.Errorf("decisions published: single %d, cluster %d", len(single.decisions.msgs), len(cluster.decisions.msgs))
	}
}

// simRules sets the simulated shops up as their owners would: return
// warehouses and accepted couriers (as sellerguard eval does).
func simRules(t testing.TB) *rules.Set {
	t.Helper()
	s := sim.New(sim.Config{})
	shops := map[string]rules.Config{}
	for _, shop := range []string{"shop-1", "shop-2"} {
		cfg := rules.Defaults()
		cfg.Warehouses = []event.Address{s.Warehouse(shop)}
		cfg.AcceptedCarriers = sim.AcceptedCarriers()
		shops[shop] = cfg
	}
	set, err := rules.NewSet("sim", rules.Defaults(), shops, nil)
	if err != nil {
		t.Fatal(err)
	}
	return set
}
