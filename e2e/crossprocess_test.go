package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/store/file"
)

// TestFileStore_ChangesFromAnotherProcessAreReconciled applies objects
// through a second handle on the same directory (as another process or a
// CLI would) and expects the running Manager to issue from them.
func TestFileStore_ChangesFromAnotherProcessAreReconciled(t *testing.T) {
	dir := t.TempDir()
	mine, err := file.Open(dir, file.WithPollInterval(10*time.Millisecond))
	require.NoError(t, err)
	defer mine.Close()
	other, err := file.Open(dir)
	require.NoError(t, err)
	defer other.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := certflow.New(certflow.Config{Store: mine})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()

	cli, err := certflow.New(certflow.Config{Store: other}) // never runs: only writes
	require.NoError(t, err)
	require.NoError(t, cli.Apply(ctx, testrig.CASecret(t, "default", "ca-key", clock.Real{}.Now())))
	require.NoError(t, cli.Apply(ctx, testrig.CAIssuer("default", "ca", "ca-key")))
	require.NoError(t, cli.Apply(ctx, testrig.Certificate("default", "web", "ca", "web.example.test")))

	require.NoError(t, m.WaitReady(ctx, testrig.CertRef("default", "web")))
	seen := &certificate.Certificate{}
	require.NoError(t, cli.Get(ctx, testrig.CertRef("default", "web"), seen))
	require.True(t, testrig.CertReady(seen), "the other handle reads the issued status")
}
