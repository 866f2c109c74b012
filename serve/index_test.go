package serve

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

func mustGet(t *testing.T, c *Cache, name string) *tls.Certificate {
	t.Helper()
	cert, err := c.GetCertificate(hello(name))
	require.NoError(t, err)
	return cert
}

func TestPutSecretHotSwapKeepsOldCertificateValid(t *testing.T) {
	ca := newTestCA(t)
	c := NewCache(Options{})
	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}})))
	old := mustGet(t, c, "a.example")
	oldSerial := old.Leaf.SerialNumber

	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}})))
	cur := mustGet(t, c, "a.example")

	assert.NotSame(t, old, cur, "the replaced Secret must be served")
	assert.NotEqual(t, oldSerial, cur.Leaf.SerialNumber)
	// The old certificate was not mutated: an in-flight handshake holding it
	// still has a complete, consistent key pair.
	assert.Equal(t, oldSerial, old.Leaf.SerialNumber)
	require.NotNil(t, old.PrivateKey)
	require.NotEmpty(t, old.Certificate)
	assert.Equal(t, old.Leaf.Raw, old.Certificate[0])
}

func TestPutSecretReplacementDropsNamesNoLongerClaimed(t *testing.T) {
	ca := newTestCA(t)
	c := NewCache(Options{})
	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example", "b.example"}})))
	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}})))
	mustGet(t, c, "a.example")
	_, err := c.GetCertificate(hello("b.example"))
	assert.ErrorIs(t, err, ErrUnknownName)
}

func TestSameNameLaterNotAfterWins(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	early := ca.secretFor(t, "ns", "early", leaf{dns: []string{"a.example", "*.w.example"}, notAfter: now.Add(time.Hour)})
	late := ca.secretFor(t, "ns", "late", leaf{dns: []string{"a.example", "*.w.example"}, notAfter: now.Add(2 * time.Hour)})

	tests := []struct {
		name  string
		order []*secret.Secret
	}{
		{"early first", []*secret.Secret{early, late}},
		{"late first", []*secret.Secret{late, early}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCache(Options{})
			for _, s := range tt.order {
				require.NoError(t, c.PutSecret(s))
			}
			for _, name := range []string{"a.example", "x.w.example"} {
				assert.Equal(t, now.Add(2*time.Hour).Unix(), mustGet(t, c, name).Leaf.NotAfter.Unix(), name)
			}
			// Deleting the winner falls back to the other claimant.
			c.DeleteSecret(secretRef("ns", "late"))
			for _, name := range []string{"a.example", "x.w.example"} {
				assert.Equal(t, now.Add(time.Hour).Unix(), mustGet(t, c, name).Leaf.NotAfter.Unix(), name)
			}
			c.DeleteSecret(secretRef("ns", "early"))
			_, err := c.GetCertificate(hello("a.example"))
			assert.ErrorIs(t, err, ErrUnknownName)
		})
	}
}

func TestSameNotAfterTieGoesToSmallerRef(t *testing.T) {
	ca := newTestCA(t)
	na := time.Now().Add(time.Hour)
	b := ca.secretFor(t, "ns", "b", leaf{dns: []string{"a.example"}, notAfter: na})
	a := ca.secretFor(t, "ns", "a", leaf{dns: []string{"a.example"}, notAfter: na})
	c := NewCache(Options{})
	require.NoError(t, c.Apply([]*secret.Secret{b, a}, nil))
	want := c.certs.Load().secrets[secretRef("ns", "a")].cert
	assert.Same(t, want, mustGet(t, c, "a.example"))
}

func TestPutSecretInvalidChangesNothing(t *testing.T) {
	ca := newTestCA(t)
	good := ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}})
	otherCrt, otherKey := ca.issue(t, leaf{dns: []string{"a.example"}})

	tests := []struct {
		name string
		s    *secret.Secret
	}{
		{"nil", nil},
		{"no key", tlsSecret("ns", "web", otherCrt, nil)},
		{"garbage cert", tlsSecret("ns", "web", []byte("not pem"), otherKey)},
		{"key does not match leaf", tlsSecret("ns", "web", otherCrt, good.Data[secret.TLSKeyKey])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCache(Options{})
			require.NoError(t, c.PutSecret(good))
			before := mustGet(t, c, "a.example")
			snap := c.certs.Load()

			err := c.PutSecret(tt.s)
			require.ErrorIs(t, err, ErrInvalidSecret)
			assert.Same(t, snap, c.certs.Load(), "no new snapshot is published")
			assert.Same(t, before, mustGet(t, c, "a.example"))
			assert.NotContains(t, err.Error(), string(good.Data[secret.TLSKeyKey]))
		})
	}
}

