package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sellerguard/sellerguard/api"
	"github.com/sellerguard/sellerguard/kafkatest"
	"github.com/sellerguard/sellerguard/offender"
	"github.com/sellerguard/sellerguard/redistest"
	"github.com/sellerguard/sellerguard/rules"
)

// End to end: the daemon as main builds it, a Kafka-protocol broker over TCP
// (kfake), a real redis-server, and franz-go as an independent Kafka client
// that produces the contract's examples and reads the decision topic.

const (
	adminToken = "admin-token-0123456789"
	shop1Token = "shop-1-token-0123456789"
	shop2Token = "shop-2-token-0123456789"
	reviewer1  = "shop-1-reviewer-0123456789"
)

type stack struct {
	d       *daemon
	base    string
	brokers []string
	client  *kgo.Client
	cfg     fileConfig
	stop    func() error
}

func startStack(t testing.TB) stack {
	t.Helper()
	cfg := defaultConfig()
	brokers := kafkatest.Start(t, cfg.Topics.all()...)
	return startDaemon(t, brokers, redistest.Start(t))
}

func startDaemon(t testing.TB, brokers []string, redisAddr string) stack {
	t.Helper()
	cfg := defaultConfig()
	ctx, cancel := context.WithCancel(context.Background())
	d, err := newDaemon(ctx, options{offenderKey: offender.RandomKey(), brokers: brokers, group: "e2e", redis: []string{redisAddr}, listen: "127.0.0.1:0",
		config: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), tokens: []api.Token{
			{Token: adminToken, Shop: "*", Role: api.RoleAdmin},
			{Token: shop1Token, Shop: "shop-1", Role: api.RoleViewer},
			{Token: shop2Token, Shop: "shop-2", Role: api.RoleViewer},
			{Token: reviewer1, Shop: "shop-1", Role: api.RoleReviewer},
		}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("daemon did not stop")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(cfg.Topics.Decisions, cfg.Topics.DeadLetter),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return stack{d: d, base: "http://" + d.addr(), brokers: brokers, client: cl, cfg: cfg, stop: stop}
}

type record struct {
	topic, key string
	value      []byte
}

// exampleRecords reads the contract examples with the keys the contract gives.
func exampleRecords(t *testing.T, cfg fileConfig) []record {
	t.Helper()
	keyField := map[string]string{"orders": "order_id", "refunds": "refund_id", "returns": "tracking_no", "messages": "buyer_id"}
	topicOf := map[string]string{"orders": cfg.Topics.Orders, "refunds": cfg.Topics.Refunds, "returns": cfg.Topics.Returns, "messages": cfg.Topics.Messages}
	var out []record
	for _, name := range []string{"orders", "refunds", "returns", "messages"} {
		f, err := os.Open(filepath.Join("..", "..", "testdata", "examples", name+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			out = append(out, record{topic: topicOf[name], key: m[keyField[name]].(string), value: slices.Clone(sc.Bytes())})
		}
		f.Close()
	}
	return out
}

func (s stack) produce(t *testing.T, recs []record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, r := range recs {
		if err := s.client.ProduceSync(ctx, &kgo.Record{Topic: r.topic, Key: []byte(r.key), Value: r.value}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

func (s stack) get(t testing.TB, path, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// waitDecision polls the API until the refund has the wanted decision.
func (s stack) waitDecision(t testing.TB, refund string, want rules.Decision) rules.Assessment {
	t.Helper()
	return s.waitAssessment(t, refund, string(want), func(a rules.Assessment) bool { return a.Decision == want })
}

// waitAssessment polls the API until the refund's assessment satisfies ok.
func (s stack) waitAssessment(t testing.TB, refund, what string, ok func(rules.Assessment) bool) rules.Assessment {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var a rules.Assessment
	for time.Now().Before(deadline) {
		code, body := s.get(t, "/v1/refunds/"+refund, adminToken)
		if code == http.StatusOK {
			if err := json.Unmarshal(body, &a); err != nil {
				t.Fatal(err)
			}
			if ok(a) {
				return a
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: %s %d %v after 30s, want %s", refund, a.Decision, a.Score, a.Reasons, what)
	return a
}

func compileSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	s, err := jsonschema.NewCompiler().Compile(filepath.Join("..", "..", "testdata", "schemas", name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEndToEndExamples(t *testing.T) {
	s := startStack(t)
	recs := exampleRecords(t, s.cfg)
	recs = append(recs, record{topic: s.cfg.Topics.Refunds, key: "junk", value: []byte(`{"event_id": "x", "oops"`)})
	s.produce(t, recs)

	s.waitDecision(t, "R1001", rules.Review)
	// Every example counted: waybill reuse, postage and the 12315 threat.
	a := s.waitAssessment(t, "R1002", "three reasons", func(a rules.Assessment) bool { return len(a.Reasons) == 3 })
	if a.Decision != rules.Block || len(a.Reasons) != 3 || a.Reasons[0].Rule != rules.TrackingReused || a.Reasons[0].Severity != "critical" {
		t.Errorf("R1002 reasons %+v", a.Reasons)
	}

	// Lookups answer by the contract's rules for tokens and errors.
	for _, tc := range []struct {
		path, token string
		code        int
		errCode     string
	}{
		{"/v1/refunds/R1002", shop1Token, 200, ""},
		{"/v1/refunds/R1002", shop2Token, 404, "not_found"}, // another shop's refund
		{"/v1/refunds/R1002", "", 401, "unauthorized"},
		{"/v1/refunds/R1002", "wrong-token-0123456789", 401, "unauthorized"},
		{"/v1/refunds/R404", adminToken, 404, "not_found"},
		{"/v1/nothing", adminToken, 404, "not_found"},
	} {
		code, body := s.get(t, tc.path, tc.token)
		if code != tc.code {
			t.Errorf("GET %s with %q: %d %s, want %d", tc.path, tc.token, code, body, tc.code)
			continue
		}
		if tc.errCode != "" {
			var e struct {
				Error struct{ Code, Message string }
			}
			if json.Unmarshal(body, &e) != nil || e.Error.Code != tc.errCode || e.Error.Message == "" {
				t.Errorf("GET %s: error body %s, want code %s", tc.path, body, tc.errCode)
			}
		} else if err := validate(compileSchema(t, "assessment.schema.json"), body); err != nil {
			t.Errorf("GET %s: %v", tc.path, err)
		}
	}

	// The decision topic carries each change, valid against the contract,
	// and the broken message went to the dead-letter topic with its reason.
	decisionSchema := compileSchema(t, "decision.schema.json")
	all := map[string][]map[string]any{}
	last := func(id string) map[string]any {
		if ds := all[id]; len(ds) > 0 {
			return ds[len(ds)-1]
		}
		return nil
	}
	var dead []*kgo.Record
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for (last("R1002") == nil || last("R1002")["score"] != 99.0 || last("R1001") == nil || len(dead) == 0) && ctx.Err() == nil {
		s.client.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			if r.Topic == s.cfg.Topics.DeadLetter {
				dead = append(dead, r)
				return
			}
			if err := validate(decisionSchema, r.Value); err != nil {
				t.Errorf("decision %s: %v", r.Value, err)
			}
			var d map[string]any
			_ = json.Unmarshal(r.Value, &d)
			if string(r.Key) != d["refund_id"] {
				t.Errorf("decision key %q for refund %v", r.Key, d["refund_id"])
			}
			all[d["refund_id"].(string)] = append(all[d["refund_id"].(string)], d)
		})
	}
	// R1002's decision names its own event. (Which events R1001's decisions
	// name depends on how the partitions were batched.)
	for _, id := range []string{"R1002"} {
		if !slices.ContainsFunc(all[id], func(d map[string]any) bool { return slices.Contains(anySlice(d["event_ids"]), "r-R1002-1") }) {
			t.Errorf("no decision of %s names r-R1002-1: %v", id, all[id])
		}
	}
	if d := last("R1002"); d == nil || d["decision"] != "block" {
		t.Errorf("R1002 last decision event %v", d)
	}
	if d := last("R1001"); d == nil || d["decision"] != "review" {
		t.Errorf("R1001 last decision event %v", d)
	}
	if len(dead) != 1 || string(dead[0].Value) != `{"event_id": "x", "oops"` || header(dead[0], "sellerguard-source-topic") != s.cfg.Topics.Refunds ||
		header(dead[0], "sellerguard-reason-code") != "bad_json" {
		t.Errorf("dead letters %v", dead)
	}

	code, body := s.get(t, "/metrics", "")
	for _, m := range []string{`sellerguard_events_processed_total{kind="refund"} 3`, `sellerguard_events_invalid_total{reason="bad_json"} 1`,
		`sellerguard_rule_hits_total{rule="tracking_reused"}`, `sellerguard_decisions_total{decision="block"}`,
		`sellerguard_processing_latency_seconds_bucket`, `sellerguard_ingest_consumer_lag`} {
		if code != 200 || !strings.Contains(string(body), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	checkDashboards(t, string(body))
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := s.get(t, p, ""); code != 200 {
			t.Errorf("%s: %d %s", p, code, body)
		}
	}
	if err := s.stop(); err != nil {
		t.Errorf("graceful stop: %v", err)
	}
}

// The same events, shuffled across topics and partly duplicated, end in the
// same assessments.
func TestEndToEndShuffledAndDuplicated(t *testing.T) {
	s := startStack(t)
	recs := exampleRecords(t, s.cfg)
	rng := rand.New(rand.NewPCG(1, 2))
	in := slices.Clone(recs)
	for _, r := range recs {
		if rng.IntN(2) == 0 {
			in = append(in, r)
		}
	}
	rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
	s.produce(t, in)
	s.waitAssessment(t, "R1002", "block at 99", func(a rules.Assessment) bool { return a.Decision == rules.Block && a.Score == 99 })
	if a := s.waitDecision(t, "R1001", rules.Review); a.Score != 60 {
		t.Errorf("R1001 score %d", a.Score)
	}
}

func validate(s *jsonschema.Schema, body []byte) error {
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

func anySlice(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

var metricName = regexp.MustCompile(`\bsellerguard_[a-z_]+`)

// conditional metrics exist only when their feature is configured (this
// daemon has no webhooks); TestDecisionsByWebhook covers them.
var conditional = map[string]bool{"sellerguard_webhook_deliveries_total": true}

// checkDashboards fails for any metric a dashboard queries that the daemon
// does not export (histograms are exported as _bucket, _sum and _count).
func checkDashboards(t *testing.T, exposition string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "dashboards", "*.json"))
	if len(files) == 0 {
		t.Fatal("no dashboards")
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Panels []struct {
				Title   string
				Targets []struct{ Expr string }
			}
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				for _, m := range metricName.FindAllString(tg.Expr, -1) {
					if conditional[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_sum"), "_count")] {
						continue
					}
					if !strings.Contains(exposition, "\n"+m+"{") && !strings.Contains(exposition, "\n"+m+" ") {
						t.Errorf("%s: panel %q uses %s, which the daemon does not export", filepath.Base(f), p.Title, m)
					}
				}
			}
		}
	}
}
