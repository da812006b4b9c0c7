package event_test

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/event"
)

// allocated runs f and returns the bytes it allocated (the whole process's,
// so callers run it alone).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// decodeBudget is what one Decode may allocate for an input of n bytes: a
// multiple of the input plus a constant. Anything that grew faster than the
// input (a decoder expanding nesting, escapes or numbers) would break it on
// the worst cases below.
func decodeBudget(n, factor int) uint64 { return uint64(factor*n + 1<<20) }

// decodeFactor is the allocation budget's multiple of the input. Arrays of
// structs were the exception (encoding/json allocated a struct, and an
// error, per element: 230 times the input for "items":[1,1,…]); Decode now
// stops them at the element that decides the outcome, so every shape below
// stays within it.
const decodeFactor = 32

// hostileShapes builds inputs of about n bytes in the shapes that make
// decoders allocate most or take longest. Every array field of every kind
// (order and refund items, a return's inspection.items_received) is filled
// with elements of each JSON type, empty or wrong inside, and repeated.
func hostileShapes(n int) map[string][]byte {
	rep := func(unit string) string { return strings.Repeat(unit, max(n/len(unit), 1)) }
	half := func(open, closing string) string {
		k := max(n/(2*len(open)), 1)
		return strings.Repeat(open, k) + strings.Repeat(closing, k)
	}
	shapes := map[string][]byte{
		"deep arrays":          []byte(`{"event_id":"x","items":` + half("[", "]") + `}`),
		"deep objects":         []byte(`{"event_id":"x","items":` + half(`{"a":`, "}") + `}`),
		"objects array":        []byte(`{"event_id":"x","items":[` + strings.TrimSuffix(rep(`{"sku_id":"s","quantity":1},`), ",") + `]}`),
		"escapes in a string":  []byte(`{"event_id":"` + rep(`\u00e9`) + `"}`),
		"many unknown keys":    []byte(`{"event_id":"x"` + rep(`,"k":1`) + `}`),
		"many escaped keys":    []byte(`{"event_id":"x"` + rep(`,"\/":1`) + `}`),
		"long number":          []byte(`{"event_id":"x","amount_minor":1` + rep("0") + `}`),
		"long exponent":        []byte(`{"event_id":"x","amount_minor":1e` + rep("9") + `}`),
		"whitespace":           []byte(`{"event_id":` + rep(" ") + `"x"}`),
		"unterminated string":  []byte(`{"event_id":"` + rep("a")),
		"invalid UTF-8 at end": append([]byte(`{"event_id":"`+rep("a")), 0xff),
	}
	// Arrays of about n bytes of one element, and of empty objects with one
	// element of the wrong type at the end.
	elems := map[string]string{
		"numbers": "1", "strings": `""`, "booleans": "true", "nulls": "null", "arrays": "[]",
		"empty objects": "{}", "wrong-typed fields": `{"quantity":""}`, "negative quantities": `{"quantity":-1}`,
	}
	for field, wrap := range map[string]func(string) string{
		"items":                     func(a string) string { return `{"event_id":"x","items":` + a + `}` },
		"inspection.items_received": func(a string) string { return `{"event_id":"x","inspection":{"items_received":` + a + `}}` },
	} {
		for name, e := range elems {
			shapes[field+" of "+name] = []byte(wrap("[" + strings.TrimSuffix(rep(e+","), ",") + "]"))
		}
		shapes[field+" wrong type last"] = []byte(wrap("[" + rep("{},") + "1]"))
	}
	// The same key again and again: each array decodes into the same slice.
	shapes["items repeated"] = []byte(`{"event_id":"x"` + rep(`,"items":[{}]`) + `}`)
	shapes["items emptied and refilled"] = []byte(`{"event_id":"x"` + rep(`,"items":[],"items":[{},{}]`) + `}`)
	shapes["inspection reset and refilled"] = []byte(`{"event_id":"x"` + rep(`,"inspection":null,"inspection":{"items_received":[{},{}]}`) + `}`)
	return shapes
}

// The worst shapes at the size limit decode (or fail) within a memory
// budget proportional to their size and in bounded time, for every kind.
func TestDecodeWorstCaseMemory(t *testing.T) {
	worst, worstFactor := "", 0.0
	for name, data := range hostileShapes(event.MaxBytes - 64) {
		for _, kind := range event.Kinds {
			var err error
			start := time.Now()
			got := allocated(func() { _, err = event.Decode(kind, data) })
			took := time.Since(start)
			if f := float64(got) / float64(len(data)); f > worstFactor {
				worst, worstFactor = fmt.Sprintf("%s as %s", name, kind), f
			}
			if budget := decodeBudget(len(data), decodeFactor); got > budget {
				t.Errorf("%s as %s (%d bytes): allocated %d MiB, budget %d MiB", name, kind, len(data), got>>20, budget>>20)
			}
			if took > 5*time.Second {
				t.Errorf("%s as %s: took %s", name, kind, took)
			}
			var inv *event.Invalid
			if err != nil && !errors.As(err, &inv) {
				t.Errorf("%s as %s: %T %v, want *event.Invalid", name, kind, err, err)
			}
		}
	}
	t.Logf("most allocated: %s, %.1f times its size", worst, worstFactor)
}

// FuzzDecodeBounded feeds the decoder repetitions of a fuzzed fragment
// inside a fuzzed frame, so the fuzzer explores large inputs (nesting,
// repetition) that plain byte mutation rarely reaches: no panic, a typed
// error, and allocation within budget.
func FuzzDecodeBounded(f *testing.F) {
	f.Add(uint8(0), `{"event_id":"x","items":`, "[", uint16(5000), "]")
	f.Add(uint8(1), `{"event_id":"x","text":"`, `\ud800`, uint16(30000), `"}`)
	f.Add(uint8(2), `{"event_id":"x","items":[`, `{"sku_id":"s","quantity":1},`, uint16(20000), `{}]}`)
	f.Add(uint8(3), `{"shop_id":"s","event_id":"`, "é", uint16(60000), `"}`)
	f.Add(uint8(0), `{"event_id":"x"`, `,"a":{}`, uint16(40000), `}`)
	f.Add(uint8(0), `{"event_id":"x","items":[`, `1,`, uint16(60000), `1]}`)
	f.Add(uint8(2), `{"event_id":"x","inspection":{"items_received":[`, `{},`, uint16(60000), `null]}}`)
	f.Add(uint8(1), `{"event_id":"x"`, `,"items":[{},null]`, uint16(40000), `}`)
	f.Fuzz(func(t *testing.T, ki uint8, head, unit string, count uint16, tail string) {
		kind := event.Kinds[int(ki)%len(event.Kinds)]
		if len(unit) == 0 || len(unit)*int(count) > 2*event.MaxBytes {
			return
		}
		var b bytes.Buffer
		b.WriteString(head)
		for range count {
			b.WriteString(unit)
		}
		b.WriteString(tail)
		data := b.Bytes()
		var err error
		got := allocated(func() { _, err = event.Decode(kind, data) })
		if err != nil {
			var inv *event.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("%T %v: want *event.Invalid", err, err)
			}
		}
		if got > decodeBudget(len(data), decodeFactor) {
			t.Fatalf("%s: %d bytes (%q × %d) allocated %d bytes", kind, len(data), unit, count, got)
		}
	})
}
