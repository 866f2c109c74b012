package certflow

import (
	"context"
	"encoding/json"
	"sync/atomic"
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

// certListCounter counts the Lists of Certificates.
type certListCounter struct {
	store.Store
	lists atomic.Int64
}

func (s *certListCounter) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	if opts.Kind == meta.KindCertificate {
		s.lists.Add(1)
	}
	return s.Store.List(ctx, opts)
}

func TestSecretNameIndex(t *testing.T) {
	var x secretNameIndex
	ref := func(ns, name string) meta.Ref { return meta.Ref{Kind: meta.KindCertificate, Namespace: ns, Name: name} }
	label := func(v string) map[string]string { return map[string]string{certificate.LabelSecretName: v} }

	assert.Empty(t, x.named("a", "s"), "empty before anything is set")
	x.set(ref("a", "one"), label("s"))
	x.set(ref("a", "two"), label("s"))
	x.set(ref("b", "one"), label("s"))
	x.set(ref("a", "three"), nil)
	assert.ElementsMatch(t, []string{"one", "two"}, x.named("a", "s"), "by namespace")
	assert.Equal(t, []string{"one"}, x.named("b", "s"))

	x.set(ref("a", "one"), label("s"))
	assert.ElementsMatch(t, []string{"one", "two"}, x.named("a", "s"), "the same label again changes nothing")
	x.set(ref("a", "one"), label("t"))
	assert.Equal(t, []string{"two"}, x.named("a", "s"), "moved to its new Secret")
	assert.Equal(t, []string{"one"}, x.named("a", "t"))
	x.set(ref("a", "two"), nil)
	assert.Empty(t, x.named("a", "s"), "the label removed")
	x.forget(ref("a", "one"))
	assert.Empty(t, x.named("a", "t"), "deleted")
	x.forget(ref("a", "unknown"))

	names := x.named("b", "s")
	names[0] = "changed"
	assert.Equal(t, []string{"one"}, x.named("b", "s"), "callers get a copy")

	raw := func(name, secretName string) store.Raw {
		c := &certificate.Certificate{ObjectMeta: meta.ObjectMeta{Namespace: "c", Name: name}, Spec: certificate.Spec{SecretName: secretName}}
		c.Default()
		data, err := json.Marshal(c)
		require.NoError(t, err)
		return store.Raw{Ref: meta.RefOf(c), Data: data}
	}
	x.reset([]store.Raw{raw("p", "s"), raw("q", "s"), {Ref: ref("c", "corrupt"), Data: []byte("{")},
		{Ref: meta.Ref{Kind: meta.KindSecret, Namespace: "c", Name: "s"}, Data: []byte(`{"metadata":{"labels":{"certflow.io/secret-name":"s"}}}`)}})
	assert.ElementsMatch(t, []string{"p", "q"}, x.named("c", "s"), "rebuilt from the list; other kinds left out")
	assert.Empty(t, x.named("b", "s"), "what the list does not hold is gone")
}

// A Manager issuing Certificates never lists the Certificates of a
// namespace (a file or etcd Store reads every one of them to answer), yet
// two Certificates naming one Secret still find each other.
func TestManagerFindsSiblingsWithoutListing(t *testing.T) {
	ctx := testrig.Context(t)
	st := &certListCounter{Store: memory.New()}
	m, err := New(Config{Store: st, Clock: clock.Real{}})
	require.NoError(t, err)
	testrig.Run(t, ctx, 10*time.Second, m.Run)

	require.NoError(t, m.Apply(ctx, testrig.CASecret(t, "default", "ca-key", time.Now())))
	require.NoError(t, m.Apply(ctx, testrig.CAIssuer("default", "ca", "ca-key")))
	for _, n := range []string{"a", "b", "c"} {
		require.NoError(t, m.Apply(ctx, testrig.Certificate("default", n, "ca", n+".example.test")))
	}
	require.NoError(t, m.WaitReady(ctx, testrig.CertRef("default", "a")))
	require.NoError(t, m.WaitReady(ctx, testrig.CertRef("default", "b")))
	assert.Zero(t, st.lists.Load(), "Certificates listed while issuing")

	dup := testrig.Certificate("default", "dup", "ca", "dup.example.test")
	dup.Spec.SecretName = "a-tls"
	require.NoError(t, m.Apply(ctx, dup))
	got := testrig.WaitFor[certificate.Certificate](t, ctx, st, meta.RefOf(dup), "DuplicateSecretName",
		func(c *certificate.Certificate) bool {
			r := c.Status.Conditions.Get(meta.ConditionReady)
			return r != nil && r.Reason == certificate.ReasonDuplicateSecretName
		}, nil)
	assert.Contains(t, got.Status.Conditions.Get(meta.ConditionReady).Message, `"a"`)
	require.NoError(t, m.WaitReady(ctx, testrig.CertRef("default", "c")))
}

