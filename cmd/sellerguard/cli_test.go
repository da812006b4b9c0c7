package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sellerguard/sellerguard/rules"
)

func TestBadFlagsAndConfigExit2(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want []string // all must appear in stderr
	}{
		{"unknown command", []string{"frobnicate"}, nil, []string{`unknown command "frobnicate"`}},
		{"unknown flag", []string{"run", "--bogus"}, nil, []string{"bogus"}},
		{"empty brokers", []string{"run", "--brokers", ","}, nil, []string{"--brokers"}},
		{"bad listen", []string{"run", "--listen", "nowhere"}, nil, []string{"--listen"}},
		{"config field out of range", []string{"run", "--config", "testdata/bad-field.yaml"}, nil,
			[]string{"bad-field.yaml", "line 5", "rules.block_score"}},
		{"config unknown field", []string{"run", "--config", "testdata/unknown-field.yaml"}, nil,
			[]string{"unknown-field.yaml", "line 3", "refundz"}},
		{"config wrong type", []string{"run", "--config", "testdata/bad-type.yaml"}, nil,
			[]string{"bad-type.yaml", "line 4", "lots"}},
		{"config missing", []string{"run", "--config", "testdata/nope.yaml"}, nil, []string{"--config", "nope.yaml"}},
		{"tokens file", []string{"run", "--tokens-file", "testdata/bad-tokens.yaml"}, nil,
			[]string{"bad-tokens.yaml", "line 3", "role", "superuser"}},
		{"short admin token", []string{"run", "--admin-token", "short"}, nil, []string{"token", "16"}},
		{"bad env", []string{"demo"}, map[string]string{"SELLERGUARD_RATE": "fast"}, []string{"SELLERGUARD_RATE"}},
		{"bad log level", []string{"run", "--log-level", "loud"}, nil, []string{"--log-level"}},
		{"check without id", []string{"check"}, nil, []string{"REFUND_ID"}},
		{"check bad lang", []string{"check", "--lang", "fr", "R1"}, nil, []string{"--lang"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != exitUsage {
				t.Errorf("exit %d, want 2; stderr %s", code, stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}

func TestFlagsFallBackToEnvironment(t *testing.T) {
	t.Setenv("SELLERGUARD_LISTEN", "127.0.0.1:9")
	t.Setenv("SELLERGUARD_GROUP", "from-env")
	fs := newFlagSet("run", "", &bytes.Buffer{})
	listen := fs.String("listen", "x", "")
	group := fs.String("group", "x", "")
	if _, ok := parseFlags(fs, []string{"--listen", "127.0.0.1:1"}); !ok {
		t.Fatal("parse failed")
	}
	if *listen != "127.0.0.1:1" || *group != "from-env" {
		t.Errorf("listen %q (flag must win), group %q (env)", *listen, *group)
	}
}

func TestExampleConfigLoads(t *testing.T) {
	cfg, err := loadConfig(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Topics.Decisions != "refund-decisions" || cfg.Rules.Version == "" {
		t.Errorf("loaded %+v", cfg.Topics)
	}
	if want := rules.Defaults(); !reflect.DeepEqual(cfg.Rules, want) {
		t.Errorf("the example config should spell out the defaults:\n got %+v\nwant %+v", cfg.Rules, want)
	}
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(empty); err != nil {
		t.Errorf("an empty file means defaults: %v", err)
	}
}

func TestCheckExitCodes(t *testing.T) {
	s := startStack(t)
	s.produce(t, exampleRecords(t, s.cfg))
	s.waitDecision(t, "R1001", rules.Review)
	s.waitDecision(t, "R1002", rules.Block)
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"R1002"}, exitBlock, "tracking_reused"},
		{[]string{"--lang", "en", "R1001"}, exitReview, "was used again by refund R1002"},
		{[]string{"--json", "R1002"}, exitBlock, `"decision":"block"`},
		{[]string{"R404"}, exitFailed, ""},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"check", "--api", s.base, "--token", shop1Token}, tc.args...)
		if code := run(context.Background(), args, &stdout, &stderr); code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.code, stderr.String())
		}
		if !strings.Contains(stdout.String(), tc.out) {
			t.Errorf("%v: output lacks %q:\n%s", tc.args, tc.out, stdout.String())
		}
		if tc.args[0] == "--json" {
			var a rules.Assessment
			if err := json.Unmarshal(stdout.Bytes(), &a); err != nil || a.RefundID != "R1002" {
				t.Errorf("--json output: %v %s", err, stdout.String())
			}
		}
	}
}
