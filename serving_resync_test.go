package certflow

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// A Secret the watch brought in after the last list, and deleted while no
// watch ran (a watch compacted away, a Store unreachable), stops being
// served at the next list: what is served is what the Store holds, not
// what the previous list held.
func TestResync_StopsServingWhatTheWatchBroughtAndIsGoneSince(t *testing.T) {
	ctx := testrig.Context(t)
	clk := clock.NewFake(testrig.Epoch)
	st := memory.New(memory.WithClock(clk))
	m, err := New(Config{Store: st, Clock: clk, Workers: 2})
	require.NoError(t, err)
	stop := testrig.Run(t, ctx, 10*time.Second, m.Run)
	require.NoError(t, m.Apply(ctx, testrig.CASecret(t, "default", "ca-key", clk.Now())))
	require.NoError(t, m.Apply(ctx, testrig.CAIssuer("default", "ca", "ca-key")))
	crt := testrig.Certificate("default", "web", "ca", "web.example.test")
	require.NoError(t, m.Apply(ctx, crt))
	testrig.WaitFor[certificate.Certificate](t, ctx, st, meta.RefOf(crt), "Ready", testrig.CertReady, nil)
	hello := &tls.ClientHelloInfo{ServerName: "web.example.test"}
	secretRef := meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: crt.Spec.SecretName}
	awaitServed(t, ctx, m, secretRef, hello.ServerName)
	stop()

	require.NoError(t, st.Delete(ctx, meta.RefOf(crt), ""))
	require.NoError(t, st.Delete(ctx, secretRef, ""))
	_, err = m.resync(ctx)
	require.NoError(t, err)
	_, err = m.GetCertificate(hello)
	require.Error(t, err, "a Secret gone from the Store is no longer served")
}
