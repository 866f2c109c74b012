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
// allocates nothing but what the owner index answers. (An IP address
// allocates its reverse name.)
func TestMissGate_ReopeningAllocatesNothing(t *testing.T) {
	crt := testrig.ACMECertificate("ns", "c", "le", "a.example.test", "b.example.test")
	crt.Default()
	cert := meta.RefOf(crt)
	req := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: "c-1"}
	order := meta.Ref{Kind: meta.KindOrder, Namespace: "ns", Name: "c-1-123"}
	owners := map[meta.Ref][]meta.Ref{req: {cert}, order: {req}}
	ownersOf := func(r meta.Ref) []meta.Ref { return owners[r] }
	g := newMissGate(clock.NewFake(testrig.Epoch), 0)
	g.observe(store.WatchEvent{Type: store.Added, Ref: cert, Meta: crt.ObjectMeta}, ownersOf)
	chall := store.WatchEvent{Type: store.Modified, Ref: meta.Ref{Kind: meta.KindChallenge, Namespace: "ns", Name: "c-1-123-0"},
		Meta: meta.ObjectMeta{Namespace: "ns", Name: "c-1-123-0", OwnerRefs: []meta.Ref{order}}}
	allocs := testing.AllocsPerRun(100, func() { g.observe(chall, ownersOf) })
	assert.Zero(t, allocs)
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
