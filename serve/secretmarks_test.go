package serve

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// TestCache_SecretVersionOutlivesItsEntry: the version a Secret was read
// at, kept by its loaded entry, stays in force when the entry goes without
// a newer read (dropped unordered, as a key found unusable drops it) and
// when an unordered read replaces it: an older read is still ignored.
func TestCache_SecretVersionOutlivesItsEntry(t *testing.T) {
	ca := newTestCA(t)
	v20 := atVersion(ca.secretFor(t, "ns", "web", leaf{dns: []string{"new.example"}}), "20")
	v15 := atVersion(ca.secretFor(t, "ns", "web", leaf{dns: []string{"old.example"}}), "15")
	unordered := atVersion(ca.secretFor(t, "ns", "web", leaf{dns: []string{"any.example"}}), "")
	serves := func(c *Cache, name string) bool {
		_, err := c.GetCertificate(hello(name))
		return err == nil
	}

	t.Run("dropped", func(t *testing.T) {
		c := NewCache(Options{})
		require.NoError(t, c.PutSecret(v20))
		c.update(nil, []meta.Ref{secretRef("ns", "web")})
		require.False(t, serves(c, "new.example"))
		require.NoError(t, c.PutSecret(v15))
		assert.False(t, serves(c, "old.example"), "older than the version dropped")
		require.NoError(t, c.PutSecret(v20))
		assert.False(t, serves(c, "new.example"), "the version dropped is not loaded again")
		c.mu.Lock()
		defer c.mu.Unlock()
		assert.Nil(t, c.certs.secrets.get(secretRef("ns", "web")))
		assert.Equal(t, mark{version: 20}, c.secretVersions.seen[secretRef("ns", "web")])
	})
	t.Run("replaced unordered", func(t *testing.T) {
		c := NewCache(Options{})
		require.NoError(t, c.PutSecret(v20))
		require.NoError(t, c.PutSecret(unordered))
		require.True(t, serves(c, "any.example"))
		require.NoError(t, c.PutSecret(v15))
		assert.True(t, serves(c, "any.example"))
		assert.False(t, serves(c, "old.example"), "older than the last ordered read")
	})
	t.Run("loaded again after a deletion", func(t *testing.T) {
		c := NewCache(Options{})
		c.DeleteSecretAt(secretRef("ns", "web"), "18")
		require.NoError(t, c.PutSecret(v15))
		assert.False(t, serves(c, "old.example"), "older than the deletion")
		require.NoError(t, c.PutSecret(v20))
		assert.True(t, serves(c, "new.example"))
		c.mu.Lock()
		defer c.mu.Unlock()
		assert.NotContains(t, c.secretVersions.seen, secretRef("ns", "web"), "a loaded Secret's version is its entry's alone")
		assert.Equal(t, mark{version: 20}, c.certs.secrets.get(secretRef("ns", "web")).mark())
	})
}
