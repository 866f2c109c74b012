package e2e

import (
	"context"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/replicatest"
	"github.com/certflow/certflow/internal/replicatest/replicasuite"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// A replica SIGKILLed while the CA holds its finalize request leaves its
// claim and its share behind; the others take the order up within the
// session lease and the silence that hands a share over, finish every
// certificate, and the CA issues each once.
func TestReplicas_Etcd_SIGKILLMidIssuance_OthersFinishItsCertificates(t *testing.T) {
	certs := replicasuite.Certificates("kill", 9, replicasuite.ZoneHTTP01)
	_, r := scenario(t, certs, []acmetest.Option{slowFinalize(1500 * time.Millisecond)})

	f := awaitFinalizeSent(t, r)
	victim := r.Cluster.Replica(f.Replica)
	victim.Kill()
	killedAt := time.Now()

	took := awaitTakeover(t, r, f, killedAt)
	takeover := took.At.Sub(killedAt)
	r.AwaitReady(certs)
	finished := time.Since(killedAt)
	t.Logf("replica %d killed while finalizing %s; replica %d took its claim after %v; all %d certificates ready %v after the kill",
		f.Replica, f.Order.Name, took.Replica, takeover.Round(time.Millisecond), len(certs), finished.Round(time.Millisecond))
	assert.Less(t, takeover, takeoverBound, "takeover within the session lease and a few seconds")

	requireIssuedOnceEach(t, r, certs)
	r.RequireServedByEvery(certs)
}

// etcd down for ten seconds: every replica keeps serving what it has from
// memory (handshakes all along), no replica asks anything of the CA once
// its claims are gone, and once etcd is back the certificates applied
// just before the outage are issued, each once, and nothing is lost.
func TestReplicas_Etcd_StoreDownTenSeconds_ServingGoesOnReconcilingResumes(t *testing.T) {
	const outage = 10 * time.Second
	before := replicasuite.Certificates("before", 4, replicasuite.ZoneHTTP01)
	c, r := scenario(t, before, nil)
	r.AwaitReady(before)
	r.RequireServedByEvery(before)
	leaves := map[string]*x509.Certificate{}
	for _, crt := range before {
		leaves[crt.Spec.DNSNames[0]] = r.SecretLeaf(crt)
	}

	during := replicasuite.Certificates("during", 4, replicasuite.ZoneHTTP01)
	for _, crt := range during {
		require.NoError(t, r.Store.Create(r.Ctx, crt))
	}
	require.NoError(t, r.Cluster.Await(r.Ctx, func(events []replicatest.Event) bool {
		for _, e := range events {
			if e.Type == replicatest.ReportEffect && e.Phase == replicatest.PhaseDo && strings.HasPrefix(e.Ref.Name, "during-") {
				return true
			}
		}
		return false
	}), "the replicas are issuing the new certificates")
	pending := 0
	for _, crt := range during {
		got := &certificate.Certificate{}
		require.NoError(t, r.Store.Get(r.Ctx, meta.RefOf(crt), got))
		if !replicatest.Ready(got) {
			pending++
		}
	}
	require.Positive(t, pending, "certificates are still being issued when etcd stops")

	c.etcd.Stop()
	stoppedAt := time.Now()
	handshakes := 0
	for time.Since(stoppedAt) < outage {
		for _, rep := range r.Cluster.Replicas() {
			for name, leaf := range leaves {
				hctx, cancel := context.WithTimeout(r.Ctx, 5*time.Second)
				got, err := replicatest.Handshake(hctx, rep.TLSPort, name, r.CA.Roots())
				cancel()
				require.NoError(t, err, "replica %d serves %s with etcd down", rep.Index, name)
				require.True(t, got.Equal(leaf), "replica %d serves the certificate it had for %s", rep.Index, name)
				handshakes++
			}
		}
	}
	require.NoError(t, c.etcd.Restart())
	restartedAt := time.Now()
	for _, rep := range r.Cluster.Replicas() {
		assert.Empty(t, sentAfter(r, rep.Index, stoppedAt.Add(sessionTTL)),
			"replica %d asked nothing of the CA while etcd was down (past its claims)", rep.Index)
	}

	r.AwaitReady(during)
	t.Logf("etcd down %v: %d handshakes with 3 replicas all served; the %d certificates being issued when it stopped were ready %v after etcd came back",
		outage, handshakes, pending, time.Since(restartedAt).Round(time.Millisecond))
	all := append(append([]*certificate.Certificate(nil), before...), during...)
	requireIssuedOnceEach(t, r, all)
	for _, crt := range all {
		got := &certificate.Certificate{}
		require.NoError(t, r.Store.Get(r.Ctx, meta.RefOf(crt), got))
		require.True(t, replicatest.Ready(got), "%s Ready", crt.ObjectMeta.Name)
		assert.Equal(t, 1, *got.Status.Revision, "%s issued once", crt.ObjectMeta.Name)
	}
	r.RequireServedByEvery(all)
}

// A replica whose watch is compacted away while it is cut off from etcd
// (certificates issued and one deleted meanwhile, every revision it missed
// compacted) lists again once it is back, and converges: it serves the new
// certificates and no longer serves the deleted one.
func TestReplicas_Etcd_WatchCompacted_ReplicaRelistsAndConverges(t *testing.T) {
	const victim = 2
	first := replicasuite.Certificates("first", 3, replicasuite.ZoneHTTP01)
	c, r := scenario(t, first, nil, victim)
	r.AwaitReady(first)
	r.RequireServedByEvery(first)

	c.proxies[victim].Drop()
	r.Front.Drain(victim)
	later := replicasuite.Certificates("later", 3, replicasuite.ZoneHTTP01)
	for _, crt := range later {
		require.NoError(t, r.Store.Create(r.Ctx, crt))
	}
	r.AwaitReady(later)
	gone := first[0]
	require.NoError(t, r.Store.Delete(r.Ctx, meta.RefOf(gone), ""))
	require.NoError(t, r.Store.Delete(r.Ctx, meta.Ref{Kind: meta.KindSecret, Namespace: gone.ObjectMeta.Namespace, Name: gone.Spec.SecretName}, ""))
	res, err := r.Store.List(r.Ctx, store.ListOptions{Kind: meta.KindCertificate})
	require.NoError(t, err)
	require.NoError(t, c.etcd.Compact(r.Ctx, int64(res.Revision)))
	c.proxies[victim].Heal()
	r.Front.Restore(victim)

	rep := r.Cluster.Replica(victim)
	for _, crt := range later {
		_, err := replicasuite.AwaitServed(r.Ctx, rep.TLSPort, crt.Spec.DNSNames[0], r.CA.Roots(), r.SecretLeaf(crt))
		require.NoError(t, err, "the replica that missed %s serves it", crt.ObjectMeta.Name)
	}
	require.NoError(t, awaitNotServed(r.Ctx, rep.TLSPort, gone.Spec.DNSNames[0], r), "the replica stops serving the deleted certificate")
	assert.Contains(t, rep.Stderr.String(), "compacted", "the replica's watch ended on the compaction and it listed again")
}

// awaitNotServed makes handshakes with the replica on port for name until
// one fails (the replica has no certificate for it), or ctx ends.
func awaitNotServed(ctx context.Context, port int, name string, r *replicasuite.Rig) error {
	for {
		hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := replicatest.Handshake(hctx, port, name, r.CA.Roots())
		cancel()
		if err != nil && ctx.Err() == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// A replica cut off from etcd (its connections silently dropped) while the
// CA holds its finalize request stops: its claim counts as lost once its
// session is, so the held request is abandoned before another replica
// takes the claim and finalizes, and it asks nothing more of the CA. The
// others take the order over, and the certificates applied after the cut
// (some in what was its share): the CA finalizes and issues each name once.
func TestReplicas_Etcd_PartitionedReplica_StopsClaimingOthersTakeOver(t *testing.T) {
	first := replicasuite.Certificates("cut", 1, replicasuite.ZoneHTTP01)
	// Only the first finalize is held, so the others' are not slowed.
	held := acmetest.WithFaults(acmetest.Delay(acmetest.EndpointFinalize, 1, 8*time.Second))
	c, r := scenario(t, first, []acmetest.Option{held}, 0, 1, 2)

	f := awaitFinalizeSent(t, r)
	c.proxies[f.Replica].Cut()
	r.Front.Drain(f.Replica)
	cutAt := time.Now()
	defer c.proxies[f.Replica].Heal() // so that it can stop
	after := replicasuite.Certificates("after", 6, replicasuite.ZoneHTTP01)
	for _, crt := range after {
		require.NoError(t, r.Store.Create(r.Ctx, crt))
	}

	took := awaitTakeover(t, r, f, cutAt)
	all := append(append([]*certificate.Certificate(nil), first...), after...)
	r.AwaitReady(all)
	t.Logf("replica %d cut off while the CA held its finalize of %s; replica %d took the order %v later; all ready %v after the cut",
		f.Replica, f.Order.Name, took.Replica, took.At.Sub(cutAt).Round(time.Millisecond), time.Since(cutAt).Round(time.Millisecond))
	assert.Less(t, took.At.Sub(cutAt), takeoverBound, "takeover within the session lease and a few seconds")
	// The held request ends one way or the other (abandoned, or answered
	// by the CA) before the cut-off replica's finalize returns.
	gaveUp := awaitStepEnded(t, r, f)
	t.Logf("the cut-off replica's finalize returned %v after the cut: %s", gaveUp.At.Sub(cutAt).Round(time.Millisecond), gaveUp.Err)
	assert.Empty(t, sentAfter(r, f.Replica, cutAt.Add(sessionTTL)), "the cut-off replica asks nothing of the CA once its claims are lost")

	requireIssuedOnceEach(t, r, all)
	for _, rep := range r.Cluster.Replicas() {
		if rep.Index == f.Replica {
			continue
		}
		for _, crt := range all {
			_, err := replicasuite.AwaitServed(r.Ctx, rep.TLSPort, crt.Spec.DNSNames[0], r.CA.Roots(), r.SecretLeaf(crt))
			require.NoError(t, err, "replica %d serves %s", rep.Index, crt.ObjectMeta.Name)
		}
	}
}
