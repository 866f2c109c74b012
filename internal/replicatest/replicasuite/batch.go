package replicasuite

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/replicatest"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store"
)

// Fresh returns an empty shared Store for one batch: the settings of each
// replica and the caller's own handle on it.
type Fresh func(tb testing.TB) (replica func(i int) json.RawMessage, parent store.Store)

// BatchIssuer names the CA Issuer of a batch.
const BatchIssuer = "batch-ca"

// Batch starts `replicas` replicas (with Config.ShareWork as share says)
// on a fresh Store and returns how long they take to issue n certificates
// from a CA Issuer: from the moment the test writes the CA, the Issuer and
// the Certificates until every Certificate is Ready. It checks that each
// was issued once (revision 1, one CertificateRequest each).
func Batch(tb testing.TB, fresh Fresh, replicas, n int, share bool) time.Duration {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	spec, st := fresh(tb)
	cluster, err := replicatest.Start(ctx, replicatest.Options{Replicas: replicas, Store: spec, Dir: tb.TempDir(), ShareWork: share})
	require.NoError(tb, err)
	defer func() { require.NoError(tb, cluster.Close()) }()

	objs := []meta.Object{
		testrig.CASecret(tb, Namespace, BatchIssuer, time.Now()),
		testrig.CAIssuer(Namespace, BatchIssuer, BatchIssuer),
	}
	refs := make([]meta.Ref, n)
	for i := range refs {
		name := fmt.Sprintf("batch-%03d", i)
		c := testrig.Certificate(Namespace, name, BatchIssuer, name+".batch.replicas.test")
		objs = append(objs, c)
		refs[i] = meta.RefOf(c)
	}
	start := time.Now()
	for _, o := range objs {
		require.NoError(tb, st.Create(ctx, o))
	}
	require.NoError(tb, replicatest.AwaitReady(ctx, st, refs))
	took := time.Since(start)

	certs, err := store.ListOf[certificate.Certificate](ctx, st, store.ListOptions{Kind: meta.KindCertificate, Namespace: Namespace})
	require.NoError(tb, err)
	require.Len(tb, certs, n)
	for _, c := range certs {
		require.Equal(tb, 1, *c.Status.Revision, "%s issued once", c.ObjectMeta.Name)
	}
	reqs, err := store.ListOf[request.CertificateRequest](ctx, st, store.ListOptions{Kind: meta.KindCertificateRequest, Namespace: Namespace})
	require.NoError(tb, err)
	require.Len(tb, reqs, n, "one CertificateRequest per Certificate")
	return took
}

// CompareBatches runs Batch b.N times each with 1 replica, 3 replicas
// sharing the work and 3 replicas each reconciling everything, in turn,
// and reports the mean of each and the ratios to one replica (below 1:
// three replicas finish sooner).
func CompareBatches(b *testing.B, fresh Fresh, n int) {
	var one, shared, unshared time.Duration
	for range b.N {
		one += Batch(b, fresh, 1, n, true)
		shared += Batch(b, fresh, 3, n, true)
		unshared += Batch(b, fresh, 3, n, false)
	}
	b.ReportMetric(one.Seconds()/float64(b.N), "s/batch-1-replica")
	b.ReportMetric(shared.Seconds()/float64(b.N), "s/batch-3-shared")
	b.ReportMetric(unshared.Seconds()/float64(b.N), "s/batch-3-unshared")
	b.ReportMetric(shared.Seconds()/one.Seconds(), "3-shared-vs-1")
	b.ReportMetric(unshared.Seconds()/one.Seconds(), "3-unshared-vs-1")
	b.ReportMetric(0, "ns/op") // the batches are the measure, not the loop
}
