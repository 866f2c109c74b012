package certflow

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// issuedRig issues n Certificates through a CA Issuer on a fresh memory
// Store, stops that Manager and returns the Store, its clock and sentinel.
func issuedRig(t *testing.T, ctx context.Context, n int) (*memory.Store, *clock.Fake, *budgetSentinel) {
	clk := clock.NewFake(time.Now())
	raw := memory.New(memory.WithClock(clk))
	sentinel := &budgetSentinel{ObjectMeta: meta.ObjectMeta{Namespace: "quiet", Name: "sentinel"}}
	require.NoError(t, raw.Create(ctx, sentinel))
	r := startQuietRig(t, ctx, raw, clk, sentinel)
	require.NoError(t, r.m.Apply(ctx, testrig.CASecret(t, "ns", "ca-key", clk.Now())))
	require.NoError(t, r.m.Apply(ctx, testrig.CAIssuer("ns", "ca", "ca-key")))
	for i := range n {
		c := testrig.Certificate("ns", fmt.Sprintf("c%d", i), "ca", fmt.Sprintf("c%d.example.test", i))
		require.NoError(t, r.m.Apply(ctx, c))
	}
	for i := range n {
		require.NoError(t, r.m.WaitReady(ctx, testrig.CertRef("ns", fmt.Sprintf("c%d", i))))
	}
	r.settle()
	r.stop()
	return raw, clk, sentinel
}

// A restarted Manager with nothing due decides on what its first list
// read: it reads from the Store again only each Certificate's request, and
// writes nothing.
func TestRestartReadsWhatItListedOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const n = 20
	raw, clk, sentinel := issuedRig(t, ctx, n)

	r := startQuietRig(t, ctx, raw, clk, sentinel)
	r.settle()
	for i := range n {
		require.True(t, quietServes(r.m, fmt.Sprintf("c%d.example.test", i)))
	}
	calls := r.counts.Counts()
	assert.Zero(t, calls.Writes(), "writes after a restart with nothing due: %s", calls)
	// Its current request, which the list does not keep (listedReads).
	assert.LessOrEqual(t, calls.Of(storecount.Get), int64(n), "Store reads after a restart with nothing due: at most one per Certificate: %s", calls)
	assert.Equal(t, int64(1), calls.Of(storecount.FullList), "%s", calls)
	// Letting go of the list tells no one: polled.
	assert.Eventually(t, func() bool {
		r.m.listed.mu.Lock()
		defer r.m.listed.mu.Unlock()
		return r.m.listed.items == nil
	}, 10*time.Second, time.Millisecond, "the list is let go once its visits have run")
}

// A Secret changed while no Manager ran is noticed by the next one, whose
// first decisions read it from the list: its Certificate is issued again.
func TestRestartNoticesASecretChangedWhileDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw, clk, sentinel := issuedRig(t, ctx, 3)

	ref := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "c1-tls"}
	stored := &secret.Secret{}
	require.NoError(t, raw.Get(ctx, ref, stored))
	other := tlsSecret(t, "c1-tls", "elsewhere.example.test")
	stored.Data[secret.TLSCertKey], stored.Data[secret.TLSKeyKey] = other.Data[secret.TLSCertKey], other.Data[secret.TLSKeyKey]
	require.NoError(t, raw.Update(ctx, stored))

	r, logs := startLoggedRig(t, ctx, raw, clk, sentinel)
	r.settle()
	assert.True(t, quietServes(r.m, "c1.example.test"), "issued again for its own name")
	assert.False(t, quietServes(r.m, "elsewhere.example.test"), "what was put in its Secret is replaced")
	assert.True(t, quietServes(r.m, "c0.example.test"))
	if t.Failed() {
		// Failed about once in 40 runs of the package under load, when
		// settle's mark took a late sentinel for its own (see mark).
		dumpRestart(t, ctx, r, raw, logs)
	}
	require.NoError(t, r.m.WaitReady(ctx, testrig.CertRef("ns", "c1")))
}

// dumpRestart logs what a failed restart test needs to be understood: the
// Manager's log, queue and timers, and each object of namespace ns but
// Events: its status, or a Secret's certificate's names (never its key).
func dumpRestart(t *testing.T, ctx context.Context, r *quietRig, raw *memory.Store, logs *testrig.Buffer) {
	t.Helper()
	t.Logf("the restarted Manager's log:\n%s", logs)
	waiting, inFlight := r.m.queue.depth()
	next, armed := r.m.timers.earliest()
	t.Logf("queue: %d waiting, %d in flight; earliest timer %v (armed %v), clock %v", waiting, inFlight, next, armed, r.clk.Now())
	res, err := raw.List(ctx, store.ListOptions{Namespace: "ns"})
	require.NoError(t, err)
	for _, item := range res.Items {
		switch item.Ref.Kind {
		case meta.KindEvent:
			continue
		case meta.KindSecret:
		default:
			var obj struct {
				Status struct {
					Conditions json.RawMessage `json:"conditions"`
					Revision   json.RawMessage `json:"revision"`
				} `json:"status"`
			}
			_ = json.Unmarshal(item.Data, &obj)
			t.Logf("%s rv=%s: revision %s, conditions %s", item.Ref, item.ResourceVersion, obj.Status.Revision, obj.Status.Conditions)
			continue
		}
		s := &secret.Secret{}
		if err := json.Unmarshal(item.Data, s); err != nil {
			t.Logf("%s rv=%s: %v", item.Ref, item.ResourceVersion, err)
			continue
		}
		var names []string
		if block, _ := pem.Decode(s.Data[secret.TLSCertKey]); block != nil {
			if leaf, err := x509.ParseCertificate(block.Bytes); err == nil {
				names = leaf.DNSNames
			}
		}
		t.Logf("%s rv=%s: certificate for %v", item.Ref, item.ResourceVersion, names)
	}
}
