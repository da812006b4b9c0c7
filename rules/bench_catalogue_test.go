package rules_test

import (
	"testing"

	"github.com/sellerguard/sellerguard/rules"
)

// BenchmarkAssessCatalogue assesses every table case once per iteration: the
// cost of the whole catalogue on typical cases.
func BenchmarkAssessCatalogue(b *testing.B) {
	cases := catalogueCases()
	rules.Assess(cases[0].c, cases[0].config(), now) // load the tables
	b.ResetTimer()
	for b.Loop() {
		for _, tc := range cases {
			rules.Assess(tc.c, tc.config(), now)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cases)), "ns/case")
}
