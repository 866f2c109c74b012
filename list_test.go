package certflow

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
)

// names renders objects as namespace/name, in List's order.
func names(objs []meta.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.GetMeta().Namespace + "/" + o.GetMeta().Name
	}
	return out
}

func labelled(c *certificate.Certificate, labels map[string]string) *certificate.Certificate {
	c.ObjectMeta.Labels = labels
	return c
}

// TestList selects by kind, namespace and labels, without a running
// Manager, and returns each object as its kind's Go type.
func TestList(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := file.Open(t.TempDir(), file.WithoutSync())
	require.NoError(t, err)
	defer st.Close()
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	for _, o := range []meta.Object{
		labelled(testrig.Certificate("b", "web", "ca", "web.b.test"), map[string]string{"app": "web"}),
		labelled(testrig.Certificate("a", "web", "ca", "web.a.test"), map[string]string{"app": "web", "tier": "front"}),
		labelled(testrig.Certificate("a", "api", "ca", "api.a.test"), map[string]string{"app": "api"}),
		testrig.CAIssuer("a", "ca", "ca-key"),
		&issuer.ClusterIssuer{ObjectMeta: meta.ObjectMeta{Name: "global"}, Spec: issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}}},
	} {
		require.NoError(t, m.Apply(ctx, o))
	}

	tests := []struct {
		name string
		kind meta.Kind
		opts ListOptions
		want []string
	}{
		{"every namespace, sorted", meta.KindCertificate, ListOptions{}, []string{"a/api", "a/web", "b/web"}},
		{"one namespace", meta.KindCertificate, ListOptions{Namespace: "a"}, []string{"a/api", "a/web"}},
		{"one label", meta.KindCertificate, ListOptions{Labels: map[string]string{"app": "web"}}, []string{"a/web", "b/web"}},
		{"every label must match", meta.KindCertificate, ListOptions{Labels: map[string]string{"app": "web", "tier": "front"}}, []string{"a/web"}},
		{"namespace and label", meta.KindCertificate, ListOptions{Namespace: "b", Labels: map[string]string{"app": "api"}}, []string{}},
		{"other kind", meta.KindIssuer, ListOptions{}, []string{"a/ca"}},
		{"cluster-scoped kind ignores the namespace", meta.KindClusterIssuer, ListOptions{Namespace: "a"}, []string{"/global"}},
		{"nothing of the kind", meta.KindOrder, ListOptions{}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.List(ctx, tt.kind, tt.opts)
			require.NoError(t, err)
			assert.Equal(t, tt.want, names(got))
			for _, o := range got {
				assert.Equal(t, tt.kind, o.GetKind())
			}
		})
	}

	certs, err := m.List(ctx, meta.KindCertificate, ListOptions{Namespace: "b"})
	require.NoError(t, err)
	require.Len(t, certs, 1)
	c, ok := certs[0].(*certificate.Certificate)
	require.True(t, ok, "a Certificate comes back as *certificate.Certificate, got %T", certs[0])
	assert.Equal(t, []string{"web.b.test"}, c.Spec.DNSNames)
}

func TestList_UnknownKind(t *testing.T) {
	st, err := file.Open(t.TempDir(), file.WithoutSync())
	require.NoError(t, err)
	defer st.Close()
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	_, err = m.List(context.Background(), "Ingress", ListOptions{})
	require.ErrorIs(t, err, ErrUnknownKind)
	assert.Contains(t, err.Error(), `"Ingress"`)
}

// TestList_CorruptObjectDoesNotHideTheOthers: one unreadable file costs
// that object only, and the error names it.
func TestList_CorruptObjectDoesNotHideTheOthers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	st, err := file.Open(dir, file.WithoutSync())
	require.NoError(t, err)
	defer st.Close()
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	for _, name := range []string{"one", "two", "three"} {
		require.NoError(t, m.Apply(ctx, testrig.Certificate("default", name, "ca", name+".test")))
	}
	bad := filepath.Join(dir, "objects", "Certificate", "default", "two.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"kind":`), 0o600))

	got, err := m.List(ctx, meta.KindCertificate, ListOptions{})
	require.ErrorIs(t, err, store.ErrCorrupt)
	var ce *store.CorruptError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "two"}, ce.Ref)
	assert.Equal(t, []string{"default/one", "default/three"}, names(got))
}
