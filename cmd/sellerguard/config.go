package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

// fileConfig is the --config YAML file.
type fileConfig struct {
	Topics    topics        `yaml:"topics"`
	Retention time.Duration `yaml:"retention"`
	Rules     rules.Config  `yaml:"rules"`
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
	if err := c.Rules.Validate(); err != nil {
		// rules name their fields relative to the rules block.
		return errors.New(strings.ReplaceAll(err.Error(), "rules: ", "rules."))
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
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	if err := cfg.validate(); err != nil {
		var root yaml.Node
		_ = yaml.Unmarshal(data, &root)
		field := fieldOf(err)
		if line := lineOf(&root, field); line > 0 {
			return cfg, fmt.Errorf("%s: line %d: %w", path, line, err)
		}
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

var fieldRE = regexp.MustCompile(`^([a-z_.]+):`)

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
