package detector_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/redistest"
	"github.com/sellerguard/sellerguard/rules"
	"github.com/sellerguard/sellerguard/store"
)

// These tests run the real pipeline against a real redis-server; only the
// Kafka side is a recorder of the Publisher interface.

var topics = map[string]event.Kind{"orders": event.KindOrder, "refunds": event.KindRefund,
	"returns": event.KindReturn, "messages": event.KindMessage}

type recorder struct {
	mu   sync.Mutex
	msgs []event.Raw
}

func (r *recorder) Publish(_ context.Context, msgs []event.Raw) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msgs...)
	return nil
}

func (r *recorder) decisions(t *testing.T) []detector.Decision {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]detector.Decision, len(r.msgs))
	for i, m := range r.msgs {
		if err := json.Unmarshal(m.Value, &out[i]); err != nil {
			t.Fatalf("decision %d: %v", i, err)
		}
		if string(m.Key) != out[i].RefundID {
			t.Errorf("decision key %q, refund %q", m.Key, out[i].RefundID)
		}
	}
	return out
}

type pipeline struct {
	addr      string
	p         *detector.Processor
	store     *store.Redis
	decisions *recorder
	dead      *recorder
}

func newPipeline(t testing.TB) pipeline {
	t.Helper()
	return newPipelineOn(t, []string{redistest.Start(t)})
}

// newPipelineOn runs against the given Redis: one address, or a cluster's.
func newPipelineOn(t testing.TB, addrs []string) pipeline {
	t.Helper()
	return newPipelineWorkers(t, addrs, 0)
}

