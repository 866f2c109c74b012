package serve

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/dnsname"
)

// TestFindComparesAsEqualPlainKey puts every byte of a name against every
// byte of a plain key through a table's find, which compares keys of eight
// bytes or more with its own copy of equalPlainKey's words: at the start,
// middle and end of names of every length it reads differently (under
// eight bytes, one word, words with an overlapping last one, several
// words). The name is looked up under its key's hash, so find always
// reaches the comparison; it must serve the key exactly when folding the
// name gives the key. Names of 17 to 32 bytes also go through findMid,
// which lookup calls for them with the words its hash read, and which
// compares them in straight-line code of its own.
func TestFindComparesAsEqualPlainKey(t *testing.T) {
	var plain []byte
	for k := 0; k < 256; k++ {
		if plainKey(string([]byte{byte(k)})) {
			plain = append(plain, byte(k))
		}
	}
	cert := &tls.Certificate{}
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 24, 25, 32, 33} {
		base := strings.Repeat("m", n)
		for _, at := range []int{0, n / 2, n - 1} {
			for _, k := range plain {
				key := []byte(base)
				key[at] = k
				var l liveTable
				l.init(func(key string) uint64 { return exactHash(3, key) })
				l.claim(string(key), &certEntry{cert: cert})
				l.elect(string(key))
				require.False(t, l.Load().notPlain.Load(), "%q is plain", key)
				h := l.hash(string(key))
				for x := 0; x < 256; x++ {
					name := []byte(base)
					name[at] = byte(x)
					want := foldASCII(string(name)) == string(key)
					if got := l.Load().find(h, string(name)) == cert; got != want {
						t.Fatalf("len %d at %d: key byte %#x, name byte %#x: found %v, want %v", n, at, k, x, got, want)
					}
					if got := findMidOf(l.Load(), h, string(name)) == cert; got != want {
						t.Fatalf("findMid: len %d at %d: key byte %#x, name byte %#x: found %v, want %v", n, at, k, x, got, want)
					}
				}
				// A name one byte longer or shorter is never the key.
				for _, other := range []string{string(key) + "m", string(key[:n-1])} {
					require.Nil(t, l.Load().find(h, other))
					require.Nil(t, findMidOf(l.Load(), h, other))
				}
			}
		}
	}
}

// findMidOf is t.findMid as lookup calls it, for a name of 17 to 32
// bytes; other names go to find.
func findMidOf(t *nameTable, h uint64, name string) *tls.Certificate {
	n := len(name)
	if n <= 16 || n > 32 {
		return t.find(h, name)
	}
	return t.findMid(h, name, foldWord(load8(name, 0)), foldWord(load8(name, 8)), foldWord(load8(name, n-16)), foldWord(load8(name, n-8)))
}

// TestDotInWord checks lookup's dot search in a name's first word against
// dnsname.IndexDot, with the first dot at each byte and none, before it
// bytes that differ from '.' in one bit (where a borrow could pass for a
// dot) and after it more dots.
func TestDotInWord(t *testing.T) {
	for first := 0; first <= 8; first++ {
		for _, f := range []byte{'a', '-', '/', ',', 0x0e, 0xae, 0x2f, 0x2c, 0, 0xff} {
			b := []byte(strings.Repeat(".", 12))
			for i := 0; i < first; i++ {
				b[i] = f
			}
			for i := first + 1; i < len(b); i += 2 {
				b[i] = f
			}
			name := string(b)
			want := dnsname.IndexDot(name)
			if want >= 8 {
				want = -1
			}
			require.Equal(t, want, dotInWord(load8(name, 0)), "%q", name)
		}
	}
}
