package memory

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/meta"
)

// The store holds ~8 entries a certificate (800,000 at 100k): an entry
// stays within the 64-byte size class.
func TestEntry_FitsItsSizeClass(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(entry{}), uintptr(64))
}

// An entry gives back the reference it was made with, matches only it,
// and entries of one kind and namespace share one scope.
func TestEntry_HoldsItsReference(t *testing.T) {
	ref := meta.Ref{Kind: meta.KindCertificate, Namespace: "tenant-a", Name: "shop"}
	e := entryRef(ref)
	assert.Equal(t, ref, e.ref())
	assert.True(t, e.is(ref))
	for _, other := range []meta.Ref{
		{Kind: meta.KindSecret, Namespace: "tenant-a", Name: "shop"},
		{Kind: meta.KindCertificate, Namespace: "tenant-b", Name: "shop"},
		{Kind: meta.KindCertificate, Namespace: "tenant-a", Name: "shop2"},
	} {
		assert.False(t, e.is(other), "%v", other)
		assert.NotEqual(t, other, e.ref())
	}
	sibling := entryRef(meta.Ref{Kind: meta.KindCertificate, Namespace: strings.Clone("tenant-a"), Name: "cart"})
	assert.Equal(t, e.scope, sibling.scope, "one scope for a kind and namespace")
}
