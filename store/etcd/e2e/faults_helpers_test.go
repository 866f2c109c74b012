package e2e

import (
	"context"
	"slices"
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
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store"
)

// memberTTL is how long replicas sharing the work wait for a silent
// replica before taking its share (certflow's memberTTL).
const memberTTL = 3 * time.Second

// takeoverBound is the longest a replica's claimed step may wait for
// another replica after the first one died or was cut off: the longer of
// the session lease and the silence that hands its share over, plus a
// margin for a loaded machine running under -race. A claim that outlived
// its owner by its own TTL (a minute or more) is far past it.
const takeoverBound = sessionTTL + memberTTL + 10*time.Second

// slowFinalize holds every finalize request at the CA for d before Pebble
// sees it, so a replica holds its finalize claim that long.
func slowFinalize(d time.Duration) acmetest.Option {
	return acmetest.WithFaults(acmetest.Fault{Endpoint: acmetest.EndpointFinalize, Nth: 1, Repeat: -1, Kind: acmetest.FaultDelay, Delay: d})
}

// Step names of the order reconciler's claimed effects.
const (
	stepFinalize = "finalize"
	stepGetOrder = "get order"
)

// finalizeSent is a finalize request a replica sent.
type finalizeSent struct {
	Replica int
	Order   meta.Ref
	At      time.Time
}

// awaitFinalizeSent waits until some replica has sent a finalize request
// (it is then held at the CA) and returns which replica and which Order.
func awaitFinalizeSent(t *testing.T, r *replicasuite.Rig) finalizeSent {
	t.Helper()
	var ev replicatest.Event
	require.NoError(t, r.Cluster.Await(r.Ctx, func(events []replicatest.Event) bool {
		i := slices.IndexFunc(events, func(e replicatest.Event) bool {
			return e.Type == replicatest.ReportACME && e.Payload && strings.Contains(e.Path, "/finalize-order/")
		})
		if i >= 0 {
			ev = events[i]
		}
		return i >= 0
	}), "a replica sends a finalize request")
	orders, err := store.ListOf[order.Order](r.Ctx, r.Store, store.ListOptions{Kind: meta.KindOrder})
	require.NoError(t, err)
	for _, o := range orders {
		if o.Status.FinalizeURL != "" && strings.HasSuffix(o.Status.FinalizeURL, ev.Path) {
			return finalizeSent{Replica: ev.Replica, Order: meta.RefOf(o), At: ev.At}
		}
	}
	t.Fatalf("no Order finalizes at %s", ev.Path)
	return finalizeSent{}
}

// awaitTakeover waits until a replica other than f's takes a claimed step
// of f's Order after since, and returns when.
func awaitTakeover(t *testing.T, r *replicasuite.Rig, f finalizeSent, since time.Time) replicatest.Event {
	t.Helper()
	var took replicatest.Event
	require.NoError(t, r.Cluster.Await(r.Ctx, func(events []replicatest.Event) bool {
		i := slices.IndexFunc(events, func(e replicatest.Event) bool {
			return e.Type == replicatest.ReportEffect && e.Replica != f.Replica && e.Ref == f.Order &&
				e.Phase == replicatest.PhaseDo && (e.Step == stepFinalize || e.Step == stepGetOrder) && e.At.After(since)
		})
		if i >= 0 {
			took = events[i]
		}
		return i >= 0
	}), "another replica takes up %s", f.Order)
	return took
}

// awaitStepEnded waits until f's replica reports that its finalize of f's
// Order returned, and returns that report.
func awaitStepEnded(t *testing.T, r *replicasuite.Rig, f finalizeSent) replicatest.Event {
	t.Helper()
	var ended replicatest.Event
	require.NoError(t, r.Cluster.Await(r.Ctx, func(events []replicatest.Event) bool {
		i := slices.IndexFunc(events, func(e replicatest.Event) bool {
			return e.Type == replicatest.ReportEffect && e.Replica == f.Replica && e.Ref == f.Order &&
				e.Step == stepFinalize && e.Phase == replicatest.PhaseDid && !e.At.Before(f.At)
		})
		if i >= 0 {
			ended = events[i]
		}
		return i >= 0
	}), "replica %d's finalize of %s returns", f.Replica, f.Order)
	return ended
}

// sentAfter lists the requests that ask something of the CA (newOrder,
// challenge accept, finalize) which replica sent after since.
func sentAfter(r *replicasuite.Rig, replica int, since time.Time) []string {
	var out []string
	for _, e := range r.Cluster.Events() {
		if e.Type == replicatest.ReportACME && e.Replica == replica && e.Payload && e.At.After(since) &&
			(strings.Contains(e.Path, "/order-plz") || strings.Contains(e.Path, "/chalZ/") || strings.Contains(e.Path, "/finalize-order/")) {
			out = append(out, e.At.Format(time.RFC3339Nano)+" "+e.Path)
		}
	}
	return out
}

// requireIssuedOnceEach checks at the CA that every name of certs was
// finalized once and issued once, and logs how many orders each needed:
// a replica that dies or loses the Store between the CA's answer to
// newOrder and storing it leaves an order nobody finalizes.
func requireIssuedOnceEach(t *testing.T, r *replicasuite.Rig, certs []*certificate.Certificate) replicatest.Ledger {
	t.Helper()
	l, err := replicatest.ReadLedger(r.Ctx, r.CA)
	require.NoError(t, err)
	names := replicasuite.Names(certs)
	assert.Empty(t, replicatest.NotOnce(l.Finalizes, names), "finalize requests per name")
	assert.Empty(t, replicatest.NotOnce(l.Issued, names), "certificates issued per name")
	assert.Empty(t, replicatest.OverOne(l.Accepts), "challenges accepted more than once")
	for _, n := range names {
		assert.LessOrEqual(t, l.NewOrders[n], 2, "orders for %s", n)
	}
	if len(replicatest.OverOne(l.Finalizes)) > 0 {
		t.Logf("finalizes at the CA per path: %v", r.CA.PostsPerPath(acmetest.EndpointFinalize))
		for _, e := range r.Cluster.Events() {
			if (e.Type == replicatest.ReportACME && strings.Contains(e.Path, "/finalize-order/")) ||
				(e.Type == replicatest.ReportEffect && (e.Step == stepFinalize || e.Step == stepGetOrder)) {
				t.Logf("%s replica %d %s %s %s %s %s", e.At.Format("15:04:05.000"), e.Replica, e.Type, e.Path, e.Ref.Name, e.Step, e.Phase+" "+replicatest.Phase(e.Err))
			}
		}
	}
	t.Logf("%d names: orders %d (more than one: %v), finalizes %d, issued %d",
		len(names), total(l.NewOrders), replicatest.OverOne(l.NewOrders), total(l.Finalizes), total(l.Issued))
	return l
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// scenario starts etcd (proxied for the replicas listed) and three
// replicas sharing the work, applying certs, with the CA options given.
func scenario(t *testing.T, certs []*certificate.Certificate, ca []acmetest.Option, proxied ...int) (*cluster, *replicasuite.Rig) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replicasuite.Timeout)
	t.Cleanup(cancel)
	c := newCluster(t, proxied...)
	r := replicasuite.Start(t, ctx, replicasuite.Config{
		Replicas: 3, Store: c.replica, Parent: c.parent(), ShareWork: true,
		Objects: replicasuite.Objects(certs), CA: ca,
	})
	return c, r
}
