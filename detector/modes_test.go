package detector_test

import (
	"slices"
	"testing"

	"github.com/sellerguard/sellerguard/rules"
)

func setWithMode(t *testing.T, mode string) *rules.Set {
	t.Helper()
	cfg := rules.Defaults()
	cfg.Mode = mode
	set, err := rules.NewSet("mode-"+mode, cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// Switching a shop from shadow to enforce changes nothing but the mode: the
// same decisions, scores, reasons and actions, now marked enforced.
func TestShadowToEnforceChangesOnlyTheMode(t *testing.T) {
	pl := newPipeline(t)
	pl.p.SetRules(setWithMode(t, rules.ModeShadow))
	ex := examples(t)
	pl.feed(t, ex)
	shadow := map[string]rules.Assessment{}
	for _, d := range pl.decisions.decisions(t) {
		if d.Mode != rules.ModeShadow || d.Enforced {
			t.Errorf("shadow decision of %s: mode %q enforced %v", d.RefundID, d.Mode, d.Enforced)
		}
		shadow[d.RefundID] = d.Assessment
	}
	if shadow["R1002"].Decision != rules.Block || shadow["R1002"].Action != rules.HoldAndRefuse {
		t.Fatalf("shadow R1002: %+v", shadow["R1002"])
	}
	n := len(pl.decisions.msgs)
	pl.p.SetRules(setWithMode(t, rules.ModeEnforce))
	pl.feed(t, ex) // redelivered: re-assessed under the new mode
	enforced := map[string]rules.Assessment{}
	for _, d := range pl.decisions.decisions(t)[n:] {
		enforced[d.RefundID] = d.Assessment
	}
	for id, s := range shadow {
		e, ok := enforced[id]
		if !ok {
			t.Errorf("%s: no decision after switching to enforce", id)
			continue
		}
		if !e.Enforced || e.Mode != rules.ModeEnforce || e.Decision != s.Decision || e.Score != s.Score ||
			e.Action != s.Action || !slices.Equal(codes(e), codes(s)) {
			t.Errorf("%s: shadow %+v\nenforce %+v", id, s, e)
		}
	}
}

// With enforcement off, refunds are assessed for the staff but the refund
// workflow hears nothing.
func TestModeOffPublishesNothing(t *testing.T) {
	pl := newPipeline(t)
	pl.p.SetRules(setWithMode(t, rules.ModeOff))
	pl.feed(t, examples(t))
	if len(pl.decisions.msgs) != 0 {
		t.Errorf("%d decisions published with enforcement off", len(pl.decisions.msgs))
	}
	if a := pl.assessment(t, "shop-1", "R1002"); a.Decision != rules.Block || a.Enforced || a.Mode != rules.ModeOff {
		t.Errorf("stored R1002: %+v", a)
	}
}
