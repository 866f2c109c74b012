package serve

import (
	"bytes"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/secret"
)

// A caller may append to a served chain (to add a certificate of its own)
// believing it gets a slice of its own, as append promises only when the
// slice is full. A chain with room left in the array behind it (a leaf
// alone in loadedCert's two slots, or three certificates in the four slots
// append grew while reading tls.crt) would let every such append write
// into the one certificate all handshakes share, and one caller's append
// overwrite another's.
func TestServedChainHasNoRoomToAppendInto(t *testing.T) {
	ca := newTestCA(t)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
	var secrets []*secret.Secret
	var names []string
	for _, tc := range []struct {
		name string
		cas  int
	}{{"alone", 0}, {"pair", 1}, {"three", 2}} {
		crt, key := ca.issue(t, leaf{dns: []string{tc.name + ".example.com"}}) // leaf and CA
		b, _ := pem.Decode(crt)
		crt = pem.EncodeToMemory(b)
		for range tc.cas {
			crt = append(crt, caPEM...)
		}
		secrets = append(secrets, tlsSecret("ns", tc.name, crt, key))
		names = append(names, tc.name+".example.com")
	}
	loaders := map[string]func(*Cache) error{
		"Apply": func(c *Cache) error { return c.Apply(secrets, nil) },
		"PutSecret": func(c *Cache) error {
			for _, s := range secrets {
				if err := c.PutSecret(s); err != nil {
					return err
				}
			}
			return nil
		},
	}
	for loader, load := range loaders {
		c := NewCache(Options{})
		require.NoError(t, load(c))
		for _, name := range names {
			first, err := c.GetCertificate(hello(name))
			require.NoError(t, err)
			n := len(first.Certificate)
			assert.Equal(t, n, cap(first.Certificate), "%s %s: room behind the served chain", loader, name)
			mine := append(first.Certificate, []byte("first caller's"))
			second, err := c.GetCertificate(hello(name))
			require.NoError(t, err)
			_ = append(second.Certificate, []byte("second caller's"))
			assert.True(t, bytes.Equal([]byte("first caller's"), mine[n]), "%s %s: another caller's append overwrote this one's", loader, name)
		}
	}
}
