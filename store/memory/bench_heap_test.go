package memory_test

import (
	"context"
	encpem "encoding/pem"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store/memory"
)

// pemOf is a PEM block of n random bytes of DER, as real keys and
// certificates are (no two alike).
func pemOf(rng *rand.Rand, typ string, n int) []byte {
	der := make([]byte, n)
	for i := range der {
		der[i] = byte(rng.Uint32())
	}
	return encpem.EncodeToMemory(&encpem.Block{Type: typ, Bytes: der})
}

// issuedObjects is what one CA issuance leaves in the store, with PEM
// blocks as a CA issuer's are: a leaf of its own (DER sizes of cmd/scale's
// ECDSA certificates), one CA certificate for all, a key and a CSR of its
// own; and the Events cmd/scale's issuances leave (~4.4 a certificate).
func issuedObjects(rng *rand.Rand, name string, ca []byte, at time.Time) []meta.Object {
	leaf := pemOf(rng, "CERTIFICATE", 590)
	chain := append(leaf[:len(leaf):len(leaf)], ca...)
	key, csr := pemOf(rng, "EC PRIVATE KEY", 121), pemOf(rng, "CERTIFICATE REQUEST", 330)
	req, sec := issuedRequest(name), issuedSecret(name)
	req.Spec.Request, req.Status.Certificate, req.Status.CA = csr, chain, ca
	sec.Data = map[string][]byte{secret.TLSCertKey: chain, secret.CACertKey: ca, secret.TLSKeyKey: key}
	objs := []meta.Object{issuedCertificate(name), req, sec}
	crt := meta.Ref{Kind: meta.KindCertificate, Namespace: "bench", Name: name}
	reqRef := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "bench", Name: name + "-1"}
	for i, ev := range []struct {
		obj             meta.Ref
		reason, message string
	}{
		{crt, "Issuing", "Issuing certificate as Secret does not exist"},
		{crt, "Generated", "Stored new private key in temporary Secret resource \"" + name + "-next-private-key\""},
		{crt, "Requested", "Created new CertificateRequest resource \"" + name + "-1\""},
		{reqRef, "CertificateIssued", "Certificate fetched from issuer successfully"},
		{crt, "Issuing", "The certificate has been successfully issued"},
	} {
		objs = append(objs, &meta.Event{
			TypeMeta:   meta.TypeMeta{APIVersion: meta.KindEvent.APIVersion(), Kind: meta.KindEvent},
			ObjectMeta: meta.ObjectMeta{Namespace: "bench", Name: fmt.Sprintf("%s.%016x", ev.obj.Name, rng.Uint64()), OwnerRefs: []meta.Ref{ev.obj}},
			Object:     ev.obj, Type: meta.EventNormal, Reason: meta.Reason(ev.reason), Message: ev.message,
			Time: at.Add(time.Duration(i) * time.Millisecond), ReportingInstance: "scale-7f3c",
		})
	}
	return objs
}

// BenchmarkHeapPerCertificate reports the heap the store holds per
// certificate for the objects of issuedObjects, each written and read
// once, after a collection, and the part of it the collector scans
// (scan-B/certificate: what holds pointers, marked at every cycle).
func BenchmarkHeapPerCertificate(b *testing.B) {
	const n = 5000
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	ca := pemOf(rng, "CERTIFICATE", 410)
	at := time.Date(2026, 12, 1, 7, 3, 50, 0, time.UTC)
	b.ReportAllocs()
	var perCert, scanned float64
	for b.Loop() {
		before, beforeScan := heapAllocScan()
		s := memory.New(memory.WithHistory(1))
		for i := range n {
			for _, obj := range issuedObjects(rng, fmt.Sprintf("c%d", i), ca, at) {
				if err := s.Create(ctx, obj); err != nil {
					b.Fatal(err)
				}
			}
		}
		after, afterScan := heapAllocScan()
		perCert = float64(after-before) / n
		scanned = float64(afterScan-beforeScan) / n
		runtime.KeepAlive(s)
	}
	b.ReportMetric(perCert, "B/certificate")
	b.ReportMetric(scanned, "scan-B/certificate")
}
