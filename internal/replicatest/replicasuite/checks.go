package replicasuite

import (
	"context"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/internal/replicatest"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// RequireIssuedOnce checks at the CA that every name got exactly one
// order, one finalize and one certificate, that nothing else was ordered,
// and that no challenge was accepted twice. It returns the ledger.
func (r *Rig) RequireIssuedOnce(names []string) replicatest.Ledger {
	r.T.Helper()
	l, err := replicatest.ReadLedger(r.Ctx, r.CA)
	require.NoError(r.T, err)
	assert.Empty(r.T, replicatest.NotOnce(l.NewOrders, names), "orders created per name")
	assert.Empty(r.T, replicatest.NotOnce(l.Finalizes, names), "finalize requests per name")
	assert.Empty(r.T, replicatest.NotOnce(l.Issued, names), "certificates issued per name")
	assert.Empty(r.T, replicatest.OverOne(l.Accepts), "challenges accepted more than once")
	return l
}

// RequireValidatedByOthers checks that the CA validated at least want
// challenges of each type through the Front and that every validation was
// answered, by a replica other than the one that presented the challenge.
func (r *Rig) RequireValidatedByOthers(want map[string]int) {
	r.T.Helper()
	got := map[string]int{}
	for _, v := range r.Front.Validations() {
		got[v.Type]++
		assert.True(r.T, v.OK, "%s validation of %s answered (replica %d)", v.Type, v.Key, v.ServedBy)
		assert.GreaterOrEqual(r.T, v.Presenter, 0, "%s validation of %s: presenter known", v.Type, v.Key)
		assert.NotEqual(r.T, v.Presenter, v.ServedBy, "%s validation of %s answered by another replica than the presenter", v.Type, v.Key)
	}
	for typ, n := range want {
		assert.GreaterOrEqual(r.T, got[typ], n, "%s validations", typ)
	}
}

// RequireDNSOnce waits until every DNS-01 value presented has been cleaned
// up, then checks that each was presented exactly once and cleaned up
// exactly once, that at least want were presented, and that the CA's DNS
// holds no value at their names any more.
func (r *Rig) RequireDNSOnce(want int) {
	r.T.Helper()
	type key struct{ name, value string }
	count := func() (presents, cleanups map[key]int) {
		presents, cleanups = map[key]int{}, map[key]int{}
		for _, c := range r.Front.DNSCalls() {
			k := key{c.Name, c.Value}
			switch c.Op {
			case replicatest.DNSPresent:
				presents[k]++
			case replicatest.DNSCleanUp:
				cleanups[k]++
			}
		}
		return presents, cleanups
	}
	err := r.Front.Await(r.Ctx, func() bool {
		presents, cleanups := count()
		for k := range presents {
			if cleanups[k] == 0 {
				return false
			}
		}
		return len(presents) >= want
	})
	require.NoError(r.T, err, "every DNS-01 value presented is cleaned up")
	presents, cleanups := count()
	for k, n := range presents {
		assert.Equal(r.T, 1, n, "presents of %s %s", k.name, k.value)
		assert.Equal(r.T, 1, cleanups[k], "clean-ups of %s %s", k.name, k.value)
		assert.Empty(r.T, r.CA.TXT(k.name), "TXT values left at %s", k.name)
	}
	for k := range cleanups {
		assert.Contains(r.T, presents, k, "clean-up of %s %s that was never presented", k.name, k.value)
	}
}

// Served is which certificate one replica served for one name.
type Served struct {
	Replica int
	Name    string
	Serial  string
}

// RequireServedByEvery checks that every running replica serves each of
// certs, for every name, with the certificate in its Secret (verified
// against the CA's roots). A replica learns of a new Secret through its
// watch, so each handshake is retried until it serves that certificate or
// the scenario's context ends.
func (r *Rig) RequireServedByEvery(certs []*certificate.Certificate) []Served {
	r.T.Helper()
	var out []Served
	roots := r.CA.Roots()
	for _, c := range certs {
		want := r.SecretLeaf(c)
		for _, rep := range r.Cluster.Replicas() {
			select {
			case <-rep.Exited():
				continue
			default:
			}
			for _, name := range c.Spec.DNSNames {
				leaf, err := AwaitServed(r.Ctx, rep.TLSPort, name, roots, want)
				require.NoError(r.T, err, "replica %d serves %s", rep.Index, name)
				out = append(out, Served{Replica: rep.Index, Name: name, Serial: leaf.SerialNumber.String()})
			}
		}
	}
	return out
}

// SecretLeaf reads the leaf certificate stored for c.
func (r *Rig) SecretLeaf(c *certificate.Certificate) *x509.Certificate {
	r.T.Helper()
	s := &secret.Secret{}
	ref := meta.Ref{Kind: meta.KindSecret, Namespace: c.ObjectMeta.Namespace, Name: c.Spec.SecretName}
	require.NoError(r.T, r.Store.Get(r.Ctx, ref, s))
	chain, err := pki.ParseChain(s.Data[secret.TLSCertKey])
	require.NoError(r.T, err)
	return chain[0]
}

// servedPoll is the pause between handshakes with a replica that does not
// serve the certificate yet: nothing tells the test when its watch
// delivered the Secret.
const servedPoll = 50 * time.Millisecond

// AwaitServed makes TLS handshakes with the replica on port for name
// until it serves want, and returns the leaf; or the last error when ctx
// ends.
func AwaitServed(ctx context.Context, port int, name string, roots *x509.CertPool, want *x509.Certificate) (*x509.Certificate, error) {
	for {
		hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		leaf, err := replicatest.Handshake(hctx, port, name, roots)
		cancel()
		if err == nil && !leaf.Equal(want) {
			err = fmt.Errorf("served serial %s, not the stored %s", leaf.SerialNumber, want.SerialNumber)
		}
		if err == nil {
			return leaf, nil
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(servedPoll):
		}
	}
}
