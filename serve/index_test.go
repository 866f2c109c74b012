package serve

import (
	"crypto/tls"
	"fmt"
	"strings"
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
	oldSerial := leafOf(t, old).SerialNumber

	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}})))
	cur := mustGet(t, c, "a.example")

	assert.NotSame(t, old, cur, "the replaced Secret must be served")
	assert.NotEqual(t, oldSerial, leafOf(t, cur).SerialNumber)
	// The old certificate was not mutated: an in-flight handshake holding it
	// still has a complete, consistent key pair.
	assert.Equal(t, oldSerial, leafOf(t, old).SerialNumber)
	require.NotNil(t, old.PrivateKey)
	require.NotEmpty(t, old.Certificate)
	assert.Equal(t, leafOf(t, old).Raw, old.Certificate[0])
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
				assert.Equal(t, now.Add(2*time.Hour).Unix(), leafOf(t, mustGet(t, c, name)).NotAfter.Unix(), name)
			}
			// Deleting the winner falls back to the other claimant.
			c.DeleteSecret(secretRef("ns", "late"))
			for _, name := range []string{"a.example", "x.w.example"} {
				assert.Equal(t, now.Add(time.Hour).Unix(), leafOf(t, mustGet(t, c, name)).NotAfter.Unix(), name)
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
	want := c.certs.secrets.get(secretRef("ns", "a")).cert
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
			loaded := c.certs.secrets.get(secretRef("ns", "web"))

			err := c.PutSecret(tt.s)
			require.ErrorIs(t, err, ErrInvalidSecret)
			assert.Same(t, loaded, c.certs.secrets.get(secretRef("ns", "web")), "the loaded version is kept")
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
	assert.Equal(t, 2, c.certs.secrets.len())
	assert.Equal(t, 3, c.certs.names(), "a.example, b.example, 192.0.2.1")
	cert, err := c.GetCertificate(helloOn("192.0.2.1"))
	require.NoError(t, err)
	assert.Contains(t, leafNames(t, cert), "192.0.2.1")
}

func TestApplyNothingWritesNothing(t *testing.T) {
	c := NewCache(Options{})
	exact, wild := c.certs.exact.Load(), c.certs.wild.Load()
	require.NoError(t, c.Apply(nil, nil))
	c.DeleteSecret(secretRef("ns", "missing"))
	assert.Zero(t, c.certs.secrets.len())
	assert.Same(t, exact, c.certs.exact.Load())
	assert.Same(t, wild, c.certs.wild.Load())
	assert.Zero(t, exact.used+wild.used, "no entry was added")
}

// TestClaimsFollowPutsAndDeletes: the writer's bookkeeping of who claims a
// name follows puts and deletes, so a delete falls back to the next claimant.
func TestClaimsFollowPutsAndDeletes(t *testing.T) {
	ca := newTestCA(t)
	c := NewCache(Options{})
	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "a", leaf{dns: []string{"a.example"}})))
	first := mustGet(t, c, "a.example")

	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "b", leaf{dns: []string{"a.example", "b.example"}, notAfter: time.Now().Add(48 * time.Hour)})))
	second := mustGet(t, c, "a.example")
	assert.NotSame(t, first, second, "the later NotAfter wins")
	assert.Len(t, claimsOf(&c.certs.exact, "a.example"), 2)

	c.DeleteSecret(secretRef("ns", "b"))
	assert.Same(t, first, mustGet(t, c, "a.example"), "back to the remaining claimant")
	assert.Len(t, claimsOf(&c.certs.exact, "a.example"), 1)
	assert.Empty(t, claimsOf(&c.certs.exact, "b.example"))
	_, err := c.GetCertificate(hello("b.example"))
	assert.ErrorIs(t, err, ErrUnknownName)
	assert.Equal(t, 1, c.certs.secrets.len())
	assert.Equal(t, 1, c.certs.names())
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

// TestChangesServedWhenCallReturns: there is nothing to flush. Another
// goroutine, told of a change only after the call making it returned, is
// served accordingly at its first try, for puts, batches and deletes.
func TestChangesServedWhenCallReturns(t *testing.T) {
	ca := newTestCA(t)
	c := NewCache(Options{})
	type check struct {
		name   string
		served bool
	}
	checks, results := make(chan check), make(chan error)
	go func() {
		for ch := range checks {
			_, err := c.GetCertificate(hello(ch.name))
			switch {
			case ch.served && err != nil:
				results <- fmt.Errorf("%s not served: %w", ch.name, err)
			case !ch.served && err == nil:
				results <- fmt.Errorf("%s still served", ch.name)
			default:
				results <- nil
			}
		}
	}()
	defer close(checks)
	expect := func(name string, served bool) {
		t.Helper()
		checks <- check{name, served}
		assert.NoError(t, <-results)
	}

	for i := range 5 {
		name := fmt.Sprintf("put%d.example", i)
		require.NoError(t, c.PutSecret(atVersion(ca.secretFor(t, "ns", name, leaf{dns: []string{name}}), fmt.Sprint(10+i))))
		expect(name, true)
		expect(fmt.Sprintf("X.Put%d.Example", i), false)
	}
	var batch []*secret.Secret
	for i := range 5 {
		batch = append(batch, ca.secretFor(t, "ns", fmt.Sprint("batch", i), leaf{dns: []string{fmt.Sprintf("*.batch%d.example", i)}}))
	}
	require.NoError(t, c.Apply(batch, []meta.Ref{secretRef("ns", "put0.example")}))
	for i := range 5 {
		expect(fmt.Sprintf("x.batch%d.example", i), true)
	}
	expect("put0.example", false)
	c.DeleteSecretAt(secretRef("ns", "put1.example"), "100")
	expect("put1.example", false)

	// The index-level equivalent at scale: every name of a large batch.
	var many []*certEntry
	for i := range 5000 {
		many = append(many, fakeEntry(fmt.Sprint("many", i), time.Now(), fmt.Sprintf("m%d.example", i)))
	}
	c.update(many, nil)
	for i := range 5000 {
		expect(fmt.Sprintf("m%d.example", i), true)
	}
}