// Many Certificates naming one Secret (a chain in the index): each leaves
// it alone, first, middle or last, and the others stay in the order they
// came; another label in the namespace is its own.
func TestSecretNameIndex_ManyNamingOneSecret(t *testing.T) {
	var x secretNameIndex
	ref := func(name string) meta.Ref { return meta.Ref{Kind: meta.KindCertificate, Namespace: "a", Name: name} }
	label := func(v string) map[string]string { return map[string]string{certificate.LabelSecretName: v} }
	for _, n := range []string{"p", "q", "r", "s", "t"} {
		x.set(ref(n), label("web"))
	}
	x.set(ref("u"), label("api"))
	assert.Equal(t, []string{"p", "q", "r", "s", "t"}, x.named("a", "web"))
	x.forget(ref("r"))
	assert.Equal(t, []string{"p", "q", "s", "t"}, x.named("a", "web"), "the middle one gone")
	x.forget(ref("p"))
	assert.Equal(t, []string{"q", "s", "t"}, x.named("a", "web"), "the first one gone")
	x.set(ref("t"), label("api"))
	assert.Equal(t, []string{"q", "s"}, x.named("a", "web"), "the last one moved")
	assert.Equal(t, []string{"u", "t"}, x.named("a", "api"))
	x.set(ref("p"), label("web"))
	assert.Equal(t, []string{"q", "s", "p"}, x.named("a", "web"), "back, at the end")
	for _, n := range []string{"p", "q", "s", "t", "u"} {
		x.forget(ref(n))
	}
	assert.Empty(t, x.heads, "nothing left")
	assert.Zero(t, x.labelOf.len())
}

// Certificates whose namespace and label hash alike share a chain: each
// lookup returns only the names labelled as asked, in the namespace asked.
func TestSecretNameIndex_ChainSharedByAHashCollision(t *testing.T) {
	var x secretNameIndex
	label := func(v string) map[string]string { return map[string]string{certificate.LabelSecretName: v} }
	web, api, other := meta.Ref{Kind: meta.KindCertificate, Namespace: "a", Name: "p"},
		meta.Ref{Kind: meta.KindCertificate, Namespace: "a", Name: "q"},
		meta.Ref{Kind: meta.KindCertificate, Namespace: "b", Name: "r"}
	x.set(web, label("web"))
	x.set(api, label("api"))
	x.set(other, label("web"))
	// Thread q (a/api) and r (b/web) onto p's chain, as a collision would.
	pid, _ := x.labelOf.lookup(web)
	qid, _ := x.labelOf.lookup(api)
	rid, _ := x.labelOf.lookup(other)
	delete(x.heads, x.hash("a", "api"))
	delete(x.heads, x.hash("b", "web"))
	x.labelOf.at(pid).next, x.labelOf.at(qid).next = qid+1, rid+1
	assert.Equal(t, []string{"p"}, x.named("a", "web"))
	x.heads[x.hash("a", "api")] = pid + 1
	assert.Equal(t, []string{"q"}, x.named("a", "api"), "another label on the chain")
	x.heads[x.hash("b", "web")] = pid + 1
	assert.Equal(t, []string{"r"}, x.named("b", "web"), "the label in another namespace")
}
