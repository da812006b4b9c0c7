package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
	"github.com/sellerguard/sellerguard/webhook"
)

// fileConfig is the --config YAML file.
type fileConfig struct {
	Topics    topics        `yaml:"topics"`
	Retention time.Duration `yaml:"retention"`
	// Rules are the defaults of every shop; Shops override any of them per
	// shop (warehouses, accepted carriers, thresholds, weights, switches).
	Rules       rules.Config            `yaml:"rules"`
	Shops       map[string]rules.Config `yaml:"shops"`
	CustomRules []rules.CustomRule      `yaml:"custom_rules"`
	// Webhooks receive decision changes by HTTP POST (restart to change).
	Webhooks []webhook.Hook `yaml:"webhooks"`

	set *rules.Set // what the file amounts to, built by loadConfig
	raw []byte     // the file as read, to notice changes
}

type topics struct {
	Orders     string `yaml:"orders"`
	Refunds    string `yaml:"refunds"`
	Returns    string `yaml:"returns"`
	Messages   string `yaml:"messages"`
	Decisions  string `yaml:"decisions"`
	DeadLetter string `yaml:"dead_letter"`
}

func defaultConfig() fileConfig {
	return fileConfig{
		Topics: topics{Orders: "orders", Refunds: "refunds", Returns: "returns", Messages: "messages",
			Decisions: "refund-decisions", DeadLetter: "sellerguard.dlq"},
		Retention: 180 * 24 * time.Hour,
		Rules:     rules.Defaults(),
		set:       rules.DefaultSet(),
	}
}

// inputs maps each input topic to its event kind.
func (t topics) inputs() map[string]event.Kind {
	return map[string]event.Kind{t.Orders: event.KindOrder, t.Refunds: event.KindRefund,
		t.Returns: event.KindReturn, t.Messages: event.KindMessage}
}

func (t topics) all() []string {
	return []string{t.Orders, t.Refunds, t.Returns, t.Messages, t.Decisions, t.DeadLetter}
}

func (c fileConfig) validate() error {
	seen := map[string]string{}
	for _, f := range []struct{ name, val string }{
		{"orders", c.Topics.Orders}, {"refunds", c.Topics.Refunds}, {"returns", c.Topics.Returns},
		{"messages", c.Topics.Messages}, {"decisions", c.Topics.Decisions}, {"dead_letter", c.Topics.DeadLetter},
	} {
		if f.val == "" {
			return fmt.Errorf("topics.%s: must not be empty", f.name)
		}
		if other, dup := seen[f.val]; dup {
			return fmt.Errorf("topics.%s: %q is already topics.%s", f.name, f.val, other)
		}
		seen[f.val] = f.name
	}
	if c.Retention < time.Hour {
		return fmt.Errorf("retention: %s is shorter than an hour", c.Retention)
	}
	if err := (webhook.Config{Hooks: c.Webhooks}).WithDefaults().Validate(); err != nil {
		return err
	}
	return nil
}

// loadConfig reads a config file over the defaults. Errors say the file and
// the line, and name the field.
func loadConfig(path string) (fileConfig, error) {
	cfg := defaultConfig()
	if path == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	// Strict pass: unknown fields and wrong types, with their lines.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	fail := func(err error) (fileConfig, error) {
		if line := lineOf(&root, fieldOf(err)); line > 0 {
			return cfg, fmt.Errorf("%s: line %d: %w", path, line, err)
		}
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	if err := cfg.validate(); err != nil {
		return fail(err)
	}
	cfg.raw = data
	if nodeAt(&root, "rules", "version") == nil {
		// Unnamed, a configuration is known by its content.
		sum := sha256.Sum256(data)
		cfg.Rules.Version = "cfg-" + hex.EncodeToString(sum[:4])
	}
	if err := cfg.Rules.Validate(); err != nil {
		return fail(errors.New(strings.ReplaceAll(err.Error(), "rules: ", "rules.")))
	}
	// A shop's block holds only what differs: decode it over the defaults.
	shops := map[string]rules.Config{}
	for _, name := range slices.Sorted(maps.Keys(cfg.Shops)) {
		shop := cfg.Rules
		if n := nodeAt(&root, "shops", name); n != nil {
			if err := n.Decode(&shop); err != nil {
				return fail(fmt.Errorf("shops.%s: %w", name, err))
			}
		}
		if err := shop.Validate(); err != nil {
			return fail(errors.New(strings.ReplaceAll(err.Error(), "rules: ", "shops."+name+".")))
		}
		shops[name] = shop
	}
	custom := make([]*rules.CustomRule, len(cfg.CustomRules))
	codes := map[string]bool{}
	for i := range cfg.CustomRules {
		r := &cfg.CustomRules[i]
		err := r.Compile()
		if err == nil && codes[r.Code] {
			err = fmt.Errorf("code: %q is used twice", r.Code)
		}
		if err != nil {
			line := 0
			if seq := nodeAt(&root, "custom_rules"); seq != nil && i < len(seq.Content) {
				line = seq.Content[i].Line
				if l := lineOf(seq.Content[i], fieldOf(err)); l > 0 {
					line = l
				}
			}
			return cfg, fmt.Errorf("%s: line %d: custom_rules[%d].%w", path, line, i, err)
		}
		codes[r.Code] = true
		custom[i] = r
	}
	if cfg.set, err = rules.NewSet(cfg.Rules.Version, cfg.Rules, shops, custom); err != nil {
		return fail(err)
	}
	return cfg, nil
}

// nodeAt finds the value node at a path of mapping keys.
func nodeAt(doc *yaml.Node, path ...string) *yaml.Node {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, part := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}

var fieldRE = regexp.MustCompile(`^([a-z0-9_.-]+):`)

func fieldOf(err error) string {
	if m := fieldRE.FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	return ""
}

// lineOf finds the line of a dotted path in a YAML document, or of its
// nearest parent that is there.
func lineOf(doc *yaml.Node, path string) int {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, part := range strings.Split(path, ".") {
		if n == nil || n.Kind != yaml.MappingNode {
			break
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				line, next = n.Content[i].Line, n.Content[i+1]
				break
			}
		}
		n = next
	}
	return line
}
