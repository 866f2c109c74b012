package certflow

import (
	"fmt"
	"runtime"
	"slices"
	"testing"

	"github.com/certflow/certflow/meta"
)

// BenchmarkOwnerIndex_BytesPerCertificate reports what the owner index
// keeps per issued certificate (its request and ~4.4 Events owned, as
// cmd/scale leaves them), beside the layout it replaced measured in the
// same run: Ref-keyed maps both ways. The references' strings are made
// beforehand and not counted: they are the Store's.
//
//	go test -run '^$' -bench OwnerIndex_Bytes -benchtime 3x .
func BenchmarkOwnerIndex_BytesPerCertificate(b *testing.B) {
	const certs = 20000
	objs := issuedOwnership(certs)
	for _, layout := range []struct {
		name string
		fill func() any
	}{
		{"interned", func() any {
			x := &ownerIndex{}
			for i, o := range objs {
				x.set(o.ref, o.owners, uint64(i+1))
			}
			return x
		}},
		{"maps", func() any {
			x := &mapsOwnerIndex{owned: map[meta.Ref]mapsOwnedBy{}, children: map[meta.Ref][]meta.Ref{}}
			for i, o := range objs {
				x.set(o.ref, o.owners, uint64(i+1))
			}
			return x
		}},
	} {
		b.Run(layout.name, func(b *testing.B) {
			var perCert float64
			for b.Loop() {
				before := liveHeap()
				x := layout.fill()
				perCert = float64(liveHeap()-before) / certs
				runtime.KeepAlive(x)
			}
			b.ReportMetric(perCert, "B/cert")
		})
	}
}

// mapsOwnerIndex is the owner index's former layout, the benchmark's
// baseline: each owned object's owners and creation in one map, and each
// owner's children in another.
type mapsOwnerIndex struct {
	owned    map[meta.Ref]mapsOwnedBy
	children map[meta.Ref][]meta.Ref
}

type mapsOwnedBy struct {
	owners  []meta.Ref
	created uint64
}

func (x *mapsOwnerIndex) set(ref meta.Ref, owners []meta.Ref, created uint64) {
	x.owned[ref] = mapsOwnedBy{owners: slices.Clone(owners), created: created}
	for _, o := range owners {
		x.children[o] = append(x.children[o], ref)
	}
}

// ownedObject is an object and its owners, as an owner index records it.
type ownedObject struct {
	ref    meta.Ref
	owners []meta.Ref
}

// issuedOwnership returns the owned objects of certs issued certificates
// as cmd/scale leaves them: each certificate's request, and ~4.4 Events
// owned by the certificate or the request.
func issuedOwnership(certs int) []ownedObject {
	var objs []ownedObject
	for i := range certs {
		cert := issuedCertificateRef(i)
		req := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "default", Name: cert.Name + "-1"}
		objs = append(objs, ownedObject{req, []meta.Ref{cert}})
		events := []meta.Ref{cert, cert, cert, req}
		if i%5 < 2 {
			events = append(events, req)
		}
		for j, o := range events {
			ev := meta.Ref{Kind: meta.KindEvent, Namespace: "default", Name: fmt.Sprintf("%s.%016x", o.Name, j)}
			objs = append(objs, ownedObject{ev, []meta.Ref{o}})
		}
	}
	return objs
}

// issuedCertificateRef names the i-th certificate of issuedOwnership.
func issuedCertificateRef(i int) meta.Ref {
	return meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: fmt.Sprint("cert-", i)}
}
