package offender_test

import (
	"encoding/hex"
	"testing"

	"github.com/sellerguard/sellerguard/offender"
)

func mustHasher(t testing.TB, key string) *offender.Hasher {
	t.Helper()
	h, err := offender.NewHasher([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

const testKey = "sellerguard-test-key-0123456789"

func TestHashStable(t *testing.T) {
	h := mustHasher(t, testKey)
	id := offender.Identifier{Kind: "phone", Value: "m:13800138000"}
	got := h.Hash(id)
	// HMAC-SHA256("sellerguard-test-key-0123456789", "phone\x00m:13800138000"), first 16 bytes
	// (computed independently with Python's hmac module).
	const want = "c7994bc033f6690ff57400e7ef90c1b9"
	if got != want {
		t.Errorf("Hash = %s, want %s (a change orphans every stored confirmation)", got, want)
	}
	if len(got) != offender.HashLen {
		t.Errorf("len = %d", len(got))
	}
	if _, err := hex.DecodeString(got); err != nil {
		t.Errorf("not hex: %v", err)
	}
	if again := mustHasher(t, testKey).Hash(id); again != got {
		t.Errorf("another Hasher with the same key: %s", again)
	}
}

func TestHashKeyed(t *testing.T) {
	id := offender.Identifier{Kind: "account", Value: "tb_alice"}
	a := mustHasher(t, testKey).Hash(id)
	b := mustHasher(t, testKey+"x").Hash(id)
	if a == b {
		t.Error("different keys, same hash")
	}
	h := mustHasher(t, testKey)
	// The kind is part of the hash, and the separator keeps kind and value apart.
	for _, other := range []offender.Identifier{
		{Kind: "sender", Value: "tb_alice"},
		{Kind: "accoun", Value: "ttb_alice"},
		{Kind: "account", Value: "tb_alicE"},
	} {
		if h.Hash(other) == a {
			t.Errorf("%v hashes like %v", other, id)
		}
	}
}

func TestNewHasherShortKey(t *testing.T) {
	if _, err := offender.NewHasher([]byte("fifteen-bytes!!")); err == nil {
		t.Error("15-byte key accepted")
	}
	if _, err := offender.NewHasher([]byte("sixteen-bytes!!!")); err != nil {
		t.Errorf("16-byte key: %v", err)
	}
	if k := offender.RandomKey(); len(k) != 64 || k == offender.RandomKey() {
		t.Errorf("RandomKey = %q", k)
	}
}

func TestHashConcurrent(t *testing.T) {
	h := mustHasher(t, testKey)
	id := offender.Identifier{Kind: "phone", Value: "m:13800138000"}
	want := h.Hash(id)
	done := make(chan string)
	for range 8 {
		go func() {
			var got string
			for range 200 {
				got = h.Hash(id)
			}
			done <- got
		}()
	}
	for range 8 {
		if got := <-done; got != want {
			t.Errorf("concurrent hash %s", got)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	h := mustHasher(b, testKey)
	id := offender.Identifier{Kind: "phone", Value: "m:13800138000"}
	b.ReportAllocs()
	for b.Loop() {
		_ = h.Hash(id)
	}
}
