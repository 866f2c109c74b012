package serve

import (
	"crypto/tls"
	"strings"
	"testing"
)

// TestLookupMidNamesEveryBytePair puts every byte of a server name against
// every byte of a key, at every position of names and wildcard parents of
// 16 to 33 bytes, through lookup itself: its inlined hash and findMid read
// the four words of a 17–32 byte name (and a parent's last word from the
// name's), and foldWord folds them once for both. A name must be served
// the certificate of exactly the key it folds to: a fold that merged a
// non-letter pair ('@' and '`', '[' and '{', bytes ≥ 0x80) would serve a
// name another name's certificate. The keys are the plain ones (compared
// by findMid's words), then every folded byte (a key that is not plain
// sends the probe to findFolded, which must agree).
func TestLookupMidNamesEveryBytePair(t *testing.T) {
	var plain, folded []byte
	for k := range 256 {
		if b := byte(k); foldASCII(string(b)) == string(b) {
			folded = append(folded, b)
			if plainKey(string(b)) {
				plain = append(plain, b)
			}
		}
	}
	for _, keyBytes := range [][]byte{plain, folded} {
		for n := 16; n <= 33; n++ {
			for at := range n {
				checkEveryBytePair(t, keyBytes, n, at)
			}
		}
	}
}

// checkEveryBytePair files a key for each of keyBytes at byte at of an
// n-byte name, exact and as a wildcard's parent, and looks up a name with
// each of the 256 bytes there: exact, as a one-label child, and as a child
// whose first label makes it longer than 32 bytes.
func checkEveryBytePair(t *testing.T, keyBytes []byte, n, at int) {
	t.Helper()
	// Letters around the byte, so that a fold leaking into a neighbour
	// changes it.
	base := []byte(strings.Repeat("a1-.zq9m", 5)[:n])
	ix := newCertIndex()
	exact := map[string]*tls.Certificate{}
	wild := map[string]*tls.Certificate{}
	for _, k := range keyBytes {
		key := []byte(string(base))
		key[at] = k
		exact[string(key)] = &tls.Certificate{}
		wild[string(key)] = &tls.Certificate{}
		ix.exact.claim(string(key), &certEntry{cert: exact[string(key)]})
		ix.exact.elect(string(key))
		ix.wild.claim(string(key), &certEntry{cert: wild[string(key)]})
		ix.wild.elect(string(key))
	}
	for x := range 256 {
		name := []byte(string(base))
		name[at] = byte(x)
		if x&1 == 0 {
			name = upperASCII(name) // the other bytes in both cases too
		}
		want := foldASCII(string(name))
		if got := ix.lookup(string(name)); got != exact[want] {
			t.Fatalf("len %d at %d, %d keys: name %q served %p, want the cert of %q (%p)", n, at, len(keyBytes), name, got, want, exact[want])
		}
		for _, first := range []string{"w", "a-first-label-of-24bytes"} {
			child := first + "." + string(name)
			if _, ok := exact[foldASCII(child)]; ok {
				continue
			}
			if got := ix.lookup(child); got != wild[want] {
				t.Fatalf("len %d at %d, %d keys: name %q served %p, want the cert of *.%q (%p)", n, at, len(keyBytes), child, got, want, wild[want])
			}
		}
	}
}

// upperASCII is name with its ASCII letters in upper case and every other
// byte as it was (strings.ToUpper would rewrite bytes that are not UTF-8).
func upperASCII(name []byte) []byte {
	b := []byte(string(name))
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return b
}

// TestLookupMidNamesDoNotAllocate: a hit through findMid, exact and under
// a wildcard whose parent is 17 to 32 bytes, in mixed case, allocates
// nothing (GetCertificate's own test has no such parent).
func TestLookupMidNamesDoNotAllocate(t *testing.T) {
	ix := newCertIndex()
	cert := &tls.Certificate{}
	for _, l := range []*liveTable{&ix.exact, &ix.wild} {
		l.claim("tenant-000042.example.com", &certEntry{cert: cert})
		l.elect("tenant-000042.example.com")
	}
	for _, name := range []string{"Tenant-000042.Example.COM", "WWW.Tenant-000042.Example.COM", "a-first-label-longer-than-32.tenant-000042.EXAMPLE.com"} {
		if allocs := testing.AllocsPerRun(100, func() {
			if ix.lookup(name) != cert {
				t.Fatalf("%q not served", name)
			}
		}); allocs != 0 {
			t.Fatalf("%q: %v allocs", name, allocs)
		}
	}
}
