package serve

import (
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"
)

// referenceLookup is GetCertificate's name matching written plainly over
// a list of SANs (each of one Secret): one trailing dot dropped from the
// server name and from each SAN, ASCII case folded, names over 253 bytes
// never served, the exact name first, else "*." and the name's parent
// (after its first dot, which must not be its first byte). It returns the
// index of the SAN served, or -1.
func referenceLookup(sans []string, name string) int {
	name = foldASCII(strings.TrimSuffix(name, "."))
	if name == "" || len(name) > 253 {
		return -1
	}
	for i, san := range sans {
		if foldASCII(strings.TrimSuffix(san, ".")) == name {
			return i
		}
	}
	if dot := strings.IndexByte(name, '.'); dot > 0 {
		for i, san := range sans {
			if foldASCII(strings.TrimSuffix(san, ".")) == "*."+name[dot+1:] {
				return i
			}
		}
	}
	return -1
}

// FuzzLookupMatchesReference loads SANs (one Secret each, duplicates after
// folding dropped so that no two claim a name) and asks for a server name
// in several cases: GetCertificate serves exactly the SAN referenceLookup
// picks. The seeds mix plain tables (letters, digits, '-', '.') with names
// of bytes that differ from theirs in the case bit alone, and tables whose
// keys are not plain ('_', '@', '`', bytes ≥ 0xC0).
func FuzzLookupMatchesReference(f *testing.F) {
	for _, seed := range [][2]string{
		{"a.example,*.w.example", "x.W.EXAMPLE"},
		{"a1.example,*.w-2.example", "A\x11.example"},
		{"a-b.example", "A\rB.example"},
		{"a.b.example", "a\x0eb.example"},
		{"host-000042.example.com,*.tenant-000042.example.com", "WWW.Tenant-000042.EXAMPLE.com"},
		{"_acme._tcp.example,a@b.example", "a`b.example"},
		{"x^y.example", "X~Y.example"},
		{"a_b.example", "A\x7fB.example"},
		{"\xc3\x9c.example,*.\xe3.example", "\xc3\xbc.example"},
		{"*.example", "..example"},
		{"*.", "a.."},
		{"www.shop.example,*.shop.example", "WWW.shop.example."},
		{"abcdefgh.example", "ABCDEFGH.EXAMPLE"},
		// lookup finds a dot in the first eight bytes in the sketch's word,
		// and calls IndexDot for a name shorter or a first label longer.
		{"*.b.c,a.b.c", "A.B.c"},
		{"*.b.c", "x.B.c"},
		{"*.example", "abcdefg.Example"},
		{"*.example", "abcdefgh.Example"},
		{"*.shop.example", "ABCDEFGHIJ.Shop.example"},
		{"*.example", "abcdefghijklmnop"},
		{strings.Repeat("a", 200) + ".example", strings.Repeat("A", 200) + ".example"},
		// lookup folds the four words of a name or parent of 17 to 32
		// bytes once, for the hash and findMid; other lengths go to find.
		{"*.example-tenant.co.uk", "ABCDEFGHIJKLMNOPQRSTUVWXYZ.Example-Tenant.CO.uk"},
		{"abcdefghijklmnopq,*.bcdefghijklmnopq", "A.BCDEFGHIJKLMNOPQ"},
		{"*.shop.example", "ABCDE.SHOP.example"},
		{"host-000042.example.com,*.tenant-000042.example.com", "host-000042.example.con"},
		{"host-000042.example.com", "HOST-000042\\EXAMPLE.COM"},
		{"under_score.example.com,*.tenant_1.example.com", "WWW.TENANT_1.example.com"},
		{"*.abcdefghijklmnopqrstuvwxyz012345", "A.ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, sanList, name string) {
		var sans []string
		seen := map[string]bool{}
		for _, san := range strings.Split(sanList, ",") {
			if k := foldASCII(strings.TrimSuffix(san, ".")); k != "" && !seen[k] {
				seen[k] = true
				sans = append(sans, san)
			}
		}
		c := NewCache(Options{})
		var entries []*certEntry
		for i, san := range sans {
			entries = append(entries, fakeEntry(fmt.Sprint("s", i), time.Now(), san))
		}
		c.update(entries, nil)
		for _, asked := range []string{name, strings.ToUpper(name), strings.ToLower(name), flipCase(name)} {
			want := referenceLookup(sans, asked)
			cert, err := c.GetCertificate(hello(asked))
			var wantCert *tls.Certificate
			if want >= 0 {
				wantCert = entries[want].cert
			}
			if cert != wantCert {
				t.Fatalf("SANs %q, server name %q: got %v (err %v), want SAN %d", sans, asked, cert, err, want)
			}
		}
	})
}

// flipCase swaps the case of every other ASCII letter of s.
func flipCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		if i%2 == 0 && ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			b[i] = c ^ 0x20
		}
	}
	return string(b)
}
