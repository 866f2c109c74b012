package dnsname

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestHashFoldedEveryByteEveryPosition: for names of every length through
// each of HashFolded's cases (under 4, 4–7, 8–16, one and two 16-byte
// blocks), each byte value at each position hashes as the folded name does
// and, when it folds to another name, hashes differently from it; and
// EqualFolded says whether the two fold alike.
func TestHashFoldedEveryByteEveryPosition(t *testing.T) {
	const seed = 0x5eed
	for n := 1; n <= 40; n++ {
		base := strings.Repeat("a", n)
		baseHash := HashFolded(seed, base)
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := []byte(base)
				b[pos] = byte(c)
				name := string(b)
				folded := lowerASCII(name)
				h := HashFolded(seed, name)
				if h != HashFolded(seed, folded) {
					t.Fatalf("HashFolded(%q) differs from that of %q", name, folded)
				}
				if (folded == base) != (h == baseHash) {
					t.Fatalf("HashFolded(%q) == HashFolded(%q) is %v", name, base, h == baseHash)
				}
				if !EqualFolded(folded, name) {
					t.Fatalf("EqualFolded(%q, %q) = false", folded, name)
				}
				if EqualFolded(base, name) != (folded == base) {
					t.Fatalf("EqualFolded(%q, %q) = %v", base, name, !(folded == base))
				}
			}
		}
	}
}

func TestHashFoldedSeedAndLength(t *testing.T) {
	assert.NotEqual(t, HashFolded(1, "www.example.com"), HashFolded(2, "www.example.com"), "the seed counts")
	assert.Equal(t, HashFolded(1, "WWW.Example.COM"), HashFolded(1, "www.example.com"))
	// Names whose words overlap differently must not meet: the length is
	// hashed too.
	seen := map[uint64]string{}
	for n := 0; n <= 40; n++ {
		s := strings.Repeat("a", n)
		if o, ok := seen[HashFolded(1, s)]; ok {
			t.Fatalf("%q and %q collide", s, o)
		}
		seen[HashFolded(1, s)] = s
	}
	assert.False(t, EqualFolded("abc", "abcd"))
	assert.False(t, EqualFolded("a@b", "a`b"), "only letters fold")
}

// TestHashFoldedSpreadsSimilarNames: 100k names differing in a few digits,
// as a fleet's often do, fill the buckets of a table indexed by the hash's
// low bits evenly, and no two share a 64-bit hash.
func TestHashFoldedSpreadsSimilarNames(t *testing.T) {
	const names, buckets = 100_000, 1 << 12
	var count [buckets]int
	seen := make(map[uint64]bool, names)
	for i := range names {
		h := HashFolded(0x1234, fmt.Sprintf("host-%06d.example.com", i))
		assert.False(t, seen[h], "collision at %d", i)
		seen[h] = true
		count[h%buckets]++
	}
	// With 24.4 names per bucket on average, a uniform hash puts no more
	// than about 50 in any; a weak one piles similar names together.
	for b, c := range count {
		if c > 55 {
			t.Fatalf("bucket %d holds %d of %d names", b, c, names)
		}
	}
}

func TestHashFoldedDoesNotAllocate(t *testing.T) {
	name := strings.Clone("WWW.Tenant-000042.EXAMPLE.com")
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		if !EqualFolded("www.tenant-000042.example.com", name) || HashFolded(7, name) == 0 {
			t.Fatal("fold")
		}
	}))
}

func FuzzHashFolded(f *testing.F) {
	for _, s := range []string{"WWW.Example.COM", "a", "", "\xff\xc3\x9cA", strings.Repeat("aB.", 40)} {
		f.Add(s, "www.example.com")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		fa, fb := lowerASCII(a), lowerASCII(b)
		if HashFolded(9, a) != HashFolded(9, fa) {
			t.Fatalf("HashFolded(%q) differs from that of %q", a, fa)
		}
		if EqualFolded(fb, a) != (fa == fb) {
			t.Fatalf("EqualFolded(%q, %q) = %v", fb, a, fa != fb)
		}
	})
}

func TestIndexDotEveryByteEveryPosition(t *testing.T) {
	for n := 0; n <= 20; n++ {
		for pos := 0; pos < max(n, 1); pos++ {
			for c := 0; c < 256; c++ {
				b := []byte(strings.Repeat("a", n))
				if n > 0 {
					b[pos] = byte(c)
				}
				for _, name := range []string{string(b), string(b) + ".x", string(b) + "a.b"} {
					if got, want := IndexDot(name), strings.IndexByte(name, '.'); got != want {
						t.Fatalf("IndexDot(%q) = %d, want %d", name, got, want)
					}
				}
			}
		}
	}
}

func FuzzIndexDot(f *testing.F) {
	for _, s := range []string{"www.example.com", "", ".", "abcdefgh.", "abcdefghij.k", "\xae.\x2e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := IndexDot(name), strings.IndexByte(name, '.'); got != want {
			t.Fatalf("IndexDot(%q) = %d, want %d", name, got, want)
		}
	})
}
