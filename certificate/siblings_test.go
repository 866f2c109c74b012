package certificate

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// certListsRefused fails every List of Certificates: a Store whose label
// lists read every Certificate of the namespace, never to be asked.
type certListsRefused struct {
	store.Store
	t *testing.T
}

func (s certListsRefused) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	if opts.Kind == meta.KindCertificate {
		s.t.Errorf("Certificates listed (%+v) although Options.Siblings names them", opts)
	}
	return s.Store.List(ctx, opts)
}

// With Options.Siblings the reconciler reads the Certificates it names
// instead of listing, and still finds the one naming its Secret.
func TestReconcile_SiblingsNamedNotListed(t *testing.T) {
	h := depsForTest(t)
	var asked []string
	index := func(ns, label string) []string {
		asked = append(asked, ns+"/"+label)
		all, err := store.ListOf[Certificate](h.ctx, h.st, store.ListOptions{Kind: meta.KindCertificate, Namespace: ns,
			Labels: map[string]string{LabelSecretName: label}})
		require.NoError(t, err)
		var names []string
		for _, c := range all {
			names = append(names, c.ObjectMeta.Name)
		}
		// A name the index still holds for a Certificate deleted since.
		return append(names, "gone")
	}
	deps := h.deps
	deps.Store = certListsRefused{Store: h.st, t: t}
	h.r = NewReconciler(deps, Options{Siblings: index})

	a := harnessCert("a", "shared-tls", "a.example.test")
	b := harnessCert("b", "shared-tls", "b.example.test")
	a.Default()
	b.Default()
	h.create(a)
	h.clock.Advance(time.Second)
	h.create(b)
	h.settle(20, meta.RefOf(b), meta.RefOf(a))

	assert.Contains(t, asked, "ns/shared-tls")
	assert.Equal(t, 1, h.issued, "one issuance, no fight")
	assert.True(t, h.get(meta.RefOf(a)).Status.Conditions.IsTrue(meta.ConditionReady))
	ready := h.get(meta.RefOf(b)).Status.Conditions.Get(meta.ConditionReady)
	require.NotNil(t, ready)
	assert.Equal(t, ReasonDuplicateSecretName, ready.Reason)
	assert.Contains(t, ready.Message, `"a"`)
}
