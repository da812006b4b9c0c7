package offender

import (
	"errors"
	"fmt"
	"sync"

	"github.com/bits-and-blooms/bloom/v3"
)

// Filter is an in-process bloom filter of known offenders' hashes. It is only
// a pre-filter in front of Redis: "no" is final for every hash this process
// loaded or was told of (other instances' confirmations arrive with the next
// Book.Refresh), "maybe" must be confirmed in Redis. Safe for concurrent use:
// tests share a read lock, adds take the write lock (the library is not
// goroutine-safe for adds).
type Filter struct {
	expected uint
	fpRate   float64

	mu    sync.RWMutex
	bf    *bloom.BloomFilter
	n     uint // distinct hashes added, as the filter tells them apart
	sized uint // the element count bf was sized for

	// While Rebuild fetches and builds a new filter outside the lock, adds
	// are also recorded here and replayed into the new one, so none is lost.
	rebuilding bool
	pending    []string
	rebuild    sync.Mutex // one Rebuild at a time
}

// NewFilter sizes a filter for expected hashes at a false-positive rate
// fpRate (0 < fpRate < 1). Past expected hashes the rate rises; Rebuild
// (which Book.Load calls) sizes the new filter for at least twice what it
// holds.
func NewFilter(expected uint, fpRate float64) (*Filter, error) {
	switch {
	case expected == 0:
		return nil, errors.New("offender: filter: expected must be positive")
	case !(fpRate > 0 && fpRate < 1):
		return nil, fmt.Errorf("offender: filter: false-positive rate %v is not between 0 and 1", fpRate)
	}
	return &Filter{expected: expected, fpRate: fpRate, bf: bloom.NewWithEstimates(expected, fpRate), sized: expected}, nil
}

// Add puts a hash into the filter.
func (f *Filter) Add(hash string) {
	f.mu.Lock()
	if !f.bf.TestAndAddString(hash) {
		f.n++
	}
	if f.rebuilding {
		f.pending = append(f.pending, hash)
	}
	f.mu.Unlock()
}

// MayContain is false when hash was certainly never added, true when it may
// have been (then ask Redis).
func (f *Filter) MayContain(hash string) bool {
	f.mu.RLock()
	ok := f.bf.TestString(hash)
	f.mu.RUnlock()
	return ok
}

// Len is the number of distinct hashes added, for metrics. It is counted on
// adds the filter did not already answer "maybe" for, so it runs slightly low
// (by the false positives among them).
func (f *Filter) Len() uint {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.n
}

// Replace swaps the filter's content for exactly hashes, plus whatever Add
// put in while it ran.
func (f *Filter) Replace(hashes []string) {
	_ = f.Rebuild(func() ([]string, error) { return hashes, nil })
}

// Rebuild replaces the filter's content with the hashes fetch returns, plus
// every hash added from the moment Rebuild was called: so a hash confirmed
// after the fetch's snapshot but before the swap is not lost. The new filter
// is sized for max(expected, 2 × len(hashes)) and built outside the lock, so
// lookups go on meanwhile against the old one. On a fetch error the filter
// stays as it was. Rebuilds run one at a time.
func (f *Filter) Rebuild(fetch func() ([]string, error)) error {
	f.rebuild.Lock()
	defer f.rebuild.Unlock()
	f.mu.Lock()
	f.rebuilding, f.pending = true, nil
	f.mu.Unlock()
	hashes, err := fetch()
	if err != nil {
		f.mu.Lock()
		f.rebuilding, f.pending = false, nil
		f.mu.Unlock()
		return err
	}

	size := max(f.expected, 2*uint(len(hashes)))
	bf := bloom.NewWithEstimates(size, f.fpRate)
	var n uint
	for _, h := range hashes {
		if !bf.TestAndAddString(h) {
			n++
		}
	}

	f.mu.Lock()
	for _, h := range f.pending {
		if !bf.TestAndAddString(h) {
			n++
		}
	}
	f.bf, f.n, f.sized = bf, n, size
	f.rebuilding, f.pending = false, nil
	f.mu.Unlock()
	return nil
}

// overfull reports whether the filter holds more hashes than it was sized
// for, so its false-positive rate is above the configured one.
func (f *Filter) overfull() bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.n > f.sized
}
