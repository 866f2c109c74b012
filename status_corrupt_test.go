package certflow

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/file"
)

// findNode returns the first node of kind named name (any name if empty)
// in the tree.
func findNode(n *StatusNode, kind meta.Kind, name string) *StatusNode {
	if n == nil {
		return nil
	}
	if n.Kind == kind && (name == "" || n.Name == name) {
		return n
	}
	for _, c := range n.Children {
		if f := findNode(c, kind, name); f != nil {
			return f
		}
	}
	return nil
}

// TestStatus_CorruptStoredObjectShowsAsCorruptNode: with one corrupt Issuer
// file and one corrupt request file, Status shows those nodes as Corrupt,
// naming the file, and the rest of the tree as usual.
func TestStatus_CorruptStoredObjectShowsAsCorruptNode(t *testing.T) {
	dir := t.TempDir()
	st, err := file.Open(dir, file.WithoutSync(), file.WithPollInterval(10*time.Millisecond))
	require.NoError(t, err)
	defer st.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	require.NoError(t, m.Apply(ctx, testrig.CASecret(t, "default", "ca-key", clock.Real{}.Now())))
	require.NoError(t, m.Apply(ctx, testrig.CAIssuer("default", "ca", "ca-key")))
	require.NoError(t, m.Apply(ctx, testrig.Certificate("default", "web", "ca", "web.example.test")))
	require.NoError(t, m.WaitReady(ctx, testrig.CertRef("default", "web")))
	stop()
	<-done

	issuerFile := filepath.Join(dir, "objects", "Issuer", "default", "ca.json")
	requestFile := filepath.Join(dir, "objects", "CertificateRequest", "default", "web-1.json")
	for _, f := range []string{issuerFile, requestFile} {
		_, err := os.Stat(f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(f, []byte(`{"kind":`), 0o600))
	}

	tree, err := m.Status(ctx, testrig.CertRef("default", "web"))
	require.NoError(t, err, "one unreadable object does not hide the tree")
	assert.Equal(t, StateReady, tree.State)
	iss := findNode(tree, meta.KindIssuer, "ca")
	require.NotNil(t, iss, tree.String())
	assert.Equal(t, StateCorrupt, iss.State)
	assert.Contains(t, iss.Message, issuerFile)
	req := findNode(tree, meta.KindCertificateRequest, "web-1")
	require.NotNil(t, req, tree.String())
	assert.Equal(t, StateCorrupt, req.State)
	assert.Contains(t, req.Message, requestFile)
	sec := findNode(tree, meta.KindSecret, "web-tls")
	require.NotNil(t, sec, tree.String())
	assert.Equal(t, StateReady, sec.State)
	assert.Contains(t, tree.String(), "Issuer default/ca: Corrupt")

	itree, err := m.Status(ctx, meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "ca"})
	require.NoError(t, err)
	assert.Equal(t, StateCorrupt, itree.State)
	assert.Contains(t, itree.Message, issuerFile)
	assert.NotNil(t, findNode(itree, meta.KindCertificate, "web"), "the certificates using it are still listed")
}
