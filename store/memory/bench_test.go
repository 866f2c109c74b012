package memory_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
	"github.com/certflow/certflow/store/storetest"
)

// The benchmarks store what one CA issuance leaves behind (shapes and sizes
// taken from a real one: a Ready Certificate, its CertificateRequest with CSR
// and chain, its TLS Secret), so the costs are those of the Manager's reads.

// pem stands in for PEM text of n bytes.
func pem(n int) []byte { return bytes.Repeat([]byte("MIIB"), n/4) }

func issuedCertificate(name string) *certificate.Certificate {
	t := time.Date(2026, 12, 1, 7, 3, 50, 233207482, time.UTC)
	notBefore, notAfter, renewal := t.Truncate(time.Second), t.Add(24*time.Hour).Truncate(time.Second), t.Add(15*time.Hour)
	rev := 1
	return &certificate.Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: "bench", Name: name, Labels: map[string]string{"certflow.io/secret-name": name + "-tls"}},
		Spec: certificate.Spec{SecretName: name + "-tls", IssuerRef: meta.IssuerRef{Name: "ca", Kind: meta.KindIssuer},
			DNSNames: []string{name + ".scale.test"}, Duration: &meta.Duration{Duration: 24 * time.Hour},
			PrivateKey: &certificate.PrivateKey{Algorithm: certificate.ECDSA, Size: 256}},
		Status: certificate.Status{
			Conditions: meta.Conditions{{Type: meta.ConditionReady, Status: meta.ConditionTrue, Reason: "Ready",
				Message: "Certificate is up to date and has not expired", LastTransitionTime: t, ObservedGeneration: 1}},
			NotBefore: &notBefore, NotAfter: &notAfter, RenewalTime: &renewal, Revision: &rev,
		},
	}
}

func issuedRequest(name string) *request.CertificateRequest {
	t := time.Date(2026, 12, 1, 7, 3, 50, 231703108, time.UTC)
	owner := meta.Ref{Kind: meta.KindCertificate, Namespace: "bench", Name: name}
	return &request.CertificateRequest{
		ObjectMeta: meta.ObjectMeta{Namespace: "bench", Name: name + "-1", OwnerRefs: []meta.Ref{owner},
			Annotations: map[string]string{"cert-manager.io/certificate-name": name, "cert-manager.io/certificate-revision": "1",
				"cert-manager.io/private-key-secret-name": name + "-next-private-key", "certflow.io/spec-hash": "v2-de87e3ba4998e508"}},
		Spec: request.Spec{Request: pem(404), IssuerRef: meta.IssuerRef{Name: "ca", Kind: meta.KindIssuer},
			Duration: &meta.Duration{Duration: 24 * time.Hour}},
		Status: request.Status{
			Conditions: meta.Conditions{
				{Type: "Approved", Status: meta.ConditionTrue, Reason: "Approved", Message: "Certificate request has been approved by certflow", LastTransitionTime: t},
				{Type: meta.ConditionReady, Status: meta.ConditionTrue, Reason: "Issued", Message: "Certificate fetched from issuer successfully", LastTransitionTime: t},
			},
			Certificate: pem(1080), CA: pem(528),
		},
	}
}

func issuedSecret(name string) *secret.Secret {
	owner := meta.Ref{Kind: meta.KindCertificate, Namespace: "bench", Name: name}
	return &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: "bench", Name: name + "-tls", OwnerRefs: []meta.Ref{owner},
			Annotations: map[string]string{
				"cert-manager.io/alt-names": name + ".scale.test", "cert-manager.io/certificate-name": name,
				"cert-manager.io/common-name": "", "cert-manager.io/email-sans": "", "cert-manager.io/ip-sans": "",
				"cert-manager.io/issuer-group": "cert-manager.io", "cert-manager.io/issuer-kind": "Issuer",
				"cert-manager.io/issuer-name": "ca", "cert-manager.io/uri-sans": "", "certflow.io/spec-hash": "v2-de87e3ba4998e508"}},
		Type: secret.TypeTLS,
		Data: map[string][]byte{secret.TLSCertKey: pem(1080), secret.CACertKey: pem(528), secret.TLSKeyKey: pem(228)},
	}
}

// kinds are the objects benchmarked, each with a constructor for a fresh
// object of its type to read into.
var kinds = []struct {
	name  string
	obj   func(name string) meta.Object
	fresh func() meta.Object
}{
	{"Certificate", func(n string) meta.Object { return issuedCertificate(n) }, func() meta.Object { return &certificate.Certificate{} }},
	{"CertificateRequest", func(n string) meta.Object { return issuedRequest(n) }, func() meta.Object { return &request.CertificateRequest{} }},
	{"Secret", func(n string) meta.Object { return issuedSecret(n) }, func() meta.Object { return &secret.Secret{} }},
}

