package kafkatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// EnvBroker names a running Apache Kafka broker (host:port) that tests may
// share; scripts/test.sh starts one with scripts/kafka.sh and sets it. Tests
// on a shared broker must use topic and group names of their own (Unique).
// The value "kfake" makes Shared use the in-process kfake broker.
const EnvBroker = "SELLERGUARD_TEST_KAFKA"

// EnvScript overrides where scripts/kafka.sh is.
const EnvScript = "SELLERGUARD_KAFKA_SCRIPT"

// Real is an Apache Kafka broker process (one KRaft node) that a test owns:
// it can be stopped, killed and started again on the same port with its data.
// scripts/kafka.sh does the work; it fetches the jars from Maven Central once
// and caches them.
type Real struct {
	Addr   string
	dir    string
	script string
	remove bool // the watchdog deletes dir once the test binary is gone
}

// RealUnavailable says why a real broker cannot be started here (no Java,
// no scripts/kafka.sh, neither cached jars nor Maven), or nil.
func RealUnavailable() error {
	if _, err := exec.LookPath("java"); err != nil {
		return errors.New("no java on PATH")
	}
	script, err := scriptPath()
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("mvn"); err != nil {
		// Without Maven only jars fetched earlier will do.
		out, ferr := exec.Command("bash", script, "fetch").CombinedOutput()
		if ferr != nil {
			return fmt.Errorf("no mvn and no cached Kafka jars: %s", bytes.TrimSpace(out))
		}
	}
	return nil
}

// StartReal starts a broker of the test's own in a temporary directory and
// stops it when the test ends (kill -9 also follows if the test binary dies:
// the broker watches its owner's pid). It fails the test when a broker
// cannot be started; check RealUnavailable first to skip instead.
func StartReal(tb testing.TB) *Real {
	tb.Helper()
	script, err := scriptPath()
	if err != nil {
		tb.Fatalf("kafkatest: %v", err)
	}
	r, err := startFresh(func() (string, error) { return os.MkdirTemp(tb.TempDir(), "kafka-") }, script, false)
	if r != nil {
		tb.Cleanup(func() {
			if err := r.Stop(); err != nil {
				tb.Logf("kafkatest: stop broker: %v", err)
			}
		})
	}
	if err != nil {
		tb.Fatalf("kafkatest: %v", err)
	}
	return r
}

// startFresh starts a broker in a new directory, trying again in another
// one (other ports) when a start fails, as a port taken meanwhile would.
func startFresh(mkdir func() (string, error), script string, remove bool) (*Real, error) {
	var r *Real
	var errs []error
	for range 3 {
		dir, err := mkdir()
		if err != nil {
			return nil, err
		}
		if r != nil {
			_ = r.Kill()
			_ = os.RemoveAll(r.dir)
		}
		r = &Real{dir: dir, script: script, remove: remove}
		err = r.Start()
		if err == nil {
			return r, nil
		}
		errs = append(errs, err)
	}
	return r, errors.Join(errs...)
}

// Start starts the broker, or starts it again after Stop or Kill on the same
// address with the data it had. It returns once the broker serves.
func (r *Real) Start() error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := []string{r.script, "start", r.dir, strconv.Itoa(os.Getpid())}
	if r.remove {
		args = append(args, "remove")
	}
	cmd := exec.CommandContext(ctx, "bash", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("start broker: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	addr := strings.TrimSpace(string(out))
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("start broker: scripts/kafka.sh printed %q", out)
	}
	r.Addr = addr
	return nil
}

// Stop shuts the broker down cleanly (SIGTERM); a broker not running is no error.
func (r *Real) Stop() error { return r.signal("stop") }

// Kill kills the broker (SIGKILL), as a crash would.
func (r *Real) Kill() error { return r.signal("kill") }

func (r *Real) signal(verb string) error {
	out, err := exec.Command("bash", r.script, verb, r.dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s broker: %v: %s", verb, err, bytes.TrimSpace(out))
	}
	return nil
}

// Log returns the end of the broker's log, for a failing test to show.
func (r *Real) Log(maxBytes int) string {
	b, _ := os.ReadFile(filepath.Join(r.dir, "broker.log"))
	if len(b) > maxBytes {
		b = b[len(b)-maxBytes:]
	}
	return string(b)
}

var (
	sharedOnce sync.Once
	sharedAddr string
	sharedErr  error // a start that failed
	sharedReal *Real
	// why no real broker is tried (no Java, no script, no jars)
	sharedUnavailable error
)

// Broker is where a test's Kafka is.
type Broker struct {
	Addrs []string
	// Real is true for Apache Kafka, false for the in-process kfake.
	Real bool
}

