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
	"sync"
	"syscall"
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
		cmd.SysProcAttr = dieWithParent()
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

// dieWithParent kills the server when the test binary dies, even by a
// signal or a -timeout panic that skips the cleanups (servers outliving their
// tests were found on the machine).
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
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
		cmd.SysProcAttr = dieWithParent()
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

// Server is a redis-server that a test can stop, kill, freeze and start
// again on the same address. Stop saves the data set and Start loads it, as
// a Redis with persistence would across a restart.
type Server struct {
	Addr string
	tb   testing.TB
	bin  string
	port int
	dir  string
	mu   sync.Mutex
	cmd  *exec.Cmd
}

// StartServer runs a redis-server on a free loopback port; it is killed when
// the test ends.
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redistest: redis-server not found (apt-get install redis-server, or run scripts/test.sh): %v", err)
	}
	s := &Server{tb: tb, bin: bin, dir: tb.TempDir()}
	tb.Cleanup(func() { _ = s.Kill() })
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		if s.port, err = freePort(); err != nil {
			tb.Fatalf("redistest: %v", err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if lastErr = s.Start(); lastErr == nil {
			return s
		}
	}
	tb.Fatalf("redistest: redis-server did not start: %v", lastErr)
	return nil
}

// Start starts the server (again) on its address, loading what Stop saved.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return fmt.Errorf("redistest: %s is running", s.Addr)
	}
	// No save points: only Stop (SHUTDOWN SAVE) writes the dump.
	cmd := exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", s.dir, "--dbfilename", "dump.rdb", "--loglevel", "warning")
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redistest: start: %w", err)
	}
	if err := waitReady(s.Addr, 10*time.Second); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return err
	}
	s.cmd = cmd
	return nil
}

// Stop shuts the server down after saving its data set (SHUTDOWN SAVE);
// clients then get connection refused until Start.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err == nil {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = c.Write([]byte("SHUTDOWN SAVE\r\n"))
		buf := make([]byte, 64)
		_, _ = c.Read(buf) // the server closes the connection as it exits
		c.Close()
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
		err = fmt.Errorf("redistest: %s did not shut down; killed", s.Addr)
	}
	s.cmd = nil
	return err
}

// Kill kills the server (SIGKILL): what it held since the last Stop is lost.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a frozen process must run to die cleanly
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
	return nil
}

// Freeze stops the process (SIGSTOP): connections stay open and nothing
// answers, as with a hung server or a network partition.
func (s *Server) Freeze() error { return s.signal(syscall.SIGSTOP) }

// Thaw resumes a frozen server (SIGCONT).
func (s *Server) Thaw() error { return s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return fmt.Errorf("redistest: %s is not running", s.Addr)
	}
	return s.cmd.Process.Signal(sig)
}
