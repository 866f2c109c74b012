package serve

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
)

func atVersion[T interface{ GetMeta() *meta.ObjectMeta }](obj T, rv string) T {
	obj.GetMeta().ResourceVersion = rv
	return obj
}

// TestCache_ChallengeReadsOrderedByResourceVersion: a stale read of a
// challenge (a watch event read before the reconciler's own newer put) never
// un-serves or replaces the newer one, and a delete is ordered against puts.
func TestCache_ChallengeReadsOrderedByResourceVersion(t *testing.T) {
	served := func(c *Cache) (string, bool) {
		ka, _, ok := c.KeyAuthorization(testToken)
		return ka, ok
	}
	pending := func(rv string) *challenge.Challenge {
		return atVersion(newChallenge("ch", solver.HTTP01, "a.example", testToken+".k"), rv)
	}

	t.Run("an older non-servable read does not un-serve a newer presented one", func(t *testing.T) {
		c := NewCache(Options{})
		require.NoError(t, c.PutChallenge(pending("7")))
		old := pending("5")
		old.Status.Presented = false
		old.Status.State = challenge.StateUnknown
		old.Status.CleanedUp = true
		require.NoError(t, c.PutChallenge(old))
		_, ok := served(c)
		assert.True(t, ok, "the CA may be validating the newer version")
	})
	t.Run("an older servable read does not replace a newer one", func(t *testing.T) {
		c := NewCache(Options{})
		require.NoError(t, c.PutChallenge(pending("7")))
		old := pending("5")
		old.Spec.Key = testToken + ".old"
		require.NoError(t, c.PutChallenge(old))
		ka, _ := served(c)
		assert.Equal(t, testToken+".k", ka)
	})
	t.Run("a newer non-servable read un-serves", func(t *testing.T) {
		c := NewCache(Options{})
		require.NoError(t, c.PutChallenge(pending("7")))
		done := pending("8")
		done.Status.State = challenge.StateValid
		require.NoError(t, c.PutChallenge(done))
		_, ok := served(c)
		assert.False(t, ok)
	})
	t.Run("a delete older than a put (re-created object) keeps serving", func(t *testing.T) {
		c := NewCache(Options{})
		require.NoError(t, c.PutChallenge(pending("12")))
		c.DeleteChallengeAt(challengeRef("ch"), "10")
		_, ok := served(c)
		assert.True(t, ok)
	})
	t.Run("a delete newer than the put removes, and an older put after it is ignored", func(t *testing.T) {
		c := NewCache(Options{})
		require.NoError(t, c.PutChallenge(pending("7")))
		c.DeleteChallengeAt(challengeRef("ch"), "9")
		_, ok := served(c)
		assert.False(t, ok)
		require.NoError(t, c.PutChallenge(pending("7")))
		_, ok = served(c)
		assert.False(t, ok, "a read from before the delete arrived late")
		require.NoError(t, c.PutChallenge(pending("11")))
		_, ok = served(c)
		assert.True(t, ok, "re-created after the delete")
	})
	t.Run("without ResourceVersions reads are applied in arrival order", func(t *testing.T) {
		c := NewCache(Options{})
		require.NoError(t, c.PutChallenge(pending("")))
		c.DeleteChallengeAt(challengeRef("ch"), "")
		_, ok := served(c)
		assert.False(t, ok)
	})
}

// TestCache_SecretReadsOrderedByResourceVersion: the same ordering for
// certificates, through PutSecret, Apply and DeleteSecretAt.
func TestCache_SecretReadsOrderedByResourceVersion(t *testing.T) {
	ca := newTestCA(t)
	newer := atVersion(ca.secretFor(t, "ns", "web", leaf{dns: []string{"new.example"}}), "20")
	older := atVersion(ca.secretFor(t, "ns", "web", leaf{dns: []string{"old.example"}}), "15")
	serves := func(c *Cache, name string) bool {
		_, err := c.GetCertificate(hello(name))
		return err == nil
	}

	t.Run("PutSecret", func(t *testing.T) {
		c := NewCache(Options{})
		require.NoError(t, c.PutSecret(newer))
		require.NoError(t, c.PutSecret(older))
		assert.True(t, serves(c, "new.example"))
		assert.False(t, serves(c, "old.example"))
	})
	t.Run("an older read without a certificate does not un-serve", func(t *testing.T) {
		c := NewCache(Options{})
		require.NoError(t, c.PutSecret(newer))
		empty := atVersion(&secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "web"}}, "15")
		require.NoError(t, c.PutSecret(empty))
		assert.True(t, serves(c, "new.example"))
	})
	t.Run("Apply", func(t *testing.T) {
		c := NewCache(Options{})
		require.NoError(t, c.PutSecret(newer))
		require.NoError(t, c.Apply([]*secret.Secret{older}, nil))
		assert.True(t, serves(c, "new.example"))
		assert.False(t, serves(c, "old.example"))
	})
	t.Run("DeleteSecretAt after a newer put keeps it", func(t *testing.T) {
		c := NewCache(Options{})
		require.NoError(t, c.PutSecret(newer))
		c.DeleteSecretAt(secretRef("ns", "web"), "18")
		assert.True(t, serves(c, "new.example"))
		c.DeleteSecretAt(secretRef("ns", "web"), "21")
		assert.False(t, serves(c, "new.example"))
		require.NoError(t, c.PutSecret(newer))
		assert.False(t, serves(c, "new.example"), "a read older than the delete")
	})
}