// TestExactBeatsWildcardWhateverTheOrder: an exact SAN is served before a
// wildcard covering the same name, however and in whatever order the two
// Secrets arrive and leave, in any case of the server name.
func TestExactBeatsWildcardWhateverTheOrder(t *testing.T) {
	ca := newTestCA(t)
	exact := ca.secretFor(t, "ns", "exact", leaf{dns: []string{"www.shop.example"}})
	wild := ca.secretFor(t, "ns", "wild", leaf{dns: []string{"*.shop.example"}, notAfter: time.Now().Add(48 * time.Hour)})
	servedBy := func(c *Cache, name string) string {
		t.Helper()
		cert, err := c.GetCertificate(hello(name))
		if err != nil {
			return ""
		}
		return leafOf(t, cert).DNSNames[0]
	}
	checkBoth := func(c *Cache) {
		t.Helper()
		for _, name := range []string{"www.shop.example", "WWW.Shop.Example.", "www.SHOP.example"} {
			assert.Equal(t, "www.shop.example", servedBy(c, name), name)
		}
		for _, name := range []string{"cart.shop.example", "CART.SHOP.EXAMPLE"} {
			assert.Equal(t, "*.shop.example", servedBy(c, name), name)
		}
	}
	tests := []struct {
		name string
		load func(c *Cache)
	}{
		{"exact first", func(c *Cache) { require.NoError(t, c.PutSecret(exact)); require.NoError(t, c.PutSecret(wild)) }},
		{"wildcard first", func(c *Cache) { require.NoError(t, c.PutSecret(wild)); require.NoError(t, c.PutSecret(exact)) }},
		{"one batch", func(c *Cache) { require.NoError(t, c.Apply([]*secret.Secret{wild, exact}, nil)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCache(Options{})
			tt.load(c)
			checkBoth(c)
			c.DeleteSecret(secretRef("ns", "exact"))
			assert.Equal(t, "*.shop.example", servedBy(c, "www.shop.example"), "the wildcard covers it once the exact name is gone")
			require.NoError(t, c.PutSecret(exact))
			checkBoth(c)
			c.DeleteSecret(secretRef("ns", "wild"))
			assert.Equal(t, "www.shop.example", servedBy(c, "www.shop.example"))
			assert.Empty(t, servedBy(c, "cart.shop.example"))
		})
	}
}

// TestApplyManySecrets: a batch big enough to be parsed on several
// goroutines loads every usable Secret, keeps the newest of two versions
// wherever they stand, and reports the broken ones in order.
func TestApplyManySecrets(t *testing.T) {
	ca := newTestCA(t)
	const n = 4 * parsePerWorker
	var batch []*secret.Secret
	var broken []string
	for i := range n {
		name := fmt.Sprintf("s%03d", i)
		if i%50 == 7 {
			batch = append(batch, tlsSecret("ns", name, []byte("not pem"), []byte("not pem")))
			broken = append(broken, "ns/"+name)
			continue
		}
		batch = append(batch, atVersion(ca.secretFor(t, "ns", name, leaf{dns: []string{name + ".example"}}), "10"))
	}
	// A newer version of s001 at the end, an older one of s002 too.
	batch = append(batch, atVersion(ca.secretFor(t, "ns", "s001", leaf{dns: []string{"renewed.example"}}), "11"))
	batch = append(batch, atVersion(ca.secretFor(t, "ns", "s002", leaf{dns: []string{"stale.example"}}), "9"))

	c := NewCache(Options{})
	err := c.Apply(batch, nil)
	require.ErrorIs(t, err, ErrInvalidSecret)
	msg := err.Error()
	last := -1
	for _, ref := range broken {
		at := strings.Index(msg, ref+":")
		require.Greater(t, at, last, "%s reported, in order", ref)
		last = at
	}
	assert.Equal(t, n-len(broken), c.certs.secrets.len())
	for i := range n {
		name := fmt.Sprintf("s%03d.example", i)
		_, err := c.GetCertificate(hello(name))
		switch {
		case i%50 == 7, i == 1:
			assert.ErrorIs(t, err, ErrUnknownName, name)
		default:
			assert.NoError(t, err, name)
		}
	}
	mustGet(t, c, "renewed.example")
	_, err = c.GetCertificate(hello("stale.example"))
	assert.ErrorIs(t, err, ErrUnknownName)
}
