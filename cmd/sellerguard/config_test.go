package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sellerguard/sellerguard/kafkatest"
	"github.com/sellerguard/sellerguard/offender"
	"github.com/sellerguard/sellerguard/redistest"
)

func TestShopOverridesAndCustomRules(t *testing.T) {
	cfg, err := loadConfig("testdata/shops.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set := cfg.set
	if set.Version != "2026-11-22.1" {
		t.Errorf("version %q", set.Version)
	}
	one, two, other := set.For("shop-1"), set.For("shop-2"), set.For("shop-9")
	if one.LowWeightReturn.MinRatio != 0.5 || one.BlockScore != 80 || len(one.AcceptedCarriers) != 2 || len(one.Warehouses) != 1 {
		t.Errorf("shop-1: %+v", one)
	}
	// What a shop does not set comes from the file's defaults, then the built-in ones.
	if one.LowWeightReturn.PackagingG != 50 || one.MultiAccountAddress.MinAccounts != 3 || !one.MultiAccountAddress.Enabled {
		t.Errorf("shop-1 lost defaults: %+v", one)
	}
	if two.MultiAccountAddress.Enabled || two.BlockScore != 80 || two.LowWeightReturn.MinRatio != 0.6 {
		t.Errorf("shop-2: %+v", two)
	}
	if other.BlockScore != 80 || len(other.AcceptedCarriers) != 0 {
		t.Errorf("an unlisted shop gets the file's defaults: %+v", other)
	}
	if len(set.Custom) != 1 || set.Custom[0].Code != "big_refund_busy_account" {
		t.Errorf("custom rules %+v", set.Custom)
	}
}

func TestConfigErrorsNameLineAndField(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"testdata/bad-shop.yaml", []string{"line 4", "shops.shop-1.low_weight_return.min_ratio"}},
		{"testdata/bad-custom.yaml", []string{"line 7", "custom_rules[1].when"}},
	} {
		_, err := loadConfig(tc.file)
		if err == nil {
			t.Errorf("%s loaded", tc.file)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v lacks %q", tc.file, err, w)
			}
		}
	}
}

// An unnamed configuration is stamped with a hash of its content, so two
// different files never share a ruleset_version.
func TestUnnamedConfigVersionFollowsContent(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, err1 := loadConfig(write("a.yaml", "rules:\n  block_score: 80\n"))
	b, err2 := loadConfig(write("b.yaml", "rules:\n  block_score: 90\n"))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !strings.HasPrefix(a.set.Version, "cfg-") || a.set.Version == b.set.Version {
		t.Errorf("versions %q %q", a.set.Version, b.set.Version)
	}
}

// A running daemon picks up a changed file by itself and on SIGHUP; a bad
// file leaves the running rules in force.
func TestConfigReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sellerguard.yaml")
	if err := os.WriteFile(path, []byte("rules:\n  version: v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	logs := &lockedWriter{w: &buf}
	brokers := kafkatest.Start(t, cfg.Topics.all()...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := newDaemon(ctx, options{offenderKey: offender.RandomKey(), brokers: brokers, group: "reload", redis: []string{redistest.Start(t)}, listen: "127.0.0.1:0",
		config: cfg, configPath: path, log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	version := func() string { return d.processor.Rules().Version }
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: version %s, log:\n%s", what, version(), logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if err := os.WriteFile(path, []byte("rules:\n  version: v2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor("file change", func() bool { return version() == "v2" })
	if err := os.WriteFile(path, []byte("rules:\n  version: v3\n  block_score: 500\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor("bad file reported", func() bool { return testutil.ToFloat64(d.reloads.WithLabelValues("failed")) == 1 })
	if version() != "v2" {
		t.Errorf("a bad file replaced the rules: %s", version())
	}
	if !strings.Contains(logs.String(), "block_score") {
		t.Errorf("the log does not say why:\n%s", logs.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// lockedWriter lets the test read a log the daemon writes concurrently.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.(*bytes.Buffer).String()
}