// TestVersionLog_ForgetsOldTombstones bounds the memory of deletions.
func TestVersionLog_ForgetsOldTombstones(t *testing.T) {
	var l versionLog
	for i := 0; i < maxTombstones+10; i++ {
		l.record(meta.Ref{Kind: meta.KindChallenge, Name: string(rune('a'+i%26)) + string(rune(i))}, uint64(i+1), true)
	}
	assert.Len(t, l.seen, maxTombstones)
	assert.Len(t, l.gone, maxTombstones)
}

// TestCache_ApplyOrdersReadsWithinABatch: a batch holding several reads of
// one Secret applies them as PutSecret would one after another, so a stale
// read in the batch is ignored wherever it stands, and a Secret that loses
// its certificate and gets a new one within the batch is served the new one.
func TestCache_ApplyOrdersReadsWithinABatch(t *testing.T) {
	ca := newTestCA(t)
	v20 := atVersion(ca.secretFor(t, "ns", "web", leaf{dns: []string{"new.example"}}), "20")
	v15 := atVersion(ca.secretFor(t, "ns", "web", leaf{dns: []string{"old.example"}}), "15")
	keyOnly := func(rv string) *secret.Secret {
		return atVersion(&secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "web"},
			Data: map[string][]byte{secret.TLSKeyKey: []byte("next key")}}, rv)
	}
	v30 := atVersion(ca.secretFor(t, "ns", "web", leaf{dns: []string{"renewed.example"}}), "30")
	serves := func(c *Cache, name string) bool {
		_, err := c.GetCertificate(hello(name))
		return err == nil
	}
	tests := []struct {
		name      string
		before    *secret.Secret // put first, if set
		batch     []*secret.Secret
		want      string // the one name served
		notWanted []string
	}{
		{"newer then stale", nil, []*secret.Secret{v20, v15}, "new.example", []string{"old.example"}},
		{"stale then newer", nil, []*secret.Secret{v15, v20}, "new.example", []string{"old.example"}},
		{"stale key-only read does not un-serve", v20, []*secret.Secret{keyOnly("18")}, "new.example", nil},
		{"removed then re-added", v20, []*secret.Secret{keyOnly("25"), v30}, "renewed.example", []string{"new.example"}},
		{"re-added then a stale removal", v20, []*secret.Secret{v30, keyOnly("25")}, "renewed.example", []string{"new.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCache(Options{})
			if tt.before != nil {
				require.NoError(t, c.PutSecret(tt.before))
			}
			require.NoError(t, c.Apply(tt.batch, nil))
			assert.True(t, serves(c, tt.want), tt.want)
			for _, n := range tt.notWanted {
				assert.False(t, serves(c, n), n)
			}
		})
	}
}

// TestPutSecretSameVersionIsNotParsedAgain: the version already put is
// served; putting it again (a Manager's own write, then its watch event)
// parses nothing and changes nothing, even where the bytes would not parse.
func TestPutSecretSameVersionIsNotParsedAgain(t *testing.T) {
	ca := newTestCA(t)
	c := NewCache(Options{})
	s := atVersion(ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}}), "7")
	require.NoError(t, c.PutSecret(s))
	loaded := c.certs.secrets.get(secretRef("ns", "web"))

	again := atVersion(tlsSecret("ns", "web", []byte("not parsed"), []byte("not parsed")), "7")
	require.NoError(t, c.PutSecret(again), "the same version is not parsed again")
	assert.Same(t, loaded, c.certs.secrets.get(secretRef("ns", "web")))

	require.ErrorIs(t, c.PutSecret(atVersion(tlsSecret("ns", "web", []byte("x"), []byte("y")), "8")), ErrInvalidSecret,
		"a newer version is parsed")
	require.ErrorIs(t, c.PutSecret(atVersion(tlsSecret("ns", "web", []byte("x"), []byte("y")), "")), ErrInvalidSecret,
		"an unordered read is parsed")

	c.DeleteSecretAt(secretRef("ns", "web"), "9")
	require.NoError(t, c.PutSecret(atVersion(ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}}), "9")),
		"the version of a delete is not a put")
	mustGet(t, c, "a.example")
}
