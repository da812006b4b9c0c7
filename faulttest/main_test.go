package faulttest

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/kafkatest"
)

// daemonBin is the sellerguard binary the tests run, built once by TestMain.
var (
	daemonBin string
	buildErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	var dir string
	if !testing.Short() {
		dir, buildErr = os.MkdirTemp("", "sellerguard-fault-")
		if buildErr == nil {
			daemonBin, buildErr = build(dir)
		}
	}
	code := m.Run()
	kafkatest.StopShared()
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
	os.Exit(code)
}

// build compiles ./cmd/sellerguard. SELLERGUARD_FAULT_RACE=1 builds it with
// the race detector (slower; the timings below leave room for it).
func build(dir string) (string, error) {
	bin := filepath.Join(dir, "sellerguard")
	args := []string{"build", "-o", bin}
	if os.Getenv("SELLERGUARD_FAULT_RACE") == "1" {
		args = append(args, "-race")
	}
	args = append(args, "github.com/sellerguard/sellerguard/cmd/sellerguard")
	start := time.Now()
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	fmt.Fprintf(os.Stderr, "faulttest: built the daemon in %s\n", time.Since(start).Round(time.Millisecond))
	return bin, nil
}

// needDaemon skips under -short and fails when the daemon did not build.
func needDaemon(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the fault suite runs the daemon against real servers")
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}
