package faulttest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/redistest"
)

// hostile is one hostile message and the reason it must be dead-lettered for.
type hostile struct {
	name   string
	kind   event.Kind
	value  []byte
	reason string
}

// hostileInputs are messages built to hurt: too big, too deep, too long,
// broken, out of range. Each must reach the dead-letter topic with its reason
// while the stream around it goes on.
func hostileInputs(valid []input) []hostile {
	first := map[event.Kind][]byte{}
	for _, in := range valid {
		if _, ok := first[in.kind]; !ok {
			first[in.kind] = in.value
		}
	}
	mutate := func(kind event.Kind, id string, f func(m map[string]any)) []byte {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(string(first[kind])))
		dec.UseNumber()
		_ = dec.Decode(&m)
		m["event_id"] = id
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	raw := func(kind event.Kind, id, field, rawJSON string) []byte {
		b := mutate(kind, id, func(m map[string]any) { m[field] = json.RawMessage(`"__RAW__"`) })
		return []byte(strings.Replace(string(b), `"__RAW__"`, rawJSON, 1))
	}
	deep := `{"event_id": "h-deep", "x": ` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`
	hugeArray := "[" + strings.TrimSuffix(strings.Repeat("1,", 150000), ",") + "]"
	return []hostile{
		{"broken UTF-8 in a string", event.KindRefund, []byte(strings.Replace(string(mutate(event.KindRefund, "h-utf8", func(map[string]any) {})), "h-utf8", "h-utf8\xc3\x28", 1)), event.ReasonBadUTF8},
		{"lone surrogate bytes", event.KindMessage, []byte(strings.Replace(string(mutate(event.KindMessage, "h-surrogate", func(map[string]any) {})), "h-surrogate", "h-\xed\xa0\x80", 1)), event.ReasonBadUTF8},
		{"deep JSON (100 000 levels)", event.KindOrder, []byte(deep), event.ReasonBadJSON},
		{"huge array of the wrong type", event.KindOrder, []byte(raw(event.KindOrder, "h-array", "items", hugeArray)), event.ReasonWrongType},
		{"amount past int64", event.KindRefund, raw(event.KindRefund, "h-int64", "amount_minor", "9223372036854775808"), event.ReasonWrongType},
		{"amount 1e400", event.KindOrder, raw(event.KindOrder, "h-1e400", "amount_minor", "1e400"), event.ReasonWrongType},
		{"fractional amount", event.KindOrder, raw(event.KindOrder, "h-frac", "amount_minor", "12.5"), event.ReasonWrongType},
		{"negative amount", event.KindRefund, raw(event.KindRefund, "h-neg", "amount_minor", "-1"), event.ReasonNegative},
		{"unknown enum", event.KindRefund, mutate(event.KindRefund, "h-enum", func(m map[string]any) { m["kind"] = "teleport" }), event.ReasonBadEnum},
		{"unknown status", event.KindReturn, mutate(event.KindReturn, "h-status", func(m map[string]any) { m["status"] = "DELIVERED" }), event.ReasonBadEnum},
		{"missing refund_id", event.KindRefund, mutate(event.KindRefund, "h-missing", func(m map[string]any) { delete(m, "refund_id") }), event.ReasonMissing},
		{"missing occurred_at", event.KindOrder, mutate(event.KindOrder, "h-missing-time", func(m map[string]any) { delete(m, "occurred_at") }), event.ReasonMissing},
		{"time out of range", event.KindMessage, raw(event.KindMessage, "h-time", "occurred_at", `"2026-13-45T25:61:00Z"`), event.ReasonBadTime},
		{"over-long shop_id", event.KindOrder, mutate(event.KindOrder, "h-long", func(m map[string]any) { m["shop_id"] = strings.Repeat("店", 65) }), event.ReasonTooLong},
		{"over-long text", event.KindMessage, mutate(event.KindMessage, "h-text", func(m map[string]any) { m["text"] = strings.Repeat("投诉", 5001) }), event.ReasonTooLong},
		{"key differing only in case", event.KindRefund, raw(event.KindRefund, "h-case", "SHOP_ID", `"other-shop"`), event.ReasonAmbiguous},
		{"wrong type for a string", event.KindReturn, raw(event.KindReturn, "h-type", "tracking_no", `{"no": 1}`), event.ReasonWrongType},
		{"JSON null", event.KindOrder, []byte("null"), event.ReasonBadJSON},
		{"empty message", event.KindRefund, []byte{}, event.ReasonBadJSON},
		{"truncated JSON", event.KindReturn, mutate(event.KindReturn, "h-trunc", func(map[string]any) {})[:40], event.ReasonBadJSON},
		{"NUL bytes and binary", event.KindMessage, []byte("\x00\x01\x02{\"event_id\":\"h-bin\"}"), event.ReasonBadJSON},
	}
}

// Hostile input amid ordinary traffic: each hostile message is dead-lettered
// once with its reason, the ordinary events around it are processed as in a
// clean run, and the daemon never stops.
func TestHostileInputIsDeadLettered(t *testing.T) {
	needDaemon(t)
	w := simWorkload("hostile", 404, 1500, false)
	bad := hostileInputs(w.inputs)
	step := len(w.inputs) / (len(bad) + 1)
	var mixed []input
	for i, in := range w.inputs {
		if j := i/step - 1; i%step == 0 && j >= 0 && j < len(bad) {
			h := bad[j]
			_, err := event.Decode(h.kind, h.value)
			inv, _ := err.(*event.Invalid)
			if inv == nil || inv.Reason != h.reason {
				t.Errorf("%s: the decoder says %v, the test expects %s", h.name, err, h.reason)
			}
			mixed = append(mixed, input{kind: h.kind, key: []byte(fmt.Sprintf("hostile-%d", j)), value: h.value, reason: h.reason})
		}
		mixed = append(mixed, in)
	}
	w.inputs = mixed
	cleanRun(t, w)
	e := newEnv(t)
	rs := redistest.StartServer(t)
	d := e.startDaemon("sg", rs.Addr)
	e.produce(w, 1000).wait(t)
	e.waitConsumed(45*time.Second, d)
	e.verify(d, w, []string{rs.Addr}, false)
	for _, h := range bad {
		if n, _ := d.metric("sellerguard_events_invalid_total", `reason="`+h.reason+`"`); n == 0 {
			t.Errorf("events_invalid_total{reason=%q} is 0", h.reason)
		}
	}
}

// A message over the 1 MiB limit, on an input topic that accepts it, is
// dead-lettered as too_large and the stream goes on.
func TestOversizedMessageIsDeadLettered(t *testing.T) {
	needDaemon(t)
	w := simWorkload("oversized", 505, 300, false)
	big := []byte(fmt.Sprintf(`{"event_id": "h-big", "pad": %q}`, strings.Repeat("x", event.MaxBytes)))
	w.inputs = append(w.inputs[:150:150], append([]input{{kind: event.KindOrder, key: []byte("big"), value: big, reason: event.ReasonTooLarge}}, w.inputs[150:]...)...)
	e := newEnvWith(t, nil, map[string]string{"max.message.bytes": fmt.Sprint(4 << 20)})
	rs := startRedis(t)
	d := e.startDaemon("sg", rs)
	e.produce(w, 0).wait(t)
	e.waitConsumed(30*time.Second, d)
	e.verify(d, w, []string{rs}, false)
}
