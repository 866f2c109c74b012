package serve

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"encoding/pem"
	"runtime"
	"testing"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
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

// A loadedCert is one allocation, so any pointer the Cache keeps into it
// (its entry, its tls.Certificate, its key) keeps all of it: once its
// Secret is replaced, deleted or dropped for a bad key, nothing the Cache
// holds may point into it. Names claimed by several Secrets (exact and
// wildcard) exercise the claims the name tables keep.
func TestApply_ReleasedSecretFreesItsBlock(t *testing.T) {
	ca := newTestCA(t)
	shared := leaf{dns: []string{"a.example.com", "*.example.com"}}
	c := NewCache(Options{})
	put := func(name, rv string, l leaf) weak.Pointer[certEntry] {
		s := ca.secretFor(t, "ns", name, l)
		s.ObjectMeta.ResourceVersion = rv
		require.NoError(t, c.Apply([]*secret.Secret{s}, nil))
		e := c.certs.secrets.get(secretRef("ns", name))
		require.NotNil(t, e)
		return weak.Make(e)
	}
	replaced := put("replaced", "1", shared)
	put("replaced", "2", shared)
	deleted := put("deleted", "3", shared)
	require.NoError(t, c.Apply(nil, []meta.Ref{secretRef("ns", "deleted")}))
	// Its key is another leaf's: the first handshake drops it.
	s := ca.secretFor(t, "ns", "badkey", leaf{dns: []string{"bad.example.com"}})
	_, otherKey := ca.issue(t, leaf{dns: []string{"other.example.com"}})
	s.Data[secret.TLSKeyKey], s.ObjectMeta.ResourceVersion = otherKey, "4"
	require.NoError(t, c.Apply([]*secret.Secret{s}, nil))
	badKey := weak.Make(c.certs.secrets.get(secretRef("ns", "badkey")))
	cert, err := c.GetCertificate(hello("bad.example.com"))
	require.NoError(t, err)
	_, err = cert.PrivateKey.(crypto.Signer).Sign(rand.Reader, make([]byte, 32), crypto.SHA256)
	require.Error(t, err)
	cert = nil
	live := put("live", "5", shared)
	runtime.GC()
	runtime.GC()
	assert.Nil(t, replaced.Value(), "a replaced Secret's block is still held")
	assert.Nil(t, deleted.Value(), "a deleted Secret's block is still held")
	assert.Nil(t, badKey.Value(), "the block of a Secret dropped for its key is still held")
	assert.NotNil(t, live.Value())
	runtime.KeepAlive(c)
}