// newPipelineWorkers is newPipelineOn with Config.Workers set.
func newPipelineWorkers(t testing.TB, addrs []string, workers int) pipeline {
	t.Helper()
	cfg := store.DefaultConfig()
	cfg.Addrs = addrs
	st, err := store.New(context.Background(), cfg, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pl := pipeline{addr: cfg.Addrs[0], store: st, decisions: &recorder{}, dead: &recorder{}}
	clock := func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }
	pl.p, err = detector.New(detector.Config{Topics: topics, Rules: rules.DefaultSet(), Clock: clock, Holds: st, Workers: workers},
		st, st, pl.decisions, pl.dead, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

// examples reads the contract's example events, as Kafka would deliver them.
func examples(t *testing.T) []event.Raw {
	t.Helper()
	var out []event.Raw
	for _, topic := range []string{"orders", "refunds", "returns", "messages"} {
		f, err := os.Open(filepath.Join("..", "testdata", "examples", topic+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			out = append(out, event.Raw{Topic: topic, Value: slices.Clone(sc.Bytes()), Offset: int64(len(out))})
		}
		f.Close()
	}
	return out
}

func (pl pipeline) feed(t testing.TB, batches ...[]event.Raw) {
	t.Helper()
	for _, b := range batches {
		if err := pl.p.Process(context.Background(), b); err != nil {
			t.Fatalf("process: %v", err)
		}
	}
}

func (pl pipeline) assessment(t *testing.T, shop, refund string) rules.Assessment {
	t.Helper()
	body, found, err := pl.store.Assessment(context.Background(), shop, refund)
	if err != nil || !found {
		t.Fatalf("assessment %s/%s: found=%v err=%v", shop, refund, found, err)
	}
	var a rules.Assessment
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func codes(a rules.Assessment) []string {
	var out []string
	for _, r := range a.Reasons {
		out = append(out, r.Rule)
	}
	return out
}

func TestExamples(t *testing.T) {
	pl := newPipeline(t)
	pl.feed(t, examples(t))

	for _, tc := range []struct {
		refund   string
		decision rules.Decision
		rules    []string
	}{
		// R1002 reuses Alice's waybill days later: blocked; its buyer also
		// threatens 12315 for money and claims three times the postage.
		{"R1002", rules.Block, []string{rules.TrackingReused, rules.ShippingFeeInflated, rules.ExtortionMessage}},
		// Alice's first use is flagged again, for review: she may be the victim.
		{"R1001", rules.Review, []string{rules.TrackingReused}},
	} {
		a := pl.assessment(t, "shop-1", tc.refund)
		if a.Decision != tc.decision || !slices.Equal(codes(a), tc.rules) {
			t.Errorf("%s: %s %v, want %s %v", tc.refund, a.Decision, codes(a), tc.decision, tc.rules)
		}
		if a.RulesetVersion != "default-1" || a.ShopID != "shop-1" {
			t.Errorf("%s: stamped %q %q", tc.refund, a.RulesetVersion, a.ShopID)
		}
	}
	r := pl.assessment(t, "shop-1", "R1002").Reasons[0]
	if ev := r.Evidence; ev["tracking_no"] != "YT7512345678901" || !slices.Equal(anyStrings(ev["other_refunds"]), []string{"R1001"}) {
		t.Errorf("R1002 evidence %v", ev)
	}
	if len(pl.dead.msgs) != 0 {
		t.Errorf("valid examples dead-lettered: %v", pl.dead.msgs)
	}
	queue, err := pl.store.ReviewQueue(context.Background(), "shop-1", 10)
	if err != nil || !slices.Equal(queue, []string{"R1002", "R1001"}) {
		t.Errorf("review queue %v (%v), want R1002 (block) before R1001", queue, err)
	}
}

func anyStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, s := range list {
		out = append(out, s.(string))
	}
	return out
}

// The second refund on a waybill, arriving later, also changes the first
// one's decision, and both changes are published with their causes.
func TestReassessesEarlierRefund(t *testing.T) {
	pl := newPipeline(t)
	ex := examples(t)
	var first, second []event.Raw
	for _, m := range ex {
		var h struct {
			EventID string `json:"event_id"`
		}
		_ = json.Unmarshal(m.Value, &h)
		if h.EventID == "r-R1002-1" {
			second = append(second, m)
		} else {
			first = append(first, m)
		}
	}
	pl.feed(t, first)
	if a := pl.assessment(t, "shop-1", "R1001"); a.Decision != rules.Approve {
		t.Fatalf("R1001 alone: %s %v", a.Decision, codes(a))
	}
	n := len(pl.decisions.msgs)
	pl.feed(t, second)
	got := map[string]detector.Decision{}
	for _, d := range pl.decisions.decisions(t)[n:] {
		got[d.RefundID] = d
	}
	if d := got["R1001"]; d.Decision != rules.Review || d.PreviousDecision != rules.Approve || !slices.Equal(d.EventIDs, []string{"r-R1002-1"}) {
		t.Errorf("R1001 change: %+v", d)
	}
	if d := got["R1002"]; d.Decision != rules.Block || d.PreviousDecision != "" || !slices.Equal(d.EventIDs, []string{"r-R1002-1"}) {
		t.Errorf("R1002 change: %+v", d)
	}
	// The same batch again changes nothing and publishes nothing.
	n = len(pl.decisions.msgs)
	pl.feed(t, second, first)
	if len(pl.decisions.msgs) != n {
		t.Errorf("redelivery published %d more decisions", len(pl.decisions.msgs)-n)
	}
}

// snapshot is every refund's assessment without its time stamp.
func snapshot(t *testing.T, pl pipeline, refunds []string) map[string]rules.Assessment {
	out := map[string]rules.Assessment{}
	for _, id := range refunds {
		a := pl.assessment(t, "shop-1", id)
		a.AssessedAt = time.Time{}
		out[id] = a
	}
	return out
}

func TestOrderAndDuplicatesDoNotMatter(t *testing.T) {
	ex := examples(t)
	ref := newPipeline(t)
	ref.feed(t, ex)
	refunds := []string{"R1001", "R1002"}
	want := snapshot(t, ref, refunds)
	wantJSON, _ := json.Marshal(want)

	rng := rand.New(rand.NewPCG(7, 11))
	for run := range 6 {
		in := slices.Clone(ex)
		for _, m := range ex { // a third of the events twice
			if rng.IntN(3) == 0 {
				in = append(in, m)
			}
		}
		rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		pl := newPipeline(t)
		for len(in) > 0 { // batches of 1 to 4
			n := min(len(in), 1+rng.IntN(4))
			pl.feed(t, in[:n])
			in = in[n:]
		}
		got, _ := json.Marshal(snapshot(t, pl, refunds))
		if string(got) != string(wantJSON) {
			t.Errorf("run %d: assessments differ\n got %s\nwant %s", run, got, wantJSON)
		}
		// The last decision published per refund is the stored one.
		last := map[string]rules.Decision{}
		for _, d := range pl.decisions.decisions(t) {
			last[d.RefundID] = d.Decision
		}
		for id, a := range want {
			if last[id] != a.Decision {
				t.Errorf("run %d: last published decision of %s is %s, want %s", run, id, last[id], a.Decision)
			}
		}
	}
}

func TestInvalidEventsGoToDeadLetters(t *testing.T) {
	pl := newPipeline(t)
	bad := []event.Raw{
		{Topic: "refunds", Partition: 2, Offset: 41, Key: []byte("k"), Value: []byte(`{"event_id":`)},
		{Topic: "orders", Partition: 0, Offset: 7, Value: []byte(`{"event_id":"e","shop_id":"s","occurred_at":"2026-11-01T10:00:00+08:00"}`)},
		{Topic: "returns", Partition: 1, Offset: 9, Value: []byte(`{"event_id":"e2","shop_id":"s","occurred_at":"2026-11-01T10:00:00+08:00","tracking_no":"X1","carrier":"SF","status":"teleported"}`)},
		{Topic: "unknown-topic", Value: []byte(`{}`)},
	}
	pl.feed(t, append(bad, examples(t)...))
	if len(pl.dead.msgs) != len(bad) {
		t.Fatalf("%d dead letters, want %d", len(pl.dead.msgs), len(bad))
	}
	for i, d := range pl.dead.msgs {
		if string(d.Value) != string(bad[i].Value) || string(d.Key) != string(bad[i].Key) {
			t.Errorf("dead letter %d lost the original bytes: %q", i, d.Value)
		}
		if d.Headers["sellerguard-source-topic"] != bad[i].Topic || d.Headers["sellerguard-reason"] == "" {
			t.Errorf("dead letter %d headers %v", i, d.Headers)
		}
	}
	wantCodes := []string{event.ReasonBadJSON, event.ReasonMissing, event.ReasonBadEnum, event.ReasonUnknownKind}
	for i, c := range wantCodes {
		if got := pl.dead.msgs[i].Headers["sellerguard-reason-code"]; got != c {
			t.Errorf("dead letter %d reason %q, want %q", i, got, c)
		}
	}
	if h := pl.dead.msgs[0].Headers; h["sellerguard-source-partition"] != "2" || h["sellerguard-source-offset"] != "41" {
		t.Errorf("source position %v", h)
	}
	// The valid events of the same batch were processed.
	if a := pl.assessment(t, "shop-1", "R1002"); a.Decision != rules.Block {
		t.Errorf("R1002 %s", a.Decision)
	}
}

// A re-assessment (after an allowance or a verdict) fences off any pass that
// read the refund before it: that pass's assessment, computed without the
// change, is not saved over the new one.
func TestReassessFencesEarlierReads(t *testing.T) {
	pl := newPipeline(t)
	pl.feed(t, examples(t))
	ctx := context.Background()
	ref := detector.Ref{Shop: "shop-1", RefundID: "R1002"}
	save := func(l detector.Loaded) detector.Outcome {
		t.Helper()
		a := rules.DefaultSet().Assess(l.Case, time.Now())
		saved, err := pl.store.Save(ctx, []detector.Pending{{Ref: ref, Version: l.Version, Assessment: a, JSON: []byte(`{}`), Signature: "a pass of the stream"}})
		if err != nil {
			t.Fatal(err)
		}
		return saved[0].Outcome
	}
	load := func() detector.Loaded {
		t.Helper()
		l, err := pl.store.Load(ctx, []detector.Ref{ref})
		if err != nil || !l[0].Found {
			t.Fatalf("load %v: %v", ref, err)
		}
		return l[0]
	}
	before := load()
	if err := pl.p.Reassess(ctx, []detector.Ref{ref}); err != nil {
		t.Fatal(err)
	}
	if got := save(before); got != detector.Stale {
		t.Errorf("a pass that read before the re-assessment saved: outcome %v, want Stale", got)
	}
	if got := save(load()); got == detector.Stale {
		t.Error("a pass that read after the re-assessment was refused")
	}
	if err := pl.store.Touch(ctx, []detector.Ref{{Shop: "shop-1", RefundID: "R404"}}); err != nil {
		t.Fatal(err)
	}
	if n, err := redis.NewClient(&redis.Options{Addr: pl.addr}).Exists(ctx, "sg:{shop-1}:r:R404").Result(); err != nil || n != 0 {
		t.Errorf("touching an unknown refund made its key (%d, %v)", n, err)
	}
}
