package replicasuite

import (
	"context"
	"crypto/x509"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/replicatest"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// onDemandDenied is a name no replica's policy allows.
const onDemandDenied = "site-000.denied.replicas.test"

// onDemandHandshakeTimeout is how long an on-demand handshake waits for its
// certificate: most of Timeout, so that a slow machine fails on the
// scenario's deadline rather than on a handshake's.
const onDemandHandshakeTimeout = Timeout - 30*time.Second

// OnDemandIssuedOnce runs cfg.Replicas replicas with on-demand issuance
// allowing the names of ZoneOnDemand, makes a TLS handshake for each of n
// new names with every replica at once, and one for a denied name with
// every replica, all concurrently, and checks what on-demand issuance
// promises across replicas:
//   - every handshake for an allowed name succeeds, verified against the
//     CA's roots, and every replica serves the one certificate stored for
//     the name;
//   - every name becomes one Certificate, issued once (revision 1), and is
//     ordered, finalized and issued exactly once at the CA;
//   - every TLS-ALPN-01 validation is answered by a replica other than the
//     one that presented the challenge;
//   - the denied name fails its handshakes and costs no ACME request and
//     no Certificate.
func OnDemandIssuedOnce(t *testing.T, cfg Config, n int) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cfg.OnDemand = &replicatest.OnDemand{
		Allow: []string{"*." + ZoneOnDemand}, Issuer: IssuerName,
		Burst: n, HandshakeTimeout: onDemandHandshakeTimeout,
	}
	r := Start(t, ctx, cfg)
	// A handshake before the Issuer is Ready would wait out the Issuer's
	// registration as well: not what this scenario measures.
	require.NoError(t, replicatest.AwaitIssuerReady(ctx, r.Store, meta.Ref{Kind: meta.KindIssuer, Namespace: Namespace, Name: IssuerName}))

	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("site-%03d.%s", i, ZoneOnDemand)
	}
	began := time.Now()
	shakes := r.handshakeAtOnce(append(slices.Clone(names), onDemandDenied))
	took := time.Since(began)

	served := map[string]map[string]bool{} // name → serials served
	for _, h := range shakes {
		if h.name == onDemandDenied {
			assert.Error(t, h.err, "replica %d: handshake for the denied %s", h.replica, h.name)
			continue
		}
		if !assert.NoError(t, h.err, "replica %d: handshake for %s", h.replica, h.name) {
			continue
		}
		assert.Equal(t, []string{h.name}, h.leaf.DNSNames, "replica %d: names of the certificate served for %s", h.replica, h.name)
		if served[h.name] == nil {
			served[h.name] = map[string]bool{}
		}
		served[h.name][h.leaf.SerialNumber.String()] = true
	}

	certs := r.onDemandCertificates()
	var certNames []string
	for _, c := range certs {
		certNames = append(certNames, c.ObjectMeta.Annotations[certflow.AnnotationOnDemandName])
	}
	require.ElementsMatch(t, names, certNames, "one on-demand Certificate per allowed name, none for the denied one")
	for _, c := range certs {
		name := c.ObjectMeta.Annotations[certflow.AnnotationOnDemandName]
		if !assert.True(t, replicatest.Ready(c), "Certificate %s Ready", c.ObjectMeta.Name) {
			continue
		}
		assert.Equal(t, 1, *c.Status.Revision, "Certificate %s issued once", c.ObjectMeta.Name)
		want := r.SecretLeaf(c).SerialNumber.String()
		assert.Equal(t, map[string]bool{want: true}, served[name], "every replica served the stored certificate of %s", name)
	}

	l := r.RequireIssuedOnce(names)
	r.RequireValidatedByOthers(map[string]int{"TLS-ALPN-01": n})
	deniedRequests := 0
	for _, rec := range r.CA.NewOrders() {
		if slices.Contains(rec.Identifiers, onDemandDenied) {
			deniedRequests++
		}
	}
	assert.Zero(t, deniedRequests, "newOrder requests naming the denied %s", onDemandDenied)
	require.NoError(t, r.Cluster.Close(), "every replica stops cleanly")

	ok, deniedFailed := 0, 0
	for _, h := range shakes {
		switch {
		case h.err == nil:
			ok++
		case h.name == onDemandDenied:
			deniedFailed++
		}
	}
	t.Logf("%d replicas, %d names on demand: handshakes %d (%d succeeded, each verified) in %v, orders %d, finalizes %d, issued %d, accepts %d; "+
		"validations by another replica %d; denied name: %d handshakes failed, %d newOrder requests",
		cfg.Replicas, n, len(shakes), ok, took.Round(time.Millisecond), sum(l.NewOrders), sum(l.Finalizes), sum(l.Issued), sum(l.Accepts),
		len(r.Front.Validations()), deniedFailed, deniedRequests)
}

// shake is one TLS handshake of handshakeAtOnce.
type shake struct {
	replica int
	name    string
	leaf    *x509.Certificate
	err     error
}

// handshakeAtOnce makes a TLS handshake for every one of names with every
// replica, all released at once, verified against the CA's roots, and
// returns them once every one has ended.
func (r *Rig) handshakeAtOnce(names []string) []shake {
	roots := r.CA.Roots()
	reps := r.Cluster.Replicas()
	out := make([]shake, 0, len(names)*len(reps))
	for _, name := range names {
		for _, rep := range reps {
			out = append(out, shake{replica: rep.Index, name: name})
		}
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range out {
		h := &out[i]
		port := reps[h.replica].TLSPort
		wg.Go(func() {
			<-start
			h.leaf, h.err = replicatest.Handshake(r.Ctx, port, h.name, roots)
		})
	}
	close(start)
	wg.Wait()
	return out
}

// onDemandCertificates lists the Certificates on-demand issuance created.
func (r *Rig) onDemandCertificates() []*certificate.Certificate {
	r.T.Helper()
	all, err := store.ListOf[certificate.Certificate](r.Ctx, r.Store, store.ListOptions{Kind: meta.KindCertificate, Namespace: Namespace})
	require.NoError(r.T, err)
	var out []*certificate.Certificate
	for _, c := range all {
		if c.ObjectMeta.Labels[certflow.LabelOnDemand] == "true" {
			out = append(out, c)
		}
	}
	return out
}
