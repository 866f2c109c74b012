package serve

import (
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/secret"
)

// lookupFixture loads three Secrets: an exact name, a wildcard and an IP.
func lookupFixture(t *testing.T, opts Options) *Cache {
	t.Helper()
	ca := newTestCA(t)
	c := NewCache(opts)
	require.NoError(t, c.Apply([]*secret.Secret{
		ca.secretFor(t, "ns", "exact", leaf{dns: []string{"www.example.com", "Example.COM"}}),
		ca.secretFor(t, "ns", "wild", leaf{dns: []string{"*.apps.example.com"}}),
		ca.secretFor(t, "ns", "ip", leaf{ips: []string{"192.0.2.10", "2001:db8::10"}}),
		// An exact name under a wildcard: exact must win in any case.
		ca.secretFor(t, "ns", "shop-www", leaf{dns: []string{"www.shop.example"}}),
		ca.secretFor(t, "ns", "shop-wild", leaf{dns: []string{"*.shop.example"}}),
	}, nil))
	return c
}

func TestGetCertificateLookup(t *testing.T) {
	c := lookupFixture(t, Options{})
	tests := []struct {
		name    string
		hello   *tls.ClientHelloInfo
		want    string // a SAN of the expected leaf; empty means an error
		wantErr error
	}{
		{"exact", hello("www.example.com"), "www.example.com", nil},
		{"exact SAN given in mixed case", hello("example.com"), "Example.COM", nil},
		{"case-insensitive SNI", hello("WWW.Example.Com"), "www.example.com", nil},
		{"trailing dot", hello("www.example.com."), "www.example.com", nil},
		{"mixed case and trailing dot", hello("WWW.EXAMPLE.COM."), "www.example.com", nil},
		{"wildcard", hello("shop.apps.example.com"), "*.apps.example.com", nil},
		{"wildcard mixed case", hello("Shop.APPS.example.com"), "*.apps.example.com", nil},
		{"exact beats wildcard", hello("www.shop.example"), "www.shop.example", nil},
		{"exact beats wildcard, upper first label", hello("WWW.shop.example"), "www.shop.example", nil},
		{"exact beats wildcard, upper parent", hello("www.SHOP.example"), "www.shop.example", nil},
		{"wildcard beside exact", hello("cart.shop.example"), "*.shop.example", nil},
		{"wildcard beside exact, upper parent", hello("cart.Shop.Example."), "*.shop.example", nil},
		{"wildcard beside exact, upper first label", hello("CART.shop.example"), "*.shop.example", nil},
		{"wildcard does not cover its apex", hello("apps.example.com"), "", ErrUnknownName},
		{"wildcard covers one label only", hello("a.shop.apps.example.com"), "", ErrUnknownName},
		{"empty first label", hello(".apps.example.com"), "", ErrUnknownName},
		{"unknown name", hello("other.example.org"), "", ErrUnknownName},
		{"single label", hello("localhost"), "", ErrUnknownName},
		{"too long", hello(strings.Repeat("a", 254)), "", ErrUnknownName},
		{"IP literal sent as SNI", hello("192.0.2.10"), "192.0.2.10", nil},
		{"no SNI, no default, local IPv4 SAN", helloOn("192.0.2.10"), "192.0.2.10", nil},
		{"no SNI, no default, local IPv6 SAN", helloOn("2001:db8::10"), "2001:db8::10", nil},
		{"no SNI, no default, IPv4-mapped local address", helloOn("::ffff:192.0.2.10"), "192.0.2.10", nil},
		{"no SNI, no default, unknown local IP", helloOn("192.0.2.99"), "", ErrNoServerName},
		{"no SNI, no conn", hello(""), "", ErrNoServerName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, err := c.GetCertificate(tt.hello)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, cert)
				return
			}
			require.NoError(t, err)
			assert.Contains(t, leafNames(t, cert), tt.want)
		})
	}
}

func TestGetCertificateDefaultName(t *testing.T) {
	tests := []struct {
		name        string
		defaultName string
		want        string
		wantErr     error
	}{
		{"exact default", "WWW.example.com.", "www.example.com", nil},
		{"wildcard default", "*.apps.example.com", "*.apps.example.com", nil},
		{"default covered by wildcard", "x.apps.example.com", "*.apps.example.com", nil},
		{"default without certificate", "nothing.example", "", ErrUnknownName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := lookupFixture(t, Options{DefaultName: tt.defaultName})
			// The local address has no certificate: DefaultName answers.
			cert, err := c.GetCertificate(helloOn("192.0.2.99"))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Contains(t, leafNames(t, cert), tt.want)
		})
	}
}

