package rules

import (
	"maps"
	"slices"
	"time"
)

// Set is a whole rule configuration: defaults, each shop's effective
// configuration (defaults with its overrides), and custom rules. It is
// immutable once built, so it can be swapped atomically on reload.
type Set struct {
	Version string
	Default Config
	Shops   map[string]Config
	Custom  []*CustomRule
}

// NewSet checks and assembles a rule set. Custom rules must be compiled.
func NewSet(version string, def Config, shops map[string]Config, custom []*CustomRule) (*Set, error) {
	def.Version = version
	if err := def.Validate(); err != nil {
		return nil, err
	}
	s := &Set{Version: version, Default: def, Shops: make(map[string]Config, len(shops)), Custom: custom}
	for _, shop := range slices.Sorted(maps.Keys(shops)) {
		cfg := shops[shop]
		cfg.Version = version
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
		s.Shops[shop] = cfg
	}
	return s, nil
}

// DefaultSet is the built-in configuration.
func DefaultSet() *Set {
	s, err := NewSet(Defaults().Version, Defaults(), nil, nil)
	if err != nil {
		panic(err) // the defaults are tested to be valid
	}
	return s
}

// For is the configuration in force for a shop.
func (s *Set) For(shop string) Config {
	if cfg, ok := s.Shops[shop]; ok {
		return cfg
	}
	return s.Default
}

// Assess assesses a case with its shop's configuration and custom rules.
func (s *Set) Assess(c Case, now time.Time) Assessment {
	cfg := s.For(c.Refund.ShopID)
	var extra []finding
	var env *Env
	for _, r := range s.Custom {
		if !r.appliesTo(c.Refund.ShopID) {
			continue
		}
		if env == nil {
			e := NewEnv(c, cfg.TrackingReused.CombinedReturnWindow)
			env = &e
		}
		if f, ok := r.eval(*env, cfg); ok {
			extra = append(extra, f)
		}
	}
	return assess(c, cfg, extra, now)
}
