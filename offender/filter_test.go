package offender_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/sellerguard/sellerguard/offender"
)

// randomHashes returns n distinct hash-shaped strings from a fixed seed.
func randomHashes(seed uint64, n int) []string {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
	}
	return out
}

func mustFilter(t testing.TB, n uint, fp float64) *offender.Filter {
	t.Helper()
	f, err := offender.NewFilter(n, fp)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Measured on 100k random hashes, the false-positive rate stays within twice
// the configured one, and nothing added is ever missed.
func TestFilterFalsePositiveRate(t *testing.T) {
	const n = 100_000
	in, out := randomHashes(1, n), randomHashes(2, n)
	for _, rate := range []float64{0.01, 0.001} {
		f := mustFilter(t, n, rate)
		for _, h := range in {
			f.Add(h)
		}
		for _, h := range in {
			if !f.MayContain(h) {
				t.Fatalf("rate %v: false negative for %s", rate, h)
			}
		}
		fp := 0
		for _, h := range out {
			if f.MayContain(h) {
				fp++
			}
		}
		got := float64(fp) / n
		t.Logf("configured %.3f%%, measured %.3f%% (%d of %d), Len %d", rate*100, got*100, fp, n, f.Len())
		if got > 2*rate {
			t.Errorf("false-positive rate %.4f is above twice the configured %.4f", got, rate)
		}
		if l := f.Len(); l < n*99/100 || l > n {
			t.Errorf("Len = %d, want about %d", l, n)
		}
	}
}

func TestFilterLenCountsDistinct(t *testing.T) {
	f := mustFilter(t, 1000, 0.001)
	for range 3 {
		f.Add("aaaa")
	}
	f.Add("bbbb")
	if f.Len() != 2 {
		t.Errorf("Len = %d, want 2", f.Len())
	}
}

func TestNewFilterValidates(t *testing.T) {
	for _, tc := range []struct {
		n  uint
		fp float64
	}{{0, 0.01}, {10, 0}, {10, 1}, {10, -0.1}} {
		if _, err := offender.NewFilter(tc.n, tc.fp); err == nil {
			t.Errorf("NewFilter(%d, %v) accepted", tc.n, tc.fp)
		}
	}
}

func TestFilterReplace(t *testing.T) {
	f := mustFilter(t, 1000, 0.0001)
	old, fresh := randomHashes(3, 100), randomHashes(4, 5000)
	for _, h := range old {
		f.Add(h)
	}
	f.Replace(fresh) // more than expected: sized for twice as many
	for _, h := range fresh {
		if !f.MayContain(h) {
			t.Fatalf("replaced filter misses %s", h)
		}
	}
	gone := 0
	for _, h := range old {
		if !f.MayContain(h) {
			gone++
		}
	}
	if gone < 95 {
		t.Errorf("only %d of 100 old hashes gone after Replace", gone)
	}
	if f.Len() != 5000 {
		t.Errorf("Len = %d, want 5000", f.Len())
	}
}

// Adds and tests from several goroutines while a Rebuild fetches and builds:
// no data race, and nothing added after the Rebuild began is lost, neither
// during the fetch nor during the build.
func TestFilterConcurrentRebuild(t *testing.T) {
	f := mustFilter(t, 10_000, 0.001)
	base := randomHashes(5, 5000)
	during := make([][]string, 4) // added while fetch runs
	after := make([][]string, 4)  // added from when fetch returned
	var adders, fetched sync.WaitGroup
	fetched.Add(1)
	start := make(chan struct{})
	for w := range during {
		during[w], after[w] = randomHashes(uint64(10+w), 300), randomHashes(uint64(20+w), 300)
		adders.Go(func() {
			<-start
			for _, h := range during[w] {
				f.Add(h)
				_ = f.MayContain(h)
				_ = f.Len()
			}
		})
	}
	var late sync.WaitGroup
	for w := range after {
		late.Go(func() {
			fetched.Wait()
			for _, h := range after[w] {
				f.Add(h)
				_ = f.MayContain(h)
			}
		})
	}
	err := f.Rebuild(func() ([]string, error) {
		close(start)
		adders.Wait()
		fetched.Done()
		return base, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	late.Wait()
	for _, h := range slices.Concat(slices.Concat(during...), slices.Concat(after...), base) {
		if !f.MayContain(h) {
			t.Fatalf("lost %s", h)
		}
	}
	if f.Len() < 5000+8*300-5 {
		t.Errorf("Len = %d", f.Len())
	}
}

func TestFilterRebuildError(t *testing.T) {
	f := mustFilter(t, 100, 0.001)
	f.Add("kept")
	if err := f.Rebuild(func() ([]string, error) { return nil, errors.New("down") }); err == nil {
		t.Fatal("no error")
	}
	if !f.MayContain("kept") || f.Len() != 1 {
		t.Error("a failed rebuild changed the filter")
	}
	f.Add("after") // no longer recording for a rebuild
	f.Replace([]string{"x"})
	if f.MayContain("kept") && f.MayContain("after") {
		t.Error("Replace kept hashes added before it began")
	}
}

func BenchmarkFilterMayContain(b *testing.B) {
	f := mustFilter(b, 1_000_000, 0.001)
	for _, h := range randomHashes(1, 100_000) {
		f.Add(h)
	}
	probe := randomHashes(2, 1)[0]
	b.ReportAllocs()
	for b.Loop() {
		_ = f.MayContain(probe)
	}
}
