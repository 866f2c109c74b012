package certflow

import (
	"context"
	"crypto/tls"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// idleSweepSetup returns an on-demand Manager (not running) whose Store
// holds n on-demand Certificates, and a time at which none is idle.
func idleSweepSetup(tb testing.TB, n int) (*onDemand, time.Time) {
	tb.Helper()
	clk := clock.NewFake(testrig.Epoch)
	st := memory.New(memory.WithClock(clk))
	tmpl := onDemandTemplate()
	tmpl.Spec.IssuerRef.Name = "ca"
	m, err := New(Config{Store: st, Clock: clk, OnDemand: &OnDemandConfig{
		Allow: AllowNames("*.idle.test"), Template: tmpl, IdleTimeout: time.Hour}})
	require.NoError(tb, err)
	for i := range n {
		require.NoError(tb, st.Create(context.Background(), m.onDemand.certificate(fmt.Sprintf("n%d.idle.test", i))))
	}
	return m.onDemand, clk.Now().Add(time.Minute)
}

// allocatedBy returns the bytes f allocated.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The first sweep after a restart tracks every on-demand name: its cost
// grows linearly with the names (one map built per sweep), not with their
// square (a map copied per name). Four times the names allocate about
// four times the bytes (the Store's List included); a copy per name made
// it sixteen.
func TestOnDemand_IdleSweepLinear(t *testing.T) {
	const small, large = 500, 2000
	bytes := map[int]uint64{}
	for _, n := range []int{small, large} {
		od, now := idleSweepSetup(t, n)
		bytes[n] = allocatedBy(func() { require.NoError(t, od.sweepIdleOnce(context.Background(), now)) })
		assert.Equal(t, 1, od.used.builds, "one map of all names per sweep")
		assert.NotNil(t, od.used.lookup(fmt.Sprintf("N%d.idle.test.", n-1)), "every name tracked")
	}
	ratio := float64(bytes[large]) / float64(bytes[small])
	t.Logf("sweep of %d names: %d B; of %d: %d B; ratio %.1f", small, bytes[small], large, bytes[large], ratio)
	assert.Less(t, ratio, 8.0, "a sweep's cost must grow linearly with the names")
}

// Tracking a new name between sweeps (an issuance) never copies the map
// of every name: with 20,000 names published it costs what it costs with
// none.
func TestUsedNames_TrackIndependentOfPublished(t *testing.T) {
	const tracked = 200
	trackNew := func(u *usedNames) uint64 {
		return allocatedBy(func() {
			for i := range tracked {
				u.track(fmt.Sprintf("new%d.idle.test", i), testrig.Epoch)
			}
		})
	}
	var empty usedNames
	baseline := trackNew(&empty)
	var full usedNames
	names := make([]string, 20_000)
	for i := range names {
		names[i] = fmt.Sprintf("n%d.idle.test", i)
	}
	full.publish(names)
	withPublished := trackNew(&full)
	t.Logf("tracking %d new names: %d B with none published, %d B with %d", tracked, baseline, withPublished, len(names))
	assert.Less(t, withPublished, 2*baseline+64<<10)
	assert.Equal(t, 1, full.builds, "tracking built no map of all names")
	assert.NotNil(t, full.lookup("new0.idle.test"), "a tracked name is found before the next sweep")
	assert.NotNil(t, full.lookup("n0.idle.test"))

	// The next publish merges the tracked names and keeps their entries.
	e := full.lookup("new1.idle.test")
	full.publish(names[:1])
	assert.Same(t, e, full.lookup("new1.idle.test"))
	assert.Nil(t, full.lookup("n1.idle.test"), "a name the sweep no longer lists is forgotten")
}

// A hit on a name in the published map allocates nothing.
func TestUsedNames_TouchAllocatesNothing(t *testing.T) {
	var u usedNames
	u.publish([]string{"a.idle.test"})
	u.track("b.idle.test", time.Time{})
	for _, name := range []string{"A.Idle.Test.", "b.idle.test", "c.idle.test"} {
		assert.Zero(t, testing.AllocsPerRun(100, func() { u.touch(name) }), name)
	}
	assert.True(t, u.lookup("a.idle.test").hit.Load())
	assert.True(t, u.lookup("b.idle.test").hit.Load())
}

// Without IdleTimeout nothing reads the uses, so an issuance tracks none.
func TestOnDemand_NoIdleTrackingWithoutIdleTimeout(t *testing.T) {
	tmpl := onDemandTemplate()
	tmpl.Spec.IssuerRef.Name = "ca"
	h := startManager(t, func(c *Config) {
		c.OnDemand = &OnDemandConfig{Allow: allowSuffix(".idle.test"), Template: tmpl}
	})
	h.setupCA("default", "ca")
	_, err := h.m.GetCertificate(&tls.ClientHelloInfo{ServerName: "a.idle.test"})
	require.NoError(t, err)
	assert.Nil(t, h.m.onDemand.used.lookup("a.idle.test"))
}

// BenchmarkOnDemand_IdleSweep measures the first idle sweep after a
// restart (every name new to the Manager), against its baseline, the
// Store's List of the same Certificates: the ratio stays flat as the
// names grow.
func BenchmarkOnDemand_IdleSweep(b *testing.B) {
	for _, n := range []int{5_000, 20_000} {
		od, now := idleSweepSetup(b, n)
		ctx := context.Background()
		b.Run(fmt.Sprintf("list/names=%d", n), func(b *testing.B) {
			for b.Loop() {
				_, err := store.ListOf[certificate.Certificate](ctx, od.m.cfg.Store, store.ListOptions{
					Kind: meta.KindCertificate, Namespace: "default", Labels: map[string]string{LabelOnDemand: "true"}})
				require.NoError(b, err)
			}
		})
		b.Run(fmt.Sprintf("sweep/names=%d", n), func(b *testing.B) {
			for b.Loop() {
				od.used = usedNames{} // a restarted Manager knows no name
				require.NoError(b, od.sweepIdleOnce(ctx, now))
			}
		})
	}
}
