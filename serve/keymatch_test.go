package serve

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// foldASCII is the reference fold: ASCII upper-case letters to lower case,
// byte by byte, nothing else changed.
func foldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// TestEqualPlainKeyEveryBytePair puts every byte of a name against every
// byte of a plain key, at the start, middle and end of names of every
// length the comparison reads differently (bytes, two half words, words
// with an overlapping last one), in otherwise equal strings: equalPlainKey
// says equal exactly when folding the name gives the key.
func TestEqualPlainKeyEveryBytePair(t *testing.T) {
	var plain []byte
	for k := 0; k < 256; k++ {
		if plainKey(string([]byte{byte(k)})) {
			plain = append(plain, byte(k))
		}
	}
	require.Contains(t, plain, byte('z'))
	require.Contains(t, plain, byte('.'))
	require.NotContains(t, plain, byte('_'), "'_' and DEL differ in the case bit alone")
	require.NotContains(t, plain, byte('A'), "no server name folds to an upper-case key")
	for n := 1; n <= 24; n++ {
		base := strings.Repeat("m", n)
		for _, at := range []int{0, n / 2, n - 1} {
			for _, k := range plain {
				key := []byte(base)
				key[at] = k
				for x := 0; x < 256; x++ {
					name := []byte(base)
					name[at] = byte(x)
					want := foldASCII(string(name)) == string(key)
					if got := equalPlainKey(string(key), string(name)); got != want {
						t.Fatalf("len %d at %d: key byte %#x, name byte %#x: got %v, want %v", n, at, k, x, got, want)
					}
				}
			}
		}
	}
}

// TestEqualPlainKeyWholeNames compares whole names in every case mix the
// benchmark and handshakes bring, and names of different lengths.
func TestEqualPlainKeyWholeNames(t *testing.T) {
	for _, key := range []string{"a", "ab.c", "host-000042.example.com", "www.tenant-000042.example.com", "2001:db8::10", "xn--bcher-kva.example"} {
		require.True(t, plainKey(key), key)
		for _, name := range []string{key, strings.ToUpper(key), strings.ToUpper(key[:1]) + key[1:], key[:len(key)-1] + strings.ToUpper(key[len(key)-1:])} {
			assert.True(t, equalPlainKey(key, name), "%q vs %q", key, name)
		}
		assert.False(t, equalPlainKey(key, key+"a"), "longer name")
		assert.False(t, equalPlainKey(key, key[:len(key)-1]), "shorter name")
	}
	for _, key := range []string{"_acme.example", "a@b", "a`b", "x~y", "\xc3\x9c.example", "Upper.example"} {
		assert.False(t, plainKey(key), key)
	}
}
