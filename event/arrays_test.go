package event

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// whole decodes without cutting arrays short: the reference boundArrays
// must agree with.
func whole(_ Kind, data []byte) []byte { return data }

// sameOutcome checks that Decode gives what decoding the whole message gives:
// the same event, or the same reason, field and detail.
func sameOutcome(t *testing.T, kind Kind, data []byte) {
	t.Helper()
	got, gerr := decode(kind, data, boundArrays)
	want, werr := decode(kind, data, whole)
	var g, w *Invalid
	switch {
	case errors.As(gerr, &g) && errors.As(werr, &w):
		if *g != *w {
			t.Errorf("%s %q:\ngot  %v\nwant %v", kind, data, gerr, werr)
		}
	case gerr != nil || werr != nil:
		t.Errorf("%s %q:\ngot  %v\nwant %v", kind, data, gerr, werr)
	case !reflect.DeepEqual(got, want):
		t.Errorf("%s %q:\ngot  %+v\nwant %+v", kind, data, got, want)
	}
}

const (
	validItem    = `{"sku_id":"A","product_id":"P","quantity":1}`
	validItemRef = `{"sku_id":"A","quantity":2}`
)

// What is kept of each array, on a few messages.
func TestBoundArraysCopies(t *testing.T) {
	A, B := validItem, validItemRef
	for _, c := range []struct {
		kind     Kind
		in, want string // want "" for the message itself
	}{
		{KindOrder, `{"items":[` + A + `,` + A + `]}`, ""},
		{KindOrder, `{"items":[1,2,3]}`, `{"items":[1]}`},
		{KindOrder, `{"items":[` + A + `,{},{"quantity":"x"},1]}`, `{"items":[{"quantity":"x"}]}`},
		{KindOrder, `{"items":[` + A + `, {} ,` + A + `]}`, `{"items":[` + A + `, {}]}`},
		{KindOrder, `{"items":[` + A + `,null,` + A + `]}`, `{"items":[` + A + `,null]}`},
		{KindOrder, `{"items":[{},{}],"items":[],"items":[` + A + `,` + A + `]}`, `{"items":null,"items":[],"items":[` + A + `,` + A + `]}`},
		{KindOrder, `{"items":[` + A + `,` + A + `,{}],"items":[{"title":"t"}]}`, `{"items":[` + A + `],"items":[{"title":"t"}]}`},
		{KindOrder, `{"items":[` + A + `],"items":[1,1],"items":[{}]}`, `{"items":null,"items":[1],"items":null}`},
		{KindOrder, `{"it\u0065ms":[1,1]}`, `{"it\u0065ms":[1]}`},
		{KindOrder, `{"items":[1,1],"x":}`, ""}, // not JSON: encoding/json says so
		{KindOrder, `{"inspection":{"items_received":[1,1]}}`, ""},
		{KindRefund, `{"items":[` + B + `,` + A + `,{"product_id":5}]}`, ""}, // product_id is not an ItemRef field
		{KindRefund, `{"items":[{"sku_id":""},` + B + `]}`, `{"items":[{"sku_id":""}]}`},
		{KindReturn, `{"items":[1,1]}`, ""},
		{KindReturn, `{"inspection":{"items_received":[1,1]}}`, `{"inspection":{"items_received":[1]}}`},
		{KindReturn, `{"inspection":{"items_received":[{},{}]},"inspection":null,"inspection":{"items_received":[` + B + `,{}]}}`,
			`{"inspection":{"items_received":null},"inspection":null,"inspection":{"items_received":[` + B + `,{}]}}`},
		{KindMessage, `{"items":[1,1]}`, ""},
	} {
		want := c.want
		if want == "" {
			want = c.in
		}
		if got := boundArrays(c.kind, []byte(c.in)); string(got) != want {
			t.Errorf("%s %s:\ngot  %s\nwant %s", c.kind, c.in, got, want)
		}
		sameOutcome(t, c.kind, []byte(c.in))
	}
}

// Random messages around the arrays: elements of every type, fields of the
// right and wrong types, repeated keys, resets, other errors before and
// after, and now and then a byte missing.
func TestBoundArraysKeepsTheOutcome(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		kind := Kinds[r.IntN(len(Kinds))]
		sameOutcome(t, kind, []byte(randomMessage(r, kind)))
		if t.Failed() {
			return
		}
	}
}

