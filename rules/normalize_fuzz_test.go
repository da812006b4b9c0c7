package rules_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

// The normalizers see buyer-typed text of any length the decoder lets
// through (addresses, phones and waybills are not length-capped by the
// contract). They must run in time and memory proportional to it, so that no
// input makes them quadratic.

func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// normalizeAll runs every normalizer on s (as each address field too).
func normalizeAll(s string) {
	rules.NormalizePhone(s)
	rules.NormalizeTracking(s)
	rules.NormalizeName(s)
	for _, a := range []event.Address{{Address: s}, {Province: s, City: s, District: s, Address: s}} {
		rules.AddressKey(a)
		rules.CanonicalAddress(a)
	}
}

// repeats are the units that exercise the normalizers' special cases.
var repeats = []string{
	"号楼", "栋", "幢", "室", "浙江省杭州市西湖区", "１２３", "+86 ", "0086-", "*", "YT", "-", " ", "省市区",
	"\u3000", "①", "é", "\xff", "北京市朝阳区建国路88号",
}

// Ten times the input costs about ten times the time and memory: measured
// from 20 KB to 200 KB on each special-case unit (a factor of 40 is allowed
// for noise; quadratic work would show a factor near 100).
func TestNormalizersScaleLinearly(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	for _, unit := range repeats {
		cost := func(n int) (time.Duration, uint64) {
			s := strings.Repeat(unit, n/len(unit))
			start := time.Now()
			mem := allocatedBy(func() { normalizeAll(s) })
			return time.Since(start), mem
		}
		t1, m1 := cost(20_000)
		t2, m2 := cost(200_000)
		if t2 > 40*max(t1, time.Millisecond) {
			t.Errorf("%q: 20 KB took %s, 200 KB %s", unit, t1, t2)
		}
		if m2 > 40*max(m1, 1<<20) {
			t.Errorf("%q: 20 KB allocated %d KiB, 200 KB %d KiB", unit, m1>>10, m2>>10)
		}
		if m2 > 16<<20 {
			t.Errorf("%q: 200 KB allocated %d MiB", unit, m2>>20)
		}
	}
}

// FuzzNormalizersBounded runs the normalizers on a fuzzed prefix, a fuzzed
// unit repeated up to 20 000 times and a fuzzed suffix: no panic, and memory
// within a linear budget of the input.
func FuzzNormalizersBounded(f *testing.F) {
	for _, u := range repeats {
		f.Add("浙江省杭州市", u, uint16(2000), "201室")
	}
	f.Add("+86", "1", uint16(11), "")
	f.Fuzz(func(t *testing.T, head, unit string, count uint16, tail string) {
		if len(unit)*int(min(count, 20000)) > 1<<20 {
			return
		}
		s := head + strings.Repeat(unit, int(min(count, 20000))) + tail
		if got := allocatedBy(func() { normalizeAll(s) }); got > uint64(64*len(s)+1<<20) {
			t.Fatalf("%d bytes (%q × %d) allocated %d bytes", len(s), unit, count, got)
		}
	})
}