func TestPutSecretWithoutCertificateStopsServing(t *testing.T) {
	ca := newTestCA(t)
	c := NewCache(Options{})
	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}})))
	keyOnly := &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "web"},
		Type:       secret.TypeOpaque,
		Data:       map[string][]byte{secret.TLSKeyKey: []byte("account key")},
	}
	require.NoError(t, c.PutSecret(keyOnly))
	_, err := c.GetCertificate(hello("a.example"))
	assert.ErrorIs(t, err, ErrUnknownName)

	// Apply treats it the same way, in the same snapshot as the other puts.
	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}})))
	deletes := make([]meta.Ref, 0, 4)
	require.NoError(t, c.Apply([]*secret.Secret{
		keyOnly,
		ca.secretFor(t, "ns", "other", leaf{dns: []string{"b.example"}}),
	}, deletes))
	assert.Empty(t, deletes[:cap(deletes)][0], "the caller's slice is not written")
	_, err = c.GetCertificate(hello("a.example"))
	assert.ErrorIs(t, err, ErrUnknownName)
	mustGet(t, c, "b.example")
}

func TestApplyLoadsBatchAndJoinsErrors(t *testing.T) {
	ca := newTestCA(t)
	c := NewCache(Options{})
	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "gone", leaf{dns: []string{"gone.example"}})))
	bad := tlsSecret("ns", "bad", []byte("x"), []byte("y"))
	err := c.Apply([]*secret.Secret{
		ca.secretFor(t, "ns", "a", leaf{dns: []string{"a.example"}}),
		bad,
		ca.secretFor(t, "ns", "b", leaf{dns: []string{"b.example"}, ips: []string{"192.0.2.1"}}),
	}, []meta.Ref{secretRef("ns", "gone"), secretRef("ns", "never-existed")})

	require.ErrorIs(t, err, ErrInvalidSecret)
	assert.Contains(t, err.Error(), "ns/bad")
	mustGet(t, c, "a.example")
	mustGet(t, c, "b.example")
	_, err = c.GetCertificate(hello("gone.example"))
	assert.ErrorIs(t, err, ErrUnknownName)
	snap := c.certs.Load()
	assert.Len(t, snap.secrets, 2)
	assert.Len(t, snap.ips, 1)
}

func TestApplyNothingPublishesNoSnapshot(t *testing.T) {
	c := NewCache(Options{})
	snap := c.certs.Load()
	require.NoError(t, c.Apply(nil, nil))
	c.DeleteSecret(secretRef("ns", "missing"))
	assert.Len(t, c.certs.Load().secrets, 0)
	assert.Same(t, snap, c.certs.Load())
}

func TestWithDoesNotModifyPreviousSnapshot(t *testing.T) {
	ca := newTestCA(t)
	c := NewCache(Options{})
	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "a", leaf{dns: []string{"a.example"}})))
	old := c.certs.Load()
	oldCert := old.exact["a.example"]

	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "b", leaf{dns: []string{"a.example", "b.example"}, notAfter: time.Now().Add(48 * time.Hour)})))
	c.DeleteSecret(secretRef("ns", "a"))

	assert.Same(t, oldCert, old.exact["a.example"])
	assert.NotContains(t, old.exact, "b.example")
	// The bookkeeping is the writers' own, shared by every snapshot.
	assert.Len(t, c.certs.Load().claims["a.example"], 1)
	assert.Len(t, c.certs.Load().secrets, 1)
}

func TestApplyLastVersionOfARefCounts(t *testing.T) {
	ca := newTestCA(t)
	cert := ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}})
	newer := ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}})
	keyOnly := &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "web"},
		Data:       map[string][]byte{secret.TLSKeyKey: []byte("k")},
	}
	broken := tlsSecret("ns", "web", []byte("garbage"), []byte("garbage"))

	tests := []struct {
		name     string
		puts     []*secret.Secret
		want     *secret.Secret // nil: a.example is not served
		wantErrs bool
	}{
		{"certificate then key only", []*secret.Secret{cert, keyOnly}, nil, false},
		{"key only then certificate", []*secret.Secret{keyOnly, cert}, cert, false},
		{"two versions", []*secret.Secret{cert, newer}, newer, false},
		{"broken last keeps the usable one", []*secret.Secret{cert, broken}, cert, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCache(Options{})
			err := c.Apply(tt.puts, nil)
			if tt.wantErrs {
				require.ErrorIs(t, err, ErrInvalidSecret)
			} else {
				require.NoError(t, err)
			}
			got, err := c.GetCertificate(hello("a.example"))
			if tt.want == nil {
				require.ErrorIs(t, err, ErrUnknownName)
				return
			}
			require.NoError(t, err)
			wantLeaf, err := tls.X509KeyPair(tt.want.Data[secret.TLSCertKey], tt.want.Data[secret.TLSKeyKey])
			require.NoError(t, err)
			assert.Equal(t, wantLeaf.Certificate[0], got.Certificate[0])
		})
	}
}
