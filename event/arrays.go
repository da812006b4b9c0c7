package event

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// Arrays of structs and encoding/json.
//
// encoding/json fills a slice one element at a time, growing it as it goes,
// and allocates an error for every element of the wrong type before it
// moves on to the next: "items":[1,1,…] or [{},{},…] at 1 MiB cost over
// 100 times the message. The decoder has three such slices (Order.Items,
// Refund.Items, Inspection.ItemsReceived), and the contract sets no bound
// on their length, so instead of capping them boundArrays reads the message
// first and, when an element already decides the outcome, gives
// encoding/json a copy in which the arrays stop there. The result (the
// event, or the error with its reason, field and detail) is the one the
// whole message gives, because of how encoding/json reports errors:
//
//   - a syntax error anywhere wins; a copy is made only of a valid message;
//   - else the first error of an UnmarshalJSON (a time field) in document
//     order, which stops decoding; Item and ItemRef have none, so arrays of
//     them cannot raise one;
//   - else the first type error in document order: once an element of the
//     wrong type (or with a field of the wrong type) is found, every other
//     element only adds later type errors or none, so the copy keeps that
//     element alone and empties the other arrays (null);
//   - else the validator, which stops at the first invalid element: the
//     copy keeps the elements up to it. Each element before it is valid, so
//     was given at least a sku_id and a quantity: 24 bytes of the message.
//
// Repeated keys ("items":[…],"items":[…]) decode into one slice, element by
// element, and null or [] starts it afresh; the scan follows the same rules
// (see arrayScan.array).

// elemKind is the Go type of an array's elements.
type elemKind uint8

const (
	elemItem    elemKind = iota + 1 // Order.Items
	elemItemRef                     // Refund.Items, Inspection.ItemsReceived
)

// An element's state: what the validator will look at, after the element
// has been decoded (into whatever an earlier array with the same key left at
// its index).
const (
	stSKU       uint8 = 1 << iota // sku_id is not empty
	stProduct                     // product_id is not empty
	stQtyPos                      // quantity ≥ 1
	stQtyNeg                      // quantity < 0
	stPriceNeg                    // unit_price_minor < 0
	stWeightNeg                   // unit_weight_g < 0
)

func (k elemKind) valid(st uint8) bool {
	if k == elemItem {
		return st&(stSKU|stProduct|stQtyPos|stPriceNeg|stWeightNeg) == stSKU|stProduct|stQtyPos
	}
	return st&(stSKU|stQtyPos) == stSKU|stQtyPos
}

type span struct{ start, end int }

// arrayScan reads a message that may be invalid JSON: on anything that
// cannot be valid it gives up, and the message goes to encoding/json as it
// is (which then stops at the syntax error before decoding anything). A
// first pass finds what matters; a second, only when a copy is needed,
// writes it.
type arrayScan struct {
	d    []byte
	kind elemKind
	// Arrays given to the slice with at least one element are numbered in
	// document order; null and [] (resets) are not.
	arrays    int
	firstBad  int     // number of the first array with an element of the wrong type, or -1
	bad       span    // that element
	lastReset int     // arrays before the last reset
	states    []uint8 // element states since the last reset
	n         int     // the slice's length after the last value
	longest   int     // elements of the longest array since the last reset
	badN      int     // elements of array firstBad
	limit     int     // elements of the final slice that matter: up to the first invalid one

	write bool   // second pass
	out   []byte // the copy
	at    int    // d[:at] is in out
}

// boundArrays returns data, or a shorter copy that decodes to the same result
// (see above).
func boundArrays(kind Kind, data []byte) []byte {
	s := arrayScan{d: data, firstBad: -1}
	switch kind {
	case KindOrder:
		s.kind = elemItem
	case KindRefund, KindReturn:
		s.kind = elemItemRef
	default:
		return data
	}
	inReturn := kind == KindReturn
	if !s.top(inReturn) {
		return data
	}
	s.limit = s.n
	if s.firstBad < 0 {
		for i, st := range s.states[:s.n] {
			if !s.kind.valid(st) {
				s.limit = i + 1
				break
			}
		}
	}
	if !s.needsCopy() || !json.Valid(data) {
		return data
	}
	s.write, s.arrays, s.out = true, 0, make([]byte, 0, len(data))
	s.top(inReturn)
	return append(s.out, data[s.at:]...)
}

