package faulttest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/kafkatest"
	"github.com/sellerguard/sellerguard/redistest"
	"github.com/sellerguard/sellerguard/sim"
)

const (
	adminToken = "fault-admin-token-0123456789"
	partitions = kafkatest.DefaultPartitions
)

// topics are one test's own topic names, so tests can share a broker.
type topics struct {
	Orders, Refunds, Returns, Messages, Decisions, DeadLetter string
}

func newTopics() topics {
	return topics{
		Orders: kafkatest.Unique("orders"), Refunds: kafkatest.Unique("refunds"),
		Returns: kafkatest.Unique("returns"), Messages: kafkatest.Unique("messages"),
		Decisions: kafkatest.Unique("refund-decisions"), DeadLetter: kafkatest.Unique("sellerguard.dlq"),
	}
}

func (tp topics) inputs() []string { return []string{tp.Orders, tp.Refunds, tp.Returns, tp.Messages} }
func (tp topics) all() []string    { return append(tp.inputs(), tp.Decisions, tp.DeadLetter) }

func (tp topics) of(k event.Kind) string {
	switch k {
	case event.KindOrder:
		return tp.Orders
	case event.KindRefund:
		return tp.Refunds
	case event.KindReturn:
		return tp.Returns
	}
	return tp.Messages
}

// env is one test's world: a broker with its topics, a consumer group name,
// a config file naming the topics, and a Kafka client for producing and
// reading back.
type env struct {
	t       *testing.T
	brokers []string
	real    bool // Apache Kafka, not kfake
	tp      topics
	group   string
	config  string
	cl      *kgo.Client
	kcOnce  sync.Once
	kc      *kafka.Client
}

// newEnv sets up topics on the shared broker (or brokers, when given).
func newEnv(t *testing.T, brokers ...string) *env {
	return newEnvWith(t, brokers, nil)
}

// newEnvWith creates the topics with the given topic configs.
func newEnvWith(t *testing.T, brokers []string, topicConfig map[string]string) *env {
	t.Helper()
	e := &env{t: t, tp: newTopics(), group: kafkatest.Unique("sellerguard")}
	if len(brokers) == 0 {
		b := kafkatest.Shared(t)
		e.brokers, e.real = b.Addrs, b.Real
	} else {
		e.brokers, e.real = brokers, true
	}
	if err := kafkatest.CreateTopicsWithConfig(e.brokers, partitions, topicConfig, e.tp.all()...); err != nil {
		t.Fatal(err)
	}
	e.config = filepath.Join(t.TempDir(), "config.yaml")
	yaml := fmt.Sprintf("topics:\n  orders: %q\n  refunds: %q\n  returns: %q\n  messages: %q\n  decisions: %q\n  dead_letter: %q\n",
		e.tp.Orders, e.tp.Refunds, e.tp.Returns, e.tp.Messages, e.tp.Decisions, e.tp.DeadLetter)
	if err := os.WriteFile(e.config, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...), kgo.ProducerLinger(2*time.Millisecond),
		kgo.ProducerBatchMaxBytes(8<<20), kgo.MaxBufferedRecords(20000))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	e.cl = cl
	return e
}

// ---------------------------------------------------------------- daemons

// daemon is one `sellerguard run` process.
type daemon struct {
	name    string
	cmd     *exec.Cmd
	base    string
	logPath string
	done    chan struct{}
	waitErr error
}

