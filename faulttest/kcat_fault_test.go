package faulttest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kcat (librdkafka, Debian's package), a client that shares no code with
// either Go client, produces the contract's examples and reads the decision
// topic back: the daemon's messages are readable by a third client and keyed
// as the contract says.
func TestKcatProducesExamplesAndReadsDecisions(t *testing.T) {
	needDaemon(t)
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat not installed (scripts/test.sh installs it): no third-party client check")
	}
	e := newEnv(t)
	d := e.startDaemon("sg", startRedis(t))
	keyField := map[string]string{"orders": "order_id", "refunds": "refund_id", "returns": "tracking_no", "messages": "buyer_id"}
	topic := map[string]string{"orders": e.tp.Orders, "refunds": e.tp.Refunds, "returns": e.tp.Returns, "messages": e.tp.Messages}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sent := 0
	for _, name := range []string{"orders", "refunds", "returns", "messages"} {
		f, err := os.Open(filepath.Join("..", "testdata", "examples", name+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		var in bytes.Buffer
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			in.WriteString(m[keyField[name]].(string) + "\t" + sc.Text() + "\n")
			sent++
		}
		f.Close()
		cmd := exec.CommandContext(ctx, kcat, "-b", strings.Join(e.brokers, ","), "-P", "-t", topic[name], "-K", "\t",
			"-X", "acks=all", "-X", "enable.idempotence=true")
		cmd.Stdin = &in
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kcat -P %s: %v\n%s", name, err, out)
		}
	}
	e.waitConsumed(45*time.Second, d)

	// Read the decisions with kcat: key and refund agree; R1002 (its waybill
	// already used by R1001) ends blocked and R1001 sent to review.
	out, err := exec.CommandContext(ctx, kcat, "-b", strings.Join(e.brokers, ","), "-C", "-t", e.tp.Decisions,
		"-o", "beginning", "-e", "-q", "-f", "%k\t%s\n").Output()
	if err != nil {
		t.Fatalf("kcat -C: %v", err)
	}
	last := map[string]string{}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, line := range lines {
		key, value, ok := strings.Cut(line, "\t")
		var dec struct {
			RefundID string `json:"refund_id"`
			Decision string `json:"decision"`
		}
		if !ok || json.Unmarshal([]byte(value), &dec) != nil || dec.RefundID != key {
			t.Errorf("decision line %.200q", line)
			continue
		}
		last[key] = dec.Decision
	}
	if last["R1002"] != "block" || last["R1001"] != "review" {
		t.Errorf("decisions read by kcat: R1001 %q, R1002 %q; want review, block (all: %v)", last["R1001"], last["R1002"], last)
	}
	t.Logf("kcat produced %d examples and read %d decision messages", sent, len(lines))
}
