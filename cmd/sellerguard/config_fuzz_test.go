package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The config loader reads files an operator wrote, or a config-management
// tool generated: whatever it is given, it must return a config or an error
// naming the file, never panic, and not blow up on YAML built to (aliases).

func loadBytes(t *testing.T, data []byte) (err error, took time.Duration, alloc uint64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err = loadConfig(path)
	took = time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil && !strings.Contains(err.Error(), path) {
		t.Fatalf("error does not name the file: %v", err)
	}
	return err, took, after.TotalAlloc - before.TotalAlloc
}

// aliasBomb is a "billion laughs" document: nine levels of nine aliases.
func aliasBomb() []byte {
	var b strings.Builder
	b.WriteString("a0: &a0 [\"lol\"]\n")
	for i := 1; i <= 9; i++ {
		b.WriteString("a" + itoa(i) + ": &a" + itoa(i) + " [")
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("*a" + itoa(i-1))
		}
		b.WriteString("]\n")
	}
	b.WriteString("retention: *a9\n")
	return []byte(b.String())
}

func itoa(i int) string { return string(rune('0' + i)) }

// Hostile documents fail fast, with little memory, naming the file.
func TestConfigLoaderHostileDocuments(t *testing.T) {
	deep := strings.Repeat("[", 50000) + strings.Repeat("]", 50000)
	for name, doc := range map[string][]byte{
		"alias bomb":          aliasBomb(),
		"deep flow sequence":  []byte("rules: " + deep + "\n"),
		"deep block mapping":  []byte(strings.Repeat("a:\n ", 5000) + "b: 1\n"),
		"huge key":            []byte(strings.Repeat("k", 1<<20) + ": 1\n"),
		"many documents":      []byte(strings.Repeat("---\nretention: 1h\n", 20000)),
		"binary":              {0xff, 0xfe, 0x00, 0x01, ':', '\n'},
		"tab indentation":     []byte("topics:\n\torders: x\n"),
		"huge number":         []byte("retention: 1" + strings.Repeat("0", 100000) + "h\n"),
		"merge key recursion": []byte("a: &a {<<: *a}\n"),
	} {
		err, took, alloc := loadBytes(t, doc)
		if err == nil && name != "many documents" {
			t.Errorf("%s: accepted", name)
		}
		if took > 5*time.Second || alloc > 256<<20 {
			t.Errorf("%s: took %s and allocated %d MiB", name, took, alloc>>20)
		}
	}
}

// FuzzLoadConfig: any file gives a config or an error naming the file,
// without panicking, in bounded time and memory.
func FuzzLoadConfig(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	seeds = append(seeds, filepath.Join("..", "..", "config.example.yaml"))
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(aliasBomb())
	f.Add([]byte("topics: {orders: a, refunds: a}\n"))
	f.Add([]byte("retention: -1h\nrules: {review_score: 101}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, took, alloc := loadBytes(t, data)
		if took > 10*time.Second || alloc > uint64(512<<20) {
			t.Fatalf("%d bytes: took %s and allocated %d MiB", len(data), took, alloc>>20)
		}
	})
}