// startDaemon runs the daemon against redisAddrs (comma-separated for a
// cluster) and waits until it serves /healthz.
func (e *env) startDaemon(name, redisAddrs string) *daemon {
	t := e.t
	t.Helper()
	port := freePort(t)
	d := &daemon{name: name, base: "http://127.0.0.1:" + strconv.Itoa(port), done: make(chan struct{}),
		logPath: filepath.Join(cmp.Or(os.Getenv("SELLERGUARD_FAULT_LOGDIR"), t.TempDir()), t.Name()+"-"+name+".log")}
	logf, err := os.Create(d.logPath)
	if err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(daemonBin, "run", "--brokers", strings.Join(e.brokers, ","), "--redis", redisAddrs,
		"--listen", "127.0.0.1:"+strconv.Itoa(port), "--group", e.group, "--admin-token", adminToken,
		"--config", e.config, "--log-level", cmp.Or(os.Getenv("SELLERGUARD_FAULT_LOG"), "info"))
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	// The daemon dies with the test binary, whatever ends it.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// Settings a newer daemon may require, given the way every flag can be:
	// through its environment variable, which an older daemon ignores.
	d.cmd.Env = append(os.Environ(), "SELLERGUARD_OFFENDER_KEY=fault-suite-offender-key-0123456789abcdef")
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		d.waitErr = d.cmd.Wait()
		logf.Close()
		close(d.done)
	}()
	t.Cleanup(func() {
		d.kill()
		if t.Failed() {
			t.Logf("daemon %s log (end):\n%s", d.name, d.logTail(6000))
		}
	})
	deadline := time.Now().Add(45 * time.Second)
	for {
		if code, _ := d.get("/healthz"); code == http.StatusOK {
			return d
		}
		select {
		case <-d.done:
			t.Fatalf("daemon %s exited during start (%v):\n%s", name, d.waitErr, d.logTail(4000))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon %s did not serve /healthz within 45s:\n%s", name, d.logTail(4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *daemon) running() bool {
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

// kill is kill -9.
func (d *daemon) kill() {
	if d.running() {
		_ = d.cmd.Process.Kill()
	}
	<-d.done
}

// term sends SIGTERM and returns the exit code and how long the exit took
// (-1: no exit within limit, then killed).
func (d *daemon) term(limit time.Duration) (int, time.Duration) {
	start := time.Now()
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(limit):
		d.kill()
		return -1, time.Since(start)
	}
	return d.cmd.ProcessState.ExitCode(), time.Since(start)
}

func (d *daemon) logTail(n int) string {
	b, _ := os.ReadFile(d.logPath)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// log returns the whole log.
func (d *daemon) log() string {
	b, _ := os.ReadFile(d.logPath)
	return string(b)
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func (d *daemon) get(path string) (int, []byte) {
	req, _ := http.NewRequest(http.MethodGet, d.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// metric sums the samples of one metric family in /metrics whose line
// contains every filter (e.g. `reason="bad_json"`).
func (d *daemon) metric(name string, filters ...string) (float64, bool) {
	code, body := d.get("/metrics")
	if code != http.StatusOK {
		return 0, false
	}
	sum, found := 0.0, false
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name+" ") && !strings.HasPrefix(line, name+"{") {
			continue
		}
		ok := true
		for _, f := range filters {
			ok = ok && strings.Contains(line, f)
		}
		if !ok {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum, found = sum+v, true
		}
	}
	return sum, found
}

// peakRSS is the daemon's high-water resident set (VmHWM), in bytes.
func (d *daemon) peakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return -1
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// --------------------------------------------------------------- workload

// input is one message to produce; reason is the dead-letter reason code
// the decoder gives it ("" for a valid event).
type input struct {
	kind   event.Kind
	key    []byte
	value  []byte
	reason string
}

type workload struct {
	name   string
	inputs []input
	labels []sim.Label
}

// simWorkload is the simulator's traffic (scenes until at least minEvents),
// with invalid messages spread through it when invalid is set.
func simWorkload(name string, seed uint64, minEvents int, invalid bool) workload {
	s := sim.New(sim.Config{Seed: seed})
	w := workload{name: name}
	for len(w.inputs) < minEvents {
		sc := s.Scene()
		for _, e := range sc.Events {
			w.inputs = append(w.inputs, input{kind: e.Kind, key: []byte(e.Key), value: e.Value})
		}
		w.labels = append(w.labels, sc.Labels...)
	}
	if invalid {
		bad := invalidInputs(w.inputs)
		step := len(w.inputs) / (len(bad) + 1)
		out := make([]input, 0, len(w.inputs)+len(bad))
		for i, in := range w.inputs {
			if j := i/step - 1; i%step == 0 && j >= 0 && j < len(bad) {
				out = append(out, bad[j])
			}
			out = append(out, in)
		}
		w.inputs = out
	}
	return w
}

// invalidInputs derives broken messages from valid ones: each one distinct,
// each with the reason the decoder gives it.
func invalidInputs(valid []input) []input {
	first := map[event.Kind]input{}
	for _, in := range valid {
		if _, ok := first[in.kind]; !ok {
			first[in.kind] = in
		}
	}
	mutate := func(kind event.Kind, n int, f func(m map[string]any)) input {
		src := first[kind]
		var m map[string]any
		_ = json.Unmarshal(src.value, &m)
		m["event_id"] = fmt.Sprintf("bad-%d", n)
		f(m)
		b, _ := json.Marshal(m)
		return input{kind: kind, key: src.key, value: b}
	}
	bad := []input{
		{kind: event.KindRefund, key: []byte("junk-1"), value: []byte(`{"event_id": "bad-1", "oops"`)},
		mutate(event.KindOrder, 2, func(m map[string]any) { m["status"] = "teleported" }),
		mutate(event.KindRefund, 3, func(m map[string]any) { delete(m, "shop_id") }),
		mutate(event.KindRefund, 4, func(m map[string]any) { m["amount_minor"] = -5 }),
		mutate(event.KindReturn, 5, func(m map[string]any) { m["occurred_at"] = "yesterday" }),
		mutate(event.KindMessage, 6, func(m map[string]any) { m["event_id"] = strings.Repeat("e", 200) }),
		{kind: event.KindOrder, key: []byte("junk-7"), value: []byte("{\"event_id\": \"bad-7\xff\"}")},
		mutate(event.KindOrder, 8, func(m map[string]any) { m["amount_minor"] = json.Number("1e30") }),
		{kind: event.KindMessage, key: []byte("junk-9"), value: []byte(`[{"event_id": "bad-9"}]`)},
		{kind: event.KindReturn, key: []byte("junk-10"), value: nil}, // a tombstone
	}
	for i := range bad {
		_, err := event.Decode(bad[i].kind, bad[i].value)
		var inv *event.Invalid
		if errors.As(err, &inv) {
			bad[i].reason = inv.Reason
		} else {
			bad[i].reason = "?" // the test fails on it: every one must be invalid
		}
	}
	return bad
}

func (w workload) invalid() []input {
	var out []input
	for _, in := range w.inputs {
		if in.reason != "" {
			out = append(out, in)
		}
	}
	return out
}

// ---------------------------------------------------------------- produce

// producer feeds a workload at a steady rate in the background.
type producer struct {
	sent atomic.Int64
	done chan error
}

// produce sends w's inputs at perSecond (0: as fast as the broker takes
// them). Records are acknowledged by all replicas; franz-go's idempotent
// producer retries through broker restarts without duplicating.
func (e *env) produce(w workload, perSecond int) *producer {
	p := &producer{done: make(chan error, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	e.t.Cleanup(cancel)
	go func() {
		defer cancel()
		chunk, tick := 1000, time.Duration(0)
		if perSecond > 0 {
			chunk, tick = max(perSecond/50, 1), 20*time.Millisecond
		}
		next := time.Now()
		for i := 0; i < len(w.inputs); i += chunk {
			recs := make([]*kgo.Record, 0, chunk)
			for _, in := range w.inputs[i:min(i+chunk, len(w.inputs))] {
				recs = append(recs, &kgo.Record{Topic: e.tp.of(in.kind), Key: in.key, Value: in.value})
			}
			if err := e.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				p.done <- fmt.Errorf("produce: %w", err)
				return
			}
			p.sent.Add(int64(len(recs)))
			if tick > 0 {
				next = next.Add(tick)
				time.Sleep(time.Until(next))
			}
		}
		p.done <- nil
	}()
	return p
}

// waitSent blocks until n records were acknowledged.
func (p *producer) waitSent(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for p.sent.Load() < int64(n) {
		if time.Now().After(deadline) {
			t.Fatalf("producer stuck at %d of %d records", p.sent.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (p *producer) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Minute):
		t.Fatal("producer did not finish")
	}
}

// ---------------------------------------------------------- offsets, read

type tp struct {
	topic     string
	partition int
}

// kafkaClient is the env's kafka-go admin client (offsets), made once.
func (e *env) kafkaClient() *kafka.Client {
	e.kcOnce.Do(func() {
		tr := &kafka.Transport{DialTimeout: 5 * time.Second, MetadataTTL: time.Second}
		e.t.Cleanup(tr.CloseIdleConnections)
		e.kc = &kafka.Client{Addr: kafka.TCP(e.brokers...), Transport: tr, Timeout: 10 * time.Second}
	})
	return e.kc
}

// endOffsets is the next offset of every partition of the topics.
func (e *env) endOffsets(topics ...string) (map[tp]int64, error) {
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, topic := range topics {
		for p := range partitions {
			req.Topics[topic] = append(req.Topics[topic], kafka.LastOffsetOf(p))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := e.kafkaClient().ListOffsets(ctx, req)
	if err != nil {
		return nil, err
	}
	out := map[tp]int64{}
	for topic, ps := range resp.Topics {
		for _, p := range ps {
			if p.Error != nil {
				return nil, p.Error
			}
			out[tp{topic, p.Partition}] = p.LastOffset
		}
	}
	return out, nil
}

// committed is the group's committed offset of every input partition (-1: none).
func (e *env) committed() (map[tp]int64, error) {
	req := &kafka.OffsetFetchRequest{GroupID: e.group, Topics: map[string][]int{}}
	out := map[tp]int64{}
	for _, topic := range e.tp.inputs() {
		for p := range partitions {
			req.Topics[topic] = append(req.Topics[topic], p)
			out[tp{topic, p}] = -1
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := e.kafkaClient().OffsetFetch(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.Error != nil && !errors.Is(resp.Error, kafka.GroupIdNotFound) {
		return nil, resp.Error
	}
	for topic, ps := range resp.Topics {
		for _, p := range ps {
			if p.Error != nil {
				return nil, p.Error
			}
			out[tp{topic, p.Partition}] = p.CommittedOffset
		}
	}
	return out, nil
}

// consumed reports whether every partition is committed up to its end (an
// empty partition needs no commit).
func consumed(c, end map[tp]int64) bool {
	if len(c) != len(end) {
		return false
	}
	for p, e := range end {
		if c[p] != e && (e != 0 || c[p] != -1) {
			return false
		}
	}
	return true
}

// waitConsumed waits until the group has committed every input message,
// then checks that the commits stay there (a stale member's commit would
// move them back).
func (e *env) waitConsumed(within time.Duration, daemons ...*daemon) {
	t := e.t
	t.Helper()
	deadline := time.Now().Add(within)
	var c, end map[tp]int64
	var err error
	for {
		end, err = e.endOffsets(e.tp.inputs()...)
		if err == nil {
			c, err = e.committed()
		}
		if err == nil && consumed(c, end) {
			break
		}
		if time.Now().After(deadline) {
			for _, d := range daemons {
				t.Logf("daemon %s log (end):\n%s", d.name, d.logTail(3000))
			}
			t.Fatalf("not consumed within %s: committed %v, end %v (err %v)", within, c, end, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	if c2, err := e.committed(); err != nil || !consumed(c2, end) {
		t.Errorf("committed offsets moved after everything was consumed: %v, end %v (err %v)", c2, end, err)
	}
}

// readTopic reads a topic from the start to its current end.
func (e *env) readTopic(topic string) []*kgo.Record {
	t := e.t
	t.Helper()
	end, err := e.endOffsets(topic)
	if err != nil {
		t.Fatalf("end offsets of %s: %v", topic, err)
	}
	want := 0
	assign := map[int32]kgo.Offset{}
	for p, off := range end {
		want += int(off)
		assign[int32(p.partition)] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: assign}),
		kgo.FetchMaxBytes(64<<20), kgo.FetchMaxPartitionBytes(16<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < want && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			if r.Offset < end[tp{topic, int(r.Partition)}] {
				out = append(out, r)
			}
		})
	}
	if len(out) < want {
		t.Fatalf("read %d of %d records of %s", len(out), want, topic)
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

// ---------------------------------------------------------------- results

// outcome is what must not depend on faults: an assessment less its time.
type outcome struct {
	Decision string
	Score    int
	Reasons  string // canonical JSON
}

func outcomeOf(body []byte) (outcome, error) {
	var a struct {
		Decision string          `json:"decision"`
		Score    int             `json:"score"`
		Reasons  json.RawMessage `json:"reasons"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return outcome{}, err
	}
	var r any
	_ = json.Unmarshal(a.Reasons, &r)
	canon, _ := json.Marshal(r) // map keys sorted
	return outcome{a.Decision, a.Score, string(canon)}, nil
}

func labelKey(shop, refund string) string { return shop + "/" + refund }

// outcomes asks the daemon's API for every labelled refund's assessment.
func outcomes(t *testing.T, d *daemon, labels []sim.Label) map[string]outcome {
	t.Helper()
	out := map[string]outcome{}
	for _, l := range labels {
		code, body := d.get("/v1/refunds/" + l.RefundID + "?shop_id=" + l.ShopID)
		if code != http.StatusOK {
			t.Errorf("%s/%s: %d %s", l.ShopID, l.RefundID, code, body)
			continue
		}
		o, err := outcomeOf(body)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		out[labelKey(l.ShopID, l.RefundID)] = o
	}
	return out
}

// keySummary describes every key in Redis by type and size, the review
// queue by its members and scores. Facts stored twice would show here (an
// index with an extra member); assessment hashes are left at their type,
// because how many intermediate decisions a refund went through depends on
// batch boundaries.
// reviewKey says a key belongs to the staff workflow, which a timer fills
// from the assessments (cases, audit logs, daily counters): when it runs
// depends on the clock, not on the events, so it is no fact to compare.
func reviewKey(k string) bool {
	for _, part := range []string{"}:rv", "}:al:", "}:vc:"} {
		if strings.Contains(k, part) {
			return true
		}
	}
	return strings.HasPrefix(k, "sg:review-")
}

func keySummary(t *testing.T, addrs []string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	out := map[string]string{}
	scan := func(ctx context.Context, c *redis.Client) error {
		it := c.Scan(ctx, 0, "*", 1000).Iterator()
		for it.Next(ctx) {
			k := it.Val()
			if reviewKey(k) {
				continue
			}
			typ, err := c.Type(ctx, k).Result()
			if err != nil {
				return err
			}
			desc := typ
			switch {
			case strings.Contains(k, "}:a:"):
			case typ == "hash":
				desc += ":" + strconv.FormatInt(c.HLen(ctx, k).Val(), 10)
			case typ == "set":
				desc += ":" + strconv.FormatInt(c.SCard(ctx, k).Val(), 10)
			case typ == "zset":
				zs := c.ZRangeWithScores(ctx, k, 0, -1).Val()
				var b strings.Builder
				for _, z := range zs {
					fmt.Fprintf(&b, " %v=%v", z.Member, z.Score)
				}
				desc += ":" + b.String()
			}
			mu.Lock()
			out[k] = desc
			mu.Unlock()
		}
		return it.Err()
	}
	if len(addrs) == 1 {
		c := redis.NewClient(&redis.Options{Addr: addrs[0]})
		defer c.Close()
		if err := scan(ctx, c); err != nil {
			t.Fatalf("scan redis: %v", err)
		}
		return out
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	defer c.Close()
	if err := c.ForEachMaster(ctx, scan); err != nil {
		t.Fatalf("scan cluster: %v", err)
	}
	return out
}

// reference is a clean run's result for one workload.
type reference struct {
	outcomes map[string]outcome
	keys     map[string]string
}

var (
	refMu sync.Mutex
	refs  = map[string]*reference{}
)

// cleanRun runs w through one daemon with nothing going wrong, once per
// test binary and workload.
func cleanRun(t *testing.T, w workload) *reference {
	t.Helper()
	refMu.Lock()
	defer refMu.Unlock()
	if r := refs[w.name]; r != nil {
		return r
	}
	start := time.Now()
	e := newEnv(t)
	rs := startRedis(t)
	d := e.startDaemon("clean", rs)
	e.produce(w, 0).wait(t)
	e.waitConsumed(time.Minute, d)
	r := &reference{outcomes: outcomes(t, d, w.labels), keys: keySummary(t, []string{rs})}
	d.kill()
	flagged := 0
	for _, o := range r.outcomes {
		if o.Decision != "approve" {
			flagged++
		}
	}
	if flagged == 0 {
		t.Fatal("clean run flagged nothing: comparing with it would prove little")
	}
	t.Logf("clean run of %s: %d inputs, %d refunds (%d flagged), %d keys, in %s",
		w.name, len(w.inputs), len(r.outcomes), flagged, len(r.keys), time.Since(start).Round(time.Millisecond))
	refs[w.name] = r
	return r
}

// verify checks the end state after a fault run against the clean run:
//   - every labelled refund's assessment (decision, score, reasons) equals
//     the clean run's;
//   - Redis holds the same keys of the same sizes (no fact applied twice,
//     none missing);
//   - the decision topic's last message per refund equals the stored
//     assessment;
//   - the dead-letter topic holds exactly the invalid inputs, each with its
//     reason and source, and no valid event. dupDLQ allows an invalid input
//     more than once (at-least-once after a crash or a failed batch).
func (e *env) verify(d *daemon, w workload, redisAddrs []string, dupDLQ bool) {
	t := e.t
	t.Helper()
	ref := cleanRun(t, w)

	got := outcomes(t, d, w.labels)
	diffs := 0
	for k, want := range ref.outcomes {
		if g, ok := got[k]; !ok || g != want {
			diffs++
			if diffs <= 10 {
				t.Errorf("%s: after the fault %+v, clean run %+v", k, g, want)
			}
		}
	}
	if diffs > 0 {
		t.Errorf("%d of %d assessments differ from the clean run", diffs, len(ref.outcomes))
	}

	keys := keySummary(t, redisAddrs)
	kdiff := 0
	for _, k := range slices.Sorted(maps.Keys(ref.keys)) {
		if keys[k] != ref.keys[k] {
			kdiff++
			if kdiff <= 10 {
				t.Errorf("redis key %s: after the fault %q, clean run %q", k, keys[k], ref.keys[k])
			}
		}
	}
	for k := range keys {
		if _, ok := ref.keys[k]; !ok {
			kdiff++
			if kdiff <= 10 {
				t.Errorf("redis key %s (%s) is not in the clean run", k, keys[k])
			}
		}
	}
	if kdiff > 0 {
		t.Errorf("%d redis keys differ from the clean run's %d", kdiff, len(ref.keys))
	}

	// The decision topic: the last message per refund is what is stored.
	last := map[string]outcome{}
	decisions := e.readTopic(e.tp.Decisions)
	for _, r := range decisions {
		var id struct {
			RefundID string `json:"refund_id"`
			ShopID   string `json:"shop_id"`
		}
		if err := json.Unmarshal(r.Value, &id); err != nil || string(r.Key) != id.RefundID {
			t.Errorf("decision message key %q: %s", r.Key, r.Value)
			continue
		}
		o, _ := outcomeOf(r.Value)
		last[labelKey(id.ShopID, id.RefundID)] = o
	}
	stale := 0
	for k, g := range got {
		if last[k] != g {
			stale++
			if stale <= 5 {
				t.Errorf("%s: last decision message %+v, stored %+v", k, last[k], g)
			}
		}
	}

	// The dead-letter topic: exactly the invalid inputs.
	want := map[string]input{}
	for _, in := range w.invalid() {
		want[e.tp.of(in.kind)+"|"+string(in.value)] = in
	}
	seen := map[string]int{}
	for _, r := range e.readTopic(e.tp.DeadLetter) {
		k := header(r, "sellerguard-source-topic") + "|" + string(r.Value)
		in, ok := want[k]
		if n := header(r, "sellerguard-truncated-from"); n != "" {
			// An oversized input is dead-lettered by its head and its length.
			for wk, wi := range want {
				if strings.HasPrefix(wk, k) && strconv.Itoa(len(wi.value)) == n {
					k, in, ok = wk, wi, true
				}
			}
		}
		if !ok {
			t.Errorf("dead-lettered but valid or unknown: %s %.200q (%s)", header(r, "sellerguard-source-topic"), r.Value, header(r, "sellerguard-reason"))
			continue
		}
		seen[k]++
		if code := header(r, "sellerguard-reason-code"); code != in.reason {
			t.Errorf("dead letter %.80q: reason %q, want %q", r.Value, code, in.reason)
		}
		if !bytes.Equal(r.Key, in.key) || header(r, "sellerguard-source-offset") == "" || header(r, "sellerguard-source-partition") == "" {
			t.Errorf("dead letter %.80q: key %q, headers %v", r.Value, r.Key, r.Headers)
		}
	}
	dups := 0
	for k, in := range want {
		switch n := seen[k]; {
		case n == 0:
			t.Errorf("invalid input %.80q (%s) never dead-lettered", in.value, in.reason)
		case n > 1 && !dupDLQ:
			t.Errorf("invalid input %.80q dead-lettered %d times", in.value, n)
		case n > 1:
			dups += n - 1
		}
	}
	t.Logf("verified %d refunds, %d redis keys, %d decision messages, %d dead letters (%d repeated)",
		len(got), len(keys), len(decisions), len(want), dups)
}

// startRedis is a plain redis-server for the tests that do not stop it.
func startRedis(t *testing.T) string {
	t.Helper()
	return redistest.StartServer(t).Addr
}
