package main

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/sellerguard/sellerguard/redistest"
	"github.com/sellerguard/sellerguard/sim"
)

// A small simulated world through the real pipeline must meet bounds a
// little looser than the default world's targets, so a regression in a rule
// or in the plumbing cannot land silently.
func TestQualityOnSmallWorld(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a simulated world")
	}
	rep, err := evaluateWorld(context.Background(), 42, 500, []string{redistest.Start(t)}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var malicious []string
	for name, bad := range sim.Scenarios() {
		if bad {
			malicious = append(malicious, name)
		}
	}
	slices.Sort(malicious)
	targets := sim.Targets{MinRecall: 0.9, MaxHonestBlocked: 0.005, MaxHonestReview: 0.05, MinMaliciousCaught: 0.9,
		RequireEveryLabeled: malicious}
	for _, miss := range rep.Check(targets) {
		t.Error(miss)
	}
	t.Logf("\n%s", rep.Markdown())
}
