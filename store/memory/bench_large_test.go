package memory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/certflow/certflow/meta"
)

// BenchmarkCallLarge is a Get of an Event, and the Create and Delete of
// another, in a store holding 100,000 Events (a Manager's at scale, or
// the e2e run's): finding a name in the kind's table costs cache misses
// there that BenchmarkCall's small store does not show.
func BenchmarkCallLarge(b *testing.B) {
	ctx := context.Background()
	s := watched(b)
	rng := rand.New(rand.NewPCG(1, 2))
	const held = 100_000
	refs := make([]meta.Ref, held)
	for i := range refs {
		e := issuanceEvent(rng, fmt.Sprintf("c%d", i))
		if err := s.Create(ctx, e); err != nil {
			b.Fatal(err)
		}
		refs[i] = meta.RefOf(e)
	}
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		var cpu cpuClock
		cpu.start()
		i := 0
		for b.Loop() {
			if err := s.Get(ctx, refs[(i*7919)%held], &meta.Event{}); err != nil {
				b.Fatal(err)
			}
			i++
		}
		cpu.stop()
		cpu.report(b)
	})
	b.Run("create-delete", func(b *testing.B) {
		objs := make([]meta.Object, 256)
		for i := range objs {
			objs[i] = issuanceEvent(rng, fmt.Sprintf("new%d", i))
		}
		b.ReportAllocs()
		var cpu cpuClock
		cpu.start()
		i := 0
		for b.Loop() {
			o := objs[i%len(objs)]
			if err := s.Create(ctx, o); err != nil {
				b.Fatal(err)
			}
			if err := s.Delete(ctx, meta.RefOf(o), ""); err != nil {
				b.Fatal(err)
			}
			m := o.GetMeta()
			m.UID, m.ResourceVersion, m.CreationTime, m.Generation = "", "", nil, 0
			i++
		}
		cpu.stop()
		cpu.report(b)
	})
}
