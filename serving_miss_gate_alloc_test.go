package certflow

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// The Manager's watch tells the gate of every change of an issuance's
// objects (some fifteen per certificate): opening its DNS names again
// allocates only the Certificate's reference the owner index answers
// with (an IP address also allocates its reverse name).
func TestMissGate_ReopeningAllocatesNothing(t *testing.T) {
	crt := testrig.ACMECertificate("ns", "c", "le", "a.example.test", "b.example.test")
	crt.Default()
	cert := meta.RefOf(crt)
	req := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: "c-1"}
	order := meta.Ref{Kind: meta.KindOrder, Namespace: "ns", Name: "c-1-123"}
	owners := map[meta.Ref][]meta.Ref{req: {cert}, order: {req}}
	ownersOf := ownerIndexOf(owners)
	g := newMissGate(clock.NewFake(testrig.Epoch), 0)
	g.observe(store.WatchEvent{Type: store.Added, Ref: cert, Meta: crt.ObjectMeta}, ownersOf)
	chall := store.WatchEvent{Type: store.Modified, Ref: meta.Ref{Kind: meta.KindChallenge, Namespace: "ns", Name: "c-1-123-0"},
		Meta: meta.ObjectMeta{Namespace: "ns", Name: "c-1-123-0", OwnerRefs: []meta.Ref{order}}}
	allocs := testing.AllocsPerRun(100, func() { g.observe(chall, ownersOf) })
	assert.LessOrEqual(t, allocs, 1.0)
	for _, name := range []string{"a.example.test", "b.example.test"} {
		assert.True(t, g.mayBeReal(name), name)
	}
}

func TestMayBeIP(t *testing.T) {
	for name, want := range map[string]bool{
		"192.0.2.1": true, "2001:db8::1": true, "::ffff:192.0.2.2": true, "1.2.3": true,
		"a.example.test": false, "c13-178.bench.test": false, "": false, "1.2.3.example": false,
	} {
		assert.Equal(t, want, mayBeIP([]byte(name)), name)
	}
}

// ownerIndexOf is an owner index holding owners.
func ownerIndexOf(owners map[meta.Ref][]meta.Ref) *ownerIndex {
	x := &ownerIndex{}
	for ref, o := range owners {
		x.set(ref, o, 0)
	}
	return x
}

// appendCertificates finds what following the index's owners step by step
// (of) finds, in the same order, up to depth steps.
func TestOwnerIndex_AppendCertificates(t *testing.T) {
	ref := func(kind meta.Kind, name string) meta.Ref { return meta.Ref{Kind: kind, Namespace: "ns", Name: name} }
	c1, c2 := ref(meta.KindCertificate, "c1"), ref(meta.KindCertificate, "c2")
	r1, r2 := ref(meta.KindCertificateRequest, "r1"), ref(meta.KindCertificateRequest, "r2")
	o1 := ref(meta.KindOrder, "o1")
	ch := ref(meta.KindChallenge, "ch")
	x := ownerIndexOf(map[meta.Ref][]meta.Ref{r1: {c1}, r2: {c2, c1}, o1: {r1, r2}, ch: {o1}})
	var walk func(owners []meta.Ref, depth int) []meta.Ref // as certificatesOf did, over of
	walk = func(owners []meta.Ref, depth int) []meta.Ref {
		var certs []meta.Ref
		for _, o := range owners {
			switch {
			case o.Kind == meta.KindCertificate:
				certs = append(certs, o)
			case depth > 1:
				certs = append(certs, walk(x.of(o), depth-1)...)
			}
		}
		return certs
	}
	for _, tc := range []struct {
		owners []meta.Ref
		depth  int
		want   []meta.Ref
	}{
		{[]meta.Ref{o1}, 3, []meta.Ref{c1, c2, c1}},
		{[]meta.Ref{ch}, 3, nil},
		{[]meta.Ref{ch}, 4, []meta.Ref{c1, c2, c1}},
		{[]meta.Ref{r1, c2}, 2, []meta.Ref{c1, c2}},
		{[]meta.Ref{o1}, 2, nil},
		{[]meta.Ref{ref(meta.KindOrder, "unknown")}, 3, nil},
	} {
		got := x.appendCertificates(nil, tc.owners, tc.depth)
		assert.Equal(t, tc.want, got, "%v depth %d", tc.owners, tc.depth)
		assert.Equal(t, walk(tc.owners, tc.depth), got, "as of finds them")
	}
}
