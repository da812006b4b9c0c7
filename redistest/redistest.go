// Package redistest starts a real redis-server for tests, on a free loopback
// port, and stops it when the test ends.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Start runs a fresh redis-server without persistence and returns its address.
// A missing server fails the test: scripts/test.sh installs it.
func Start(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redistest: redis-server not found (apt-get install redis-server, or run scripts/test.sh): %v", err)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			tb.Fatalf("redistest: %v", err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", tb.TempDir(), "--loglevel", "warning")
		if err := cmd.Start(); err != nil {
			tb.Fatalf("redistest: start: %v", err)
		}
		if lastErr = waitReady(addr, 5*time.Second); lastErr == nil {
			tb.Cleanup(func() {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			})
			return addr
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	tb.Fatalf("redistest: redis-server did not start: %v", lastErr)
	return ""
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady sends PING until the server answers PONG.
func waitReady(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(time.Second))
			buf := make([]byte, 16)
			_, err = c.Write([]byte("PING\r\n"))
			if err == nil {
				var n int
				n, err = c.Read(buf)
				if err == nil && string(buf[:n]) != "+PONG\r\n" {
					err = fmt.Errorf("unexpected reply %q", buf[:n])
				}
			}
			c.Close()
			if err == nil {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// StartCluster runs a Redis Cluster of three masters (no replicas) and
// returns their addresses. It takes a few seconds: the cluster must agree on
// its slots before it serves.
func StartCluster(tb testing.TB) []string {
	tb.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		tb.Fatalf("redistest: redis-cli not found (apt-get install redis-server): %v", err)
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redistest: redis-server not found: %v", err)
	}
	var addrs []string
	for range 3 {
		port, err := freePort()
		for err == nil && port > 55535 { // the cluster bus listens on port+10000
			port, err = freePort()
		}
		if err != nil {
			tb.Fatalf("redistest: %v", err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000",
			"--dir", tb.TempDir(), "--loglevel", "warning")
		if err := cmd.Start(); err != nil {
			tb.Fatalf("redistest: start: %v", err)
		}
		tb.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
		if err := waitReady(addr, 5*time.Second); err != nil {
			tb.Fatalf("redistest: cluster node %s: %v", addr, err)
		}
		addrs = append(addrs, addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redistest: cluster create: %v\n%s", err, out)
	}
	// Every node must see all slots covered before clients are sent there.
	deadline := time.Now().Add(15 * time.Second)
	for _, a := range addrs {
		host, port, _ := net.SplitHostPort(a)
		for {
			out, err := exec.Command(cli, "-h", host, "-p", port, "cluster", "info").Output()
			if err == nil && strings.Contains(string(out), "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("redistest: cluster did not become ok: %s", out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return addrs
}