// needsCopy says whether some array holds elements that do not matter.
func (s *arrayScan) needsCopy() bool {
	if s.firstBad >= 0 {
		return s.arrays > 1 || s.badN > 1
	}
	return s.lastReset > 0 || s.longest > s.limit
}

// top reads the message, looking for the slice's key among its members.
// It counts nesting rather than reading member by member: most messages
// are a few hundred bytes of short strings, and this is the fast way over
// them.
func (s *arrayScan) top(inReturn bool) bool {
	d := s.d
	depth := 0
	for j := 0; j < len(d); j++ {
		switch d[j] {
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return true
			}
		case '"':
			e, ok := stringEnd(d, j)
			if !ok {
				return false
			}
			key := d[j+1 : e-1]
			if j = e - 1; depth != 1 {
				continue
			}
			k := ws(d, e)
			if k >= len(d) || d[k] != ':' {
				continue // a value
			}
			v := ws(d, k+1)
			if v >= len(d) {
				return false
			}
			switch {
			case !inReturn && keyIs(key, "items"):
				e, ok = s.value(v)
			case inReturn && keyIs(key, "inspection"):
				e, ok = s.inspection(v)
			default:
				continue
			}
			if !ok {
				return false
			}
			j = e - 1
		}
	}
	return false
}

// inspection reads a return's inspection: null replaces it with a new one,
// so its items_received start afresh.
func (s *arrayScan) inspection(i int) (int, bool) {
	d := s.d
	if d[i] == 'n' {
		s.reset()
		return literalEnd(d, i)
	}
	if d[i] != '{' {
		return skipValue(d, i)
	}
	i = ws(d, i+1)
	if i < len(d) && d[i] == '}' {
		return i + 1, true
	}
	for {
		key, v, ok := member(d, i)
		if !ok {
			return 0, false
		}
		var end int
		if keyIs(key, "items_received") {
			end, ok = s.value(v)
		} else {
			end, ok = skipValue(d, v)
		}
		if !ok {
			return 0, false
		}
		if i, ok = next(d, end, '}'); !ok || i < 0 {
			return -i, ok
		}
	}
}

// reset records a value that leaves the slice empty.
func (s *arrayScan) reset() {
	if s.write {
		return
	}
	s.lastReset, s.states, s.n, s.longest = s.arrays, s.states[:0], 0, 0
}

// value reads a value given to the slice: an array, null, or a value of the
// wrong type (an error of its own; the slice is left as it was).
func (s *arrayScan) value(i int) (int, bool) {
	d := s.d
	switch d[i] {
	case 'n':
		s.reset()
		return literalEnd(d, i)
	case '[':
		return s.array(i)
	}
	return skipValue(d, i)
}

// array reads an array of elements. encoding/json decodes element k into
// whatever index k of the slice holds (from an earlier array with the same
// key), and an empty array replaces the slice with a new one.
func (s *arrayScan) array(i int) (int, bool) {
	d := s.d
	j := ws(d, i+1)
	if j < len(d) && d[j] == ']' {
		s.reset()
		return j + 1, true
	}
	n, cut := 0, 0
	for {
		if j >= len(d) {
			return 0, false
		}
		var end int
		var ok bool
		if s.write || s.firstBad >= 0 {
			end, ok = skipValue(d, j) // states no longer matter
		} else {
			for len(s.states) <= n {
				s.states = append(s.states, 0)
			}
			var bad bool
			end, bad, ok = s.elem(j, &s.states[n])
			if ok && bad {
				s.firstBad, s.bad = s.arrays, span{j, end}
			}
		}
		if !ok {
			return 0, false
		}
		if n++; n == s.limit {
			cut = end
		}
		if j, ok = next(d, end, ']'); !ok {
			return 0, false
		}
		if j < 0 {
			break
		}
	}
	end := -j
	if s.write {
		s.rewrite(span{i, end}, n, cut)
	} else {
		if s.firstBad == s.arrays {
			s.badN = n
		}
		s.n, s.longest = n, max(s.longest, n)
	}
	s.arrays++
	return end, true
}

