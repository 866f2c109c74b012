package serve

import (
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSketchOfEveryByteFoldsAlike puts every byte at the start, middle and
// end of names of every length sketchOf reads differently (bytes, two half
// words, three words overlapping or not, words far apart): a name hashes as
// its fold does, for any seed, so the sketch never hides a key from a name
// in another case.
func TestSketchOfEveryByteFoldsAlike(t *testing.T) {
	for _, seed := range []uint64{0, 1, 0x9e3779b97f4a7c15} {
		for n := 1; n <= 40; n++ {
			base := strings.Repeat("m", n)
			for _, at := range []int{0, n / 2, (n - 8) / 2, n - 1} {
				if at < 0 {
					continue
				}
				for x := 0; x < 256; x++ {
					name := []byte(base)
					name[at] = byte(x)
					if got, want := sketchOf(seed, string(name)), sketchOf(seed, foldASCII(string(name))); got != want {
						t.Fatalf("seed %#x, len %d, byte %#x at %d: %#x, its fold %#x", seed, n, x, at, got, want)
					}
				}
			}
		}
	}
}

// TestLookupFindsExactNamesPastTheSketch serves, for names of every length
// up to the longest, an exact name and a wildcard that also covers it,
// each from its own Secret, and asks for each name in several cases: the
// exact certificate must come back. A sketch that said "no key" for a key
// (in lookup's written-out copy of sketchOf or in the table's) would serve
// the wildcard instead, or nothing for the names whose wildcard is absent.
func TestLookupFindsExactNamesPastTheSketch(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(5, 6))
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789-"
	label := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = chars[rng.IntN(len(chars))]
		}
		return string(b)
	}
	var entries []*certEntry
	exact := map[string]int{} // name to its entry
	for n := 1; n <= 253; n++ {
		for range 3 {
			name := label(n)
			if n >= 3 { // a first label and a parent of up to 63 bytes each
				first := 1 + rng.IntN(min(n-2, 63))
				name = label(first) + "." + label(n-first-1)
			}
			exact[name] = len(entries)
			entries = append(entries, fakeEntry(fmt.Sprint("exact", len(entries)), time.Now(), name))
			if dot := strings.IndexByte(name, '.'); dot > 0 && n%2 == 0 {
				entries = append(entries, fakeEntry(fmt.Sprint("wild", len(entries)), time.Now(), "*."+name[dot+1:]))
			}
		}
	}
	c := NewCache(Options{})
	c.update(entries, nil)
	require.Equal(t, len(entries), c.certs.names())
	for name, i := range exact {
		for _, asked := range []string{name, strings.ToUpper(name), flipCase(name), name + "."} {
			cert, err := c.GetCertificate(hello(asked))
			require.NoError(t, err, asked)
			require.Same(t, entries[i].cert, cert, "%q is served by its exact name", asked)
		}
	}
}

// TestSketchPassesFewNonKeys checks the sketch is worth asking: of names
// that are not keys, most find their bits clear (a table is at most seven
// eighths full, so the sketch has at least 9 bits a key; two bits a key
// then pass at most ~4%, bounded here at 10%).
func TestSketchPassesFewNonKeys(t *testing.T) {
	var entries []*certEntry
	for i := range 5000 {
		entries = append(entries, fakeEntry(fmt.Sprint("e", i), time.Now(), fmt.Sprintf("host-%06d.example.com", i)))
	}
	c := NewCache(Options{})
	c.update(entries, nil)
	tab := c.certs.exact.Load()
	passed := 0
	const asked = 20000
	for i := range asked {
		name := fmt.Sprintf("www.tenant-%06d.example.com", i)
		if tab.sketch.mayHold(name) {
			passed++
		}
		assert.True(t, tab.sketch.mayHold(fmt.Sprintf("HOST-%06d.example.COM", i%5000)))
	}
	assert.Less(t, passed, asked/10, "names passed by the sketch that are no key")
}
