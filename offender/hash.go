package offender

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"sync"
)

// MinKeyLen is the shortest accepted hashing key, in bytes.
const MinKeyLen = 16

// HashLen is the length of a hash in hex characters (128 bits).
const HashLen = 32

// Hasher turns identifiers into keyed hashes. Every SellerGuard instance of
// one deployment must use the same key, and keep it: another key gives other
// hashes, so every confirmation stored under the old key stops matching.
// Safe for concurrent use.
type Hasher struct {
	pool sync.Pool // of hash.Hash: HMAC-SHA256 with the key
}

// NewHasher builds a Hasher from a secret key of at least MinKeyLen bytes.
func NewHasher(key []byte) (*Hasher, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("offender: key: %d bytes is shorter than %d", len(key), MinKeyLen)
	}
	k := append([]byte(nil), key...)
	return &Hasher{pool: sync.Pool{New: func() any { return hmac.New(sha256.New, k) }}}, nil
}

// Hash is the hex of HMAC-SHA256(key, kind + "\x00" + value), truncated to
// HashLen hex characters. Without the key it cannot be recomputed from a
// guessed phone number, so the hashes can be shared across shops.
func (h *Hasher) Hash(id Identifier) string {
	m := h.pool.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(id.Kind))
	m.Write([]byte{0})
	m.Write([]byte(id.Value))
	var sum [sha256.Size]byte
	var out [HashLen]byte
	hex.Encode(out[:], m.Sum(sum[:0])[:HashLen/2])
	h.pool.Put(m)
	return string(out[:])
}

// RandomKey returns a fresh 32-byte key as 64 hex characters, for the demo
// and tests. A deployment generates its key once and keeps it.
func RandomKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
