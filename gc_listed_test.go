package certflow

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// listedRefs answers for exactly the listed refs, whatever order the list
// came in: kinds sharing a namespace and name are told apart, and a Store
// not keeping its listing order loses no owner.
func TestListedRefs_HasExactlyTheListed(t *testing.T) {
	ref := func(kind meta.Kind, ns, name string) meta.Ref {
		return meta.Ref{Kind: kind, Namespace: ns, Name: name}
	}
	listed := []meta.Ref{
		ref(meta.KindClusterIssuer, "", "root"),
		ref(meta.KindCertificate, "a", "web"), ref(meta.KindSecret, "a", "web"),
		ref(meta.KindCertificateRequest, "a", "web-1"), ref(meta.KindCertificate, "b", "api"),
		ref(meta.KindEvent, "b", "api.1"), ref(meta.KindSecret, "b", "z"),
	}
	unlisted := []meta.Ref{
		ref(meta.KindIssuer, "", "root"), ref(meta.KindCertificate, "a", "web-1"),
		ref(meta.KindSecret, "b", "api"), ref(meta.KindCertificate, "c", "web"),
		ref(meta.KindCertificate, "", "web"), ref(meta.KindSecret, "a", "w"), {},
	}
	for _, order := range []string{"listed", "reversed", "shuffled"} {
		refs := append([]meta.Ref(nil), listed...)
		switch order {
		case "reversed":
			for i, j := 0, len(refs)-1; i < j; i, j = i+1, j-1 {
				refs[i], refs[j] = refs[j], refs[i]
			}
		case "shuffled":
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(refs), func(i, j int) { refs[i], refs[j] = refs[j], refs[i] })
		}
		items := make([]store.Raw, len(refs))
		for i, r := range refs {
			items[i] = store.Raw{Ref: r}
		}
		l := newListedRefs(items)
		for _, r := range listed {
			assert.True(t, l.has(r), "%s: %v listed", order, r)
		}
		for _, r := range unlisted {
			assert.False(t, l.has(r), "%s: %v not listed", order, r)
		}
	}
	assert.False(t, newListedRefs(nil).has(listed[0]), "an empty list holds nothing")
}