// BenchmarkGet reads one object: from the store ("store"), and, as the
// baseline in the same run, by decoding its JSON as a store keeping only
// the encoding does on every read ("json").
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	for _, k := range kinds {
		s := memory.New()
		obj := k.obj("c0")
		if err := s.Create(ctx, obj); err != nil {
			b.Fatal(err)
		}
		ref := meta.RefOf(obj)
		data, err := json.Marshal(obj)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(k.name+"/store", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Get(ctx, ref, k.fresh()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(k.name+"/json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := json.Unmarshal(data, k.fresh()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// watched returns a store with one watcher draining it, as a Manager has.
func watched(b *testing.B) *memory.Store {
	s := memory.New()
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := s.Watch(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range ch { // ends when cancel closes the watch
		}
	}()
	b.Cleanup(func() { cancel(); <-done })
	return s
}

// BenchmarkUpdate writes a new version of one object ("update"), and writes
// it then reads it once ("update+get"): every version the Manager writes is
// read back at least once, by the reconcile its own watch event queues.
func BenchmarkUpdate(b *testing.B) {
	ctx := context.Background()
	for _, k := range kinds {
		b.Run(k.name+"/update", func(b *testing.B) {
			s := watched(b)
			obj := k.obj("c0")
			if err := s.Create(ctx, obj); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Update(ctx, obj); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(k.name+"/update+get", func(b *testing.B) {
			s := watched(b)
			obj := k.obj("c0")
			if err := s.Create(ctx, obj); err != nil {
				b.Fatal(err)
			}
			ref := meta.RefOf(obj)
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Update(ctx, obj); err != nil {
					b.Fatal(err)
				}
				if err := s.Get(ctx, ref, k.fresh()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkList lists and decodes 1,000 Certificates of 10,000 objects, as
// store.ListOf does.
func BenchmarkList(b *testing.B) {
	ctx := context.Background()
	s := memory.New()
	for i := range 1000 {
		for _, k := range kinds {
			if err := s.Create(ctx, k.obj(fmt.Sprintf("c%d", i))); err != nil {
				b.Fatal(err)
			}
		}
	}
	for i := range 7000 {
		if err := s.Create(ctx, storetest.NewWidget("bench", fmt.Sprintf("w%d", i), nil)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		certs, err := store.ListOf[certificate.Certificate](ctx, s, store.ListOptions{Kind: meta.KindCertificate})
		if err != nil || len(certs) != 1000 {
			b.Fatal(len(certs), err)
		}
	}
}

// BenchmarkHeapPerIssuance reports the heap one issuance's objects (a
// Certificate, its request and its Secret) hold in the store once each was
// read ("store"), and, as baselines in the same run, the heap of their JSON
// encodings alone ("json") and of the encodings beside their decoded
// objects ("json+decoded", what a store caching decoded objects next to
// its JSON holds).
func BenchmarkHeapPerIssuance(b *testing.B) {
	const n = 5000
	ctx := context.Background()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("c%d", i)
	}
	measure := func(b *testing.B, fill func() any) {
		b.ReportAllocs()
		var perIssuance, scanned float64
		for b.Loop() {
			before, beforeScan := heapAllocScan()
			kept := fill()
			after, afterScan := heapAllocScan()
			perIssuance = float64(after-before) / n
			scanned = float64(afterScan-beforeScan) / n
			runtime.KeepAlive(kept)
		}
		b.ReportMetric(perIssuance, "B/issuance")
		b.ReportMetric(scanned, "scan-B/issuance")
	}
	b.Run("store", func(b *testing.B) {
		measure(b, func() any {
			s := memory.New(memory.WithHistory(1))
			for _, name := range names {
				for _, k := range kinds {
					obj := k.obj(name)
					if err := s.Create(ctx, obj); err != nil {
						b.Fatal(err)
					}
					if err := s.Get(ctx, meta.RefOf(obj), k.fresh()); err != nil {
						b.Fatal(err)
					}
				}
			}
			return s
		})
	})
	b.Run("json", func(b *testing.B) {
		measure(b, func() any {
			var kept [][]byte
			for _, name := range names {
				for _, k := range kinds {
					data, _ := json.Marshal(k.obj(name))
					kept = append(kept, data)
				}
			}
			return kept
		})
	})
	b.Run("json+decoded", func(b *testing.B) {
		measure(b, func() any {
			var kept []any
			for _, name := range names {
				for _, k := range kinds {
					data, _ := json.Marshal(k.obj(name))
					obj := k.fresh()
					_ = json.Unmarshal(data, obj)
					kept = append(kept, data, obj)
				}
			}
			return kept
		})
	})
}

func heapAlloc() uint64 {
	live, _ := heapAllocScan()
	return live
}

// heapAllocScan returns the live heap after a collection and the part of
// it the collector scans (/gc/scan/heap:bytes: objects holding pointers,
// up to their last pointer), which sets the mark work of every cycle.
func heapAllocScan() (live, scan uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}}
	metrics.Read(s)
	return ms.HeapAlloc, s[0].Value.Uint64()
}
