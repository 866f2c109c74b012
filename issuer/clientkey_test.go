package issuer

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A cached client is reused only while nothing it was built from changed:
// each field of the key, the CA bundle included, tells two clients apart.
func TestClientKeyTellsEveryInputApart(t *testing.T) {
	base := func() *ACMEIssuer {
		return &ACMEIssuer{Server: "https://ca.test/dir", CABundle: []byte("-----BEGIN CERTIFICATE-----\nA\n")}
	}
	same := fingerprint("uid", base(), "hash", "kid")
	assert.Equal(t, same, fingerprint("uid", base(), "hash", "kid"), "same inputs, same client")
	for name, key := range map[string]clientKey{
		"uid":           fingerprint("uid2", base(), "hash", "kid"),
		"server":        fingerprint("uid", &ACMEIssuer{Server: "https://other.test/dir", CABundle: base().CABundle}, "hash", "kid"),
		"account key":   fingerprint("uid", base(), "hash2", "kid"),
		"account URI":   fingerprint("uid", base(), "hash", "kid2"),
		"skip verify":   fingerprint("uid", &ACMEIssuer{Server: base().Server, CABundle: base().CABundle, SkipTLSVerify: true}, "hash", "kid"),
		"other bundle":  fingerprint("uid", &ACMEIssuer{Server: base().Server, CABundle: []byte("-----BEGIN CERTIFICATE-----\nB\n")}, "hash", "kid"),
		"no bundle":     fingerprint("uid", &ACMEIssuer{Server: base().Server}, "hash", "kid"),
		"without a kid": fingerprint("uid", base(), "hash", ""),
	} {
		assert.NotEqual(t, same, key, name)
	}
}

// Client runs for every ACME step; finding the cached client allocates
// nothing.
func TestClientKeyAllocatesNothing(t *testing.T) {
	a := &ACMEIssuer{Server: "https://ca.test/dir", CABundle: []byte("bundle")}
	want := fingerprint("uid", a, "hash", "kid")
	allocs := testing.AllocsPerRun(100, func() {
		if fingerprint("uid", a, "hash", "kid") != want {
			t.Fatal("unstable key")
		}
	})
	assert.Zero(t, allocs)
}