func FuzzBoundArrays(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 100 {
		ki := r.IntN(len(Kinds))
		f.Add(uint8(ki), randomMessage(r, Kinds[ki]))
	}
	f.Fuzz(func(t *testing.T, ki uint8, data string) {
		sameOutcome(t, Kinds[int(ki)%len(Kinds)], []byte(data))
	})
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func randomElement(r *rand.Rand) string {
	switch r.IntN(12) {
	case 0:
		return "null"
	case 1:
		return pick(r, `1`, `"s"`, `true`, `[]`, `[1]`, `-2`, `{"a":[{}]}`)
	case 2:
		return validItem
	case 3:
		return validItemRef
	}
	var b strings.Builder
	b.WriteString("{")
	for i := range r.IntN(4) {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"` + pick(r, `sku_id`, `product_id`, `title`, `quantity`, `unit_price_minor`, `unit_weight_g`,
			`x`, `sku\u005fid`, `quantit\u0079`, `\u0071uantity`, `note`) + `":`)
		b.WriteString(pick(r, `"A"`, `""`, `null`, `0`, `1`, `2`, `-1`, `1.5`, `"1"`, `true`, `{}`, `[]`,
			`9223372036854775807`, `-9223372036854775808`, `9223372036854775808`, `1e2`, `-0`, `"\u0000"`, `"\"}]"`,
			`[1,{"a":"]"}]`, `{"sku_id":5}`))
	}
	b.WriteString("}")
	return b.String()
}

func randomArray(r *rand.Rand) string {
	switch r.IntN(10) {
	case 0:
		return "null"
	case 1:
		return "[]"
	case 2:
		return pick(r, `5`, `"x"`, `{}`, `true`)
	}
	n := 1 + r.IntN(6)
	if r.IntN(10) == 0 {
		n = 50 + r.IntN(100)
	}
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(pick(r, ",", ", ", " ,\n"))
		}
		b.WriteString(randomElement(r))
	}
	b.WriteString("]")
	return b.String()
}

func randomMessage(r *rand.Rand, kind Kind) string {
	common := []string{`"event_id":"e1"`, `"shop_id":"s1"`, `"occurred_at":"2026-11-01T10:00:00+08:00"`}
	ms := append(common, map[Kind][]string{
		KindOrder: {`"order_id":"T1"`, `"buyer_id":"b"`, `"status":"paid"`, `"created_at":"2026-11-01T09:58:12+08:00"`,
			`"amount_minor":100`, `"receiver":{"name":"x"}`},
		KindRefund: {`"refund_id":"R1"`, `"order_id":"T1"`, `"buyer_id":"b"`, `"kind":"refund_only"`, `"reason":"other"`,
			`"status":"requested"`, `"requested_at":"2026-11-01T09:58:12+08:00"`, `"amount_minor":100`},
		KindReturn:  {`"tracking_no":"SF1"`, `"carrier":"SF"`, `"status":"created"`},
		KindMessage: {`"message_id":"m"`, `"buyer_id":"b"`, `"channel":"chat"`, `"text":"hi"`},
	}[kind]...)
	if r.IntN(3) == 0 { // another error: a type, a time, the validator, a key
		ms = append(ms, pick(r, `"amount_minor":"x"`, `"occurred_at":5`, `"occurred_at":"bad"`, `"status":"bogus"`,
			`"shop_id":""`, `"event_id":7`, `"created_at":"2026-11-01T09:58:12+24:00"`, `"receiver":null`, `"SHOP_ID":"x"`,
			`"inspection":{"outcome":"bogus"}`, `"items":{}`, `"inspection":5`, `"weight_g":-1`))
	}
	for range r.IntN(4) {
		switch {
		case kind != KindReturn:
			ms = append(ms, `"`+pick(r, `items`, `items`, `items`, `it\u0065ms`, `inspection`)+`":`+randomArray(r))
		case r.IntN(6) == 0:
			ms = append(ms, `"inspection":null`)
		case r.IntN(5) == 0:
			ms = append(ms, `"items_received":`+randomArray(r))
		default:
			parts := []string{`"outcome":"ok"`}
			for range r.IntN(3) {
				parts = append(parts, `"`+pick(r, `items_received`, `items\u005freceived`)+`":`+randomArray(r))
			}
			r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
			ms = append(ms, `"inspection":{`+strings.Join(parts, ",")+`}`)
		}
	}
	r.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
	doc := "{" + strings.Join(ms, pick(r, ",", ", ", ",\n")) + "}"
	if r.IntN(20) == 0 {
		i := r.IntN(len(doc))
		doc = doc[:i] + doc[i+1:]
	}
	return doc
}

func ExampleDecode_longArray() {
	many := strings.TrimSuffix(strings.Repeat(validItem+",", 5000), ",")
	msg := `{"event_id":"e","shop_id":"s","occurred_at":"2026-11-01T10:00:00Z","order_id":"T","buyer_id":"b",` +
		`"status":"paid","created_at":"2026-11-01T10:00:00Z","amount_minor":1,"receiver":{},"items":[%s]}`
	ev, err := Decode(KindOrder, fmt.Appendf(nil, msg, many))
	fmt.Println(len(ev.(*Order).Items), err)
	_, err = Decode(KindOrder, fmt.Appendf(nil, msg, many+",{}"))
	fmt.Println(err)
	_, err = Decode(KindOrder, fmt.Appendf(nil, msg, "{},"+many+`,{"quantity":"1"}`))
	fmt.Println(err)
	// Output:
	// 5000 <nil>
	// missing_field: items[5000].sku_id: required
	// wrong_type: items.quantity: want int64, got JSON string
}
