package serve

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFoldHashEveryByteFoldsAlike puts every byte at the start, the word
// boundaries and the end of names of every length foldHash reads
// differently (HashFolded's forms, and foldHashMid's four words for 17 to
// 32 bytes, overlapping or not): a name hashes as its fold does, for any
// seed, so a key is found from a server name in any case.
func TestFoldHashEveryByteFoldsAlike(t *testing.T) {
	for _, seed := range []uint64{0, 1, 0x9e3779b97f4a7c15} {
		for n := 1; n <= 40; n++ {
			base := strings.Repeat("m", n)
			for _, at := range []int{0, 7, 8, 15, n - 16, n - 9, n - 8, n - 1} {
				if at < 0 || at >= n {
					continue
				}
				for x := 0; x < 256; x++ {
					name := []byte(base)
					name[at] = byte(x)
					if got, want := foldHash(seed, string(name)), foldHash(seed, foldASCII(string(name))); got != want {
						t.Fatalf("seed %#x, len %d, byte %#x at %d: %#x, its fold %#x", seed, n, x, at, got, want)
					}
				}
			}
		}
	}
}

// TestFoldHashMidReadsEveryByteInPlace: for 17 to 32 bytes, changing any
// one byte other than by its case changes the hash, and so does swapping
// the name's first and last eight bytes or its two halves, which a hash
// that multiplied the halves' words under the same keys would not see
// (its products would only trade places).
func TestFoldHashMidReadsEveryByteInPlace(t *testing.T) {
	for _, seed := range []uint64{0, 1, 0x9e3779b97f4a7c15} {
		for n := 17; n <= 32; n++ {
			name := []byte(strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", 2)[:n])
			h := foldHash(seed, string(name))
			for at := range n {
				changed := []byte(string(name))
				changed[at] = '-'
				require.NotEqual(t, h, foldHash(seed, string(changed)), "seed %#x: %q and %q", seed, name, changed)
			}
			swapped := []byte(string(name))
			for i := range 8 {
				swapped[i], swapped[n-8+i] = name[n-8+i], name[i]
			}
			require.NotEqual(t, h, foldHash(seed, string(swapped)), "seed %#x: %q and %q", seed, name, swapped)
			if n == 32 {
				halves := string(name[16:]) + string(name[:16])
				require.NotEqual(t, h, foldHash(seed, halves), "seed %#x: %q and %q", seed, name, halves)
			}
		}
	}
}

// TestFoldHashSpreadsNamesThatDifferAnywhere numbers names of 17 to 32
// bytes at their start, middle or end and counts the distinct groups
// their hashes choose among 2^15: each set must reach about as many as
// random hashes would (~14,960 for 20,000 names; 14,500 is ~7 standard
// deviations below), as a table's probe lengths need. A hash that missed
// the numbered bytes would put each set in one group.
func TestFoldHashSpreadsNamesThatDifferAnywhere(t *testing.T) {
	const names, groups = 20_000, 1 << 15
	for _, n := range []int{17, 23, 25, 32} {
		for _, at := range []int{0, n/2 - 2, n - 5} {
			seen := map[uint64]bool{}
			for i := range names {
				name := []byte(strings.Repeat("x", n))
				copy(name[at:], fmt.Sprintf("%05d", i))
				seen[foldHash(0x9e3779b97f4a7c15, string(name))%groups] = true
			}
			require.Greater(t, len(seen), 14_500, "len %d, numbered at %d", n, at)
		}
	}
}

// TestLookupServesWildcardParentsOfEveryLength serves a wildcard for
// parents of every length from 1 to 70 and asks for a name under each, in
// several cases: lookup hashes the parent with its own inlined copy of
// foldHash for 17 to 32 bytes, which must agree with the hash the table
// filed the parent under, or the wildcard would not be found. A name whose
// parent differs in one byte finds nothing.
func TestLookupServesWildcardParentsOfEveryLength(t *testing.T) {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	var entries []*certEntry
	parents := map[string]int{}
	for m := 1; m <= 70; m++ {
		var b strings.Builder
		for b.Len() < m {
			if b.Len() > 0 && b.Len()%9 == 0 && b.Len() < m-1 {
				b.WriteByte('.')
				continue
			}
			b.WriteByte(chars[(m*7+b.Len())%len(chars)])
		}
		parents[b.String()] = len(entries)
		entries = append(entries, fakeEntry(fmt.Sprint("wild", m), time.Now(), "*."+b.String()))
	}
	c := NewCache(Options{})
	c.update(entries, nil)
	for parent, i := range parents {
		for _, first := range []string{"w", "www", "abcdefgh", "a-much-longer-first-label"} {
			name := first + "." + parent
			for _, asked := range []string{name, strings.ToUpper(name), flipCase(name), name + "."} {
				cert, err := c.GetCertificate(hello(asked))
				require.NoError(t, err, asked)
				require.Same(t, entries[i].cert, cert, "%q is served by *.%s", asked, parent)
			}
			other := []byte(name)
			other[len(other)-1] = "qr"[(other[len(other)-1]+1)%2] // another letter
			_, err := c.GetCertificate(hello(string(other)))
			require.ErrorIs(t, err, ErrUnknownName, "%q", other)
		}
	}
}
