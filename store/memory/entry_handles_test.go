package memory

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
)

// TestGetIntoAnotherTypeOfASlabWithSharedStrings reads, into another type,
// an object whose slab shares a string (a long label key): its entry's
// pointer is then the slab's handles, never a decoded object, and must not
// be converted to one. Under -race (checkptr) the conversion of a
// one-handle array to a decoded object fails the run.
func TestGetIntoAnotherTypeOfASlabWithSharedStrings(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := New()
	c := &certificate.Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "c", Labels: map[string]string{"example.com/team": "a"}},
		Spec:       certificate.Spec{SecretName: "c-tls"},
	}
	require.NoError(t, s.Create(ctx, c))
	s.mu.RLock()
	e := s.objects[meta.KindCertificate].get(meta.RefOf(c))
	s.mu.RUnlock()
	require.NotNil(t, e)
	require.NotNil(t, e.codec(), "a Certificate is kept in a slab")
	require.NotNil(t, e.p, "the slab shares its label key")

	got := &partialOrder{}
	require.NoError(t, s.Get(ctx, meta.RefOf(c), got))
	assert.Equal(t, "c-tls", got.Spec.SecretName)
	assert.Equal(t, "a", got.ObjectMeta.Labels["example.com/team"])
}