// rewrite copies the message up to the array at a, and what is kept of it.
func (s *arrayScan) rewrite(a span, n, cut int) {
	var keep []byte
	switch {
	case s.firstBad == s.arrays:
		keep = s.d[s.bad.start:s.bad.end]
	case s.firstBad >= 0 || s.arrays < s.lastReset:
		// null
	case n > s.limit:
		keep = s.d[a.start+1 : cut]
	default:
		return
	}
	s.out = append(s.out, s.d[s.at:a.start]...)
	if keep == nil {
		s.out = append(s.out, "null"...)
	} else {
		s.out = append(append(append(s.out, '['), keep...), ']')
	}
	s.at = a.end
}

// elem reads one element into *st, as encoding/json would decode it into the
// slice's element, and says whether it has a type error.
func (s *arrayScan) elem(i int, st *uint8) (end int, bad, ok bool) {
	d := s.d
	switch d[i] {
	case 'n': // null leaves a struct as it is
		end, ok = literalEnd(d, i)
		return end, false, ok
	case '{':
	default:
		end, ok = skipValue(d, i)
		return end, true, ok
	}
	i = ws(d, i+1)
	if i < len(d) && d[i] == '}' {
		return i + 1, false, true
	}
	for {
		key, v, ok := member(d, i)
		if !ok {
			return 0, false, false
		}
		if end, ok = skipValue(d, v); !ok {
			return 0, false, false
		}
		if !bad {
			bad = s.field(key, d[v:end], st)
		}
		if i, ok = next(d, end, '}'); !ok || i < 0 {
			return -i, bad, ok
		}
	}
}

// field applies one member of an element to *st and says whether its value
// has the wrong type. Keys are exact: foldedKey has refused the others.
func (s *arrayScan) field(key, val []byte, st *uint8) (bad bool) {
	if len(key) > 6*len("unit_price_minor") { // the longest name, every letter escaped
		return false
	}
	var buf [96]byte
	name, ok := unquoteKey(buf[:0], key)
	if !ok {
		return false // not valid JSON: nothing will be decoded
	}
	var str, itemOnly bool
	var mask uint8
	switch string(name) {
	case "sku_id":
		str, mask = true, stSKU
	case "quantity":
		mask = stQtyPos | stQtyNeg
	case "product_id":
		str, mask, itemOnly = true, stProduct, true
	case "title":
		str, itemOnly = true, true
	case "unit_price_minor":
		mask, itemOnly = stPriceNeg, true
	case "unit_weight_g":
		mask, itemOnly = stWeightNeg, true
	default:
		return false
	}
	if itemOnly && s.kind != elemItem {
		return false // not an ItemRef field: skipped
	}
	c := val[0]
	if c == 'n' { // null leaves the field as it is
		return false
	}
	var set uint8
	if str {
		if c != '"' {
			return true
		}
		if len(val) > 2 { // any character or escape is at least one rune
			set = mask
		}
	} else {
		sign, ok := intSign(val)
		if !ok {
			return true
		}
		switch {
		case sign > 0:
			set = mask & stQtyPos
		case sign < 0:
			set = mask & (stQtyNeg | stPriceNeg | stWeightNeg)
		}
	}
	*st = *st&^mask | set
	return false
}

// intSign is the sign of a JSON number that strconv.ParseInt(s, 10, 64)
// accepts (as encoding/json does for an int64), and false for any other
// value: a fraction, an exponent, out of range, not a number.
func intSign(b []byte) (int, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if u > (limit-d)/10 {
			return 0, false
		}
		u = u*10 + d
	}
	switch {
	case u == 0:
		return 0, true
	case neg:
		return -1, true
	}
	return 1, true
}

// ---- a lenient JSON reader: positions, no values ----