// Shared returns a Kafka broker for tests that can share one, with topics
// (of DefaultPartitions partitions) created on it:
//   - the broker named by SELLERGUARD_TEST_KAFKA, when set;
//   - otherwise, when Java is here, one Apache Kafka broker started for this
//     test binary (it ends with the binary);
//   - otherwise (no Java) an in-process kfake cluster for this test alone,
//     which the test log says.
//
// With Java here, a broker that does not start fails the test.
//
// Topic names must be the test's own (Unique) on a shared broker.
func Shared(tb testing.TB, topics ...string) Broker {
	tb.Helper()
	sharedOnce.Do(func() {
		if os.Getenv(EnvBroker) == "kfake" {
			sharedUnavailable = errors.New(EnvBroker + "=kfake")
			return
		}
		if a := os.Getenv(EnvBroker); a != "" {
			sharedAddr = a
			return
		}
		if sharedUnavailable = RealUnavailable(); sharedUnavailable != nil {
			return
		}
		script, err := scriptPath()
		if err != nil {
			sharedErr = err
			return
		}
		// Not tied to tb: the broker outlives this test and dies with the
		// test binary (its watchdog follows our pid and removes the dir).
		sharedReal, sharedErr = startFresh(func() (string, error) { return os.MkdirTemp("", "sellerguard-kafka-") }, script, true)
		if sharedErr == nil {
			sharedAddr = sharedReal.Addr
		}
	})
	if sharedErr != nil {
		tb.Fatalf("kafkatest: Java is here but Apache Kafka did not start: %v", sharedErr)
	}
	if sharedAddr == "" {
		tb.Logf("kafkatest: Apache Kafka unavailable (%v): using the in-process kfake broker instead", sharedUnavailable)
		return Broker{Addrs: Start(tb, topics...)}
	}
	b := Broker{Addrs: []string{sharedAddr}, Real: true}
	if err := CreateTopics(b.Addrs, DefaultPartitions, topics...); err != nil {
		tb.Fatalf("kafkatest: %v", err)
	}
	return b
}

// StopShared stops the broker Shared started for this binary, if any. A
// TestMain may call it after m.Run; without it the broker's watchdog ends it
// within a second of the binary's exit.
func StopShared() {
	if sharedReal != nil {
		_ = sharedReal.Stop()
		_ = os.RemoveAll(sharedReal.dir)
	}
}

var uniq atomic.Int64

// Unique returns base made unique to this test binary and call, for topic
// and group names on a shared broker.
func Unique(base string) string {
	return fmt.Sprintf("%s.%d.%d.%d", base, os.Getpid(), time.Now().UnixNano()%1e9, uniq.Add(1))
}

// CreateTopics creates topics with the given partition count (an existing
// one is left alone) and waits until the broker lists them with leaders.
func CreateTopics(addrs []string, partitions int, topics ...string) error {
	return CreateTopicsWithConfig(addrs, partitions, nil, topics...)
}

// CreateTopicsWithConfig is CreateTopics with topic configs (e.g.
// "max.message.bytes").
func CreateTopicsWithConfig(addrs []string, partitions int, configs map[string]string, topics ...string) error {
	if len(topics) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 20000
	for _, t := range topics {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = t, int32(partitions), -1
		for k, v := range configs {
			c := kmsg.NewCreateTopicsRequestTopicConfig()
			c.Name, c.Value = k, kmsg.StringPtr(v)
			rt.Configs = append(rt.Configs, c)
		}
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	for _, rt := range resp.Topics {
		if rt.ErrorCode != 0 && rt.ErrorCode != 36 { // 36: TOPIC_ALREADY_EXISTS
			msg := ""
			if rt.ErrorMessage != nil {
				msg = *rt.ErrorMessage
			}
			return fmt.Errorf("create topic %s: error code %d %s", rt.Topic, rt.ErrorCode, msg)
		}
	}
	// Metadata can lag the controller's answer: wait for every partition's leader.
	for {
		meta := kmsg.NewPtrMetadataRequest()
		for _, t := range topics {
			mt := kmsg.NewMetadataRequestTopic()
			mt.Topic = kmsg.StringPtr(t)
			meta.Topics = append(meta.Topics, mt)
		}
		mresp, err := meta.RequestWith(ctx, cl)
		ready := err == nil && len(mresp.Topics) == len(topics)
		if ready {
			for _, mt := range mresp.Topics {
				if mt.ErrorCode != 0 || len(mt.Partitions) == 0 {
					ready = false
				}
				for _, p := range mt.Partitions {
					if p.ErrorCode != 0 || p.Leader < 0 {
						ready = false
					}
				}
			}
		}
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("create topics: %v not ready: %v", topics, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// scriptPath finds scripts/kafka.sh above the working directory (tests run
// in their package's directory) or in SELLERGUARD_KAFKA_SCRIPT.
func scriptPath() (string, error) {
	if p := os.Getenv(EnvScript); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "scripts", "kafka.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("scripts/kafka.sh not found above the working directory")
		}
		dir = parent
	}
}