// A client connecting by IP sends no SNI: the certificate for the address
// it reached answers it, even with a DefaultName (whose certificate the
// client could not verify for an IP).
func TestGetCertificateNoSNI_LocalIPBeatsDefaultName(t *testing.T) {
	c := lookupFixture(t, Options{DefaultName: "www.example.com"})
	cert, err := c.GetCertificate(helloOn("192.0.2.10"))
	require.NoError(t, err)
	assert.Contains(t, leafNames(t, cert), "192.0.2.10")
	assert.NotContains(t, leafNames(t, cert), "www.example.com")
	cert, err = c.GetCertificate(helloOn("2001:db8::10"))
	require.NoError(t, err)
	assert.Contains(t, leafNames(t, cert), "2001:db8::10")
}

func TestGetCertificateErrorNamesServerName(t *testing.T) {
	c := lookupFixture(t, Options{})
	_, err := c.GetCertificate(hello("Missing.Example."))
	require.ErrorIs(t, err, ErrUnknownName)
	assert.Contains(t, err.Error(), `"Missing.Example"`)
}

func TestGetCertificateHitsDoNotAllocate(t *testing.T) {
	c := lookupFixture(t, Options{DefaultName: "www.example.com"})
	hellos := map[string]*tls.ClientHelloInfo{
		"exact":                 hello("www.example.com", "h2", "http/1.1"),
		"mixed case":            hello("WWW.Example.Com"),
		"trailing dot":          hello("www.example.com."),
		"wildcard":              hello("shop.apps.example.com"),
		"wildcard mixedcase":    hello("Shop.Apps.Example.Com."),
		"wildcard upper parent": hello("shop.APPS.example.com"),
		"default name":          hello(""),
	}
	for name, h := range hellos {
		t.Run(name, func(t *testing.T) {
			allocs := testing.AllocsPerRun(100, func() {
				if _, err := c.GetCertificate(h); err != nil {
					t.Fatal(err)
				}
			})
			assert.Zero(t, allocs)
		})
	}
	for name, h := range map[string]*tls.ClientHelloInfo{
		"local IP, with a default name":    helloOn("192.0.2.10"),
		"unknown local IP, to the default": helloOn("192.0.2.99"),
	} {
		t.Run(name, func(t *testing.T) {
			c := lookupFixture(t, Options{DefaultName: "www.example.com"})
			allocs := testing.AllocsPerRun(100, func() {
				if _, err := c.GetCertificate(h); err != nil {
					t.Fatal(err)
				}
			})
			assert.Zero(t, allocs)
		})
	}
}

// TestLookupNamesWithUnusualBytes: names with bytes that differ from
// others only in the case bit without being letters ('@' and '`', '^' and
// '~', which the case-blind hash files alike), non-ASCII bytes, and long
// names are found exactly as any other, in any case, and names no
// certificate can hold are not looked up at all.
func TestLookupNamesWithUnusualBytes(t *testing.T) {
	long := strings.Repeat("abcdefghi.", 10) + "example" // 107 bytes
	longest := strings.Repeat("a.", 125) + "exa"         // 253 bytes
	names := []string{"_acme._tcp.example", "a@b.example", "x^y.example", "\xc3\x9c.example", long, longest}
	c := NewCache(Options{})
	var entries []*certEntry
	for i, n := range names {
		entries = append(entries, fakeEntry(fmt.Sprint("s", i), time.Now(), n, "*."+n))
	}
	c.update(entries, nil)
	for i, n := range names {
		for _, asked := range []string{n, strings.ToUpper(n), n + ".", "x." + n, "X." + strings.ToUpper(n)} {
			if len(trimDot(asked)) > 253 {
				continue
			}
			cert, err := c.GetCertificate(hello(asked))
			require.NoError(t, err, "%q", asked)
			assert.Same(t, entries[i].cert, cert, "%q", asked)
		}
	}
	_, err := c.GetCertificate(hello("x." + longest))
	assert.ErrorIs(t, err, ErrUnknownName, "longer than any DNS name")
	longHello := hello("X." + strings.ToUpper(long))
	assert.Zero(t, testing.AllocsPerRun(50, func() {
		if cert, _ := c.GetCertificate(longHello); cert == nil {
			t.Fatal("missed")
		}
	}), "a long name allocates nothing either")
	for _, alike := range []string{"a`b.example", "x~y.example", "_acme\x7f_tcp.example"} {
		_, err := c.GetCertificate(hello(alike))
		assert.ErrorIs(t, err, ErrUnknownName, "%q hashes as a loaded name but is not it", alike)
	}
}