func ws(d []byte, i int) int {
	for i < len(d) && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index past the closing quote of the string at d[i].
// It looks at eight bytes at a time for a quote or a backslash.
func stringEnd(d []byte, i int) (int, bool) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for j := i + 1; j < len(d); j++ {
		if j+8 <= len(d) {
			x := binary.LittleEndian.Uint64(d[j:])
			q, b := x^(ones*'"'), x^(ones*'\\')
			// The lowest byte flagged is the first quote or backslash.
			m := ((q-ones)&^q | (b-ones)&^b) & highs
			if m == 0 {
				j += 7
				continue
			}
			j += bits.TrailingZeros64(m) / 8
		}
		switch d[j] {
		case '"':
			return j + 1, true
		case '\\':
			j++
		}
	}
	return 0, false
}

// literalEnd returns the end of a number, true, false or null at d[i].
func literalEnd(d []byte, i int) (int, bool) {
	j := i
	for j < len(d) {
		switch d[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j, j > i
		}
		j++
	}
	return j, j > i
}

// skipValue returns the end of the value at d[i]. Nesting is counted, not
// followed, so depth costs nothing.
func skipValue(d []byte, i int) (int, bool) {
	if i >= len(d) {
		return 0, false
	}
	switch d[i] {
	case '"':
		return stringEnd(d, i)
	case '{', '[':
	default:
		return literalEnd(d, i)
	}
	depth := 0
	for j := i; j < len(d); j++ {
		switch d[j] {
		case '"':
			e, ok := stringEnd(d, j)
			if !ok {
				return 0, false
			}
			j = e - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return j + 1, true
			}
		}
	}
	return 0, false
}

// member reads `"key" :` at d[i] and returns the key as written (without
// the quotes) and where the value starts.
func member(d []byte, i int) (key []byte, v int, ok bool) {
	if i >= len(d) || d[i] != '"' {
		return nil, 0, false
	}
	e, ok := stringEnd(d, i)
	if !ok {
		return nil, 0, false
	}
	j := ws(d, e)
	if j >= len(d) || d[j] != ':' {
		return nil, 0, false
	}
	v = ws(d, j+1)
	if v >= len(d) {
		return nil, 0, false
	}
	return d[i+1 : e-1], v, true
}

// next reads what follows a value in an object or array: after a comma it
// returns where the next member or element starts; at the closing byte it
// returns minus the index past it.
func next(d []byte, i int, closing byte) (int, bool) {
	i = ws(d, i)
	switch {
	case i >= len(d):
		return 0, false
	case d[i] == ',':
		return ws(d, i+1), true
	case d[i] == closing:
		return -(i + 1), true
	}
	return 0, false
}

// keyIs says whether a key as written is name (ASCII) once unescaped. A key
// with escapes is longer than what it spells, at most six times, and starts
// with its first letter or a backslash.
func keyIs(key []byte, name string) bool {
	if len(key) <= len(name) || key[0] != name[0] && key[0] != '\\' {
		return string(key) == name
	}
	if len(key) > 6*len(name) {
		return false
	}
	var buf [96]byte
	k, ok := unquoteKey(buf[:0], key)
	return ok && string(k) == name
}

// unquoteKey unescapes the content of a JSON string with escapes, appending
// to dst, as encoding/json does (a lone surrogate becomes U+FFFD), and is
// false where encoding/json would find a syntax error. Without escapes it
// returns s.
func unquoteKey(dst, s []byte) ([]byte, bool) {
	if bytes.IndexByte(s, '\\') < 0 {
		return s, true
	}
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c < ' ':
			return nil, false
		case c != '\\':
			dst = append(dst, c)
			r++
			continue
		}
		if r+1 >= len(s) {
			return nil, false
		}
		switch s[r+1] {
		case '"', '\\', '/':
			dst = append(dst, s[r+1])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			rr := hex4(s[r:])
			if rr < 0 {
				return nil, false
			}
			r += 6
			if utf16.IsSurrogate(rr) {
				if rr1 := hex4(s[r:]); rr1 >= 0 {
					if dec := utf16.DecodeRune(rr, rr1); dec != utf8.RuneError {
						dst = utf8.AppendRune(dst, dec)
						r += 6
						continue
					}
				}
				rr = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, rr)
			continue
		default:
			return nil, false
		}
		r += 2
	}
	return dst, true
}

// hex4 reads `\uXXXX` at the start of s, or returns -1.
func hex4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
