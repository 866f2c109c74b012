package memory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
)

// The call benchmarks measure the CPU of one store call on the objects an
// ACME issuance writes most (store calls per certificate at 200x8: ~12
// Gets and 2 Updates of its Certificate, ~10 and 4 of its Order, 4 Gets
// and 2 Creates of Secrets, 12 Event Creates), with PEM texts of random
// DER as real keys and certificates are.

// validOrder is an ACME Order as it stands once valid: its CSR, one
// authorization with its three challenges, the chain downloaded.
func validOrder(rng *rand.Rand, name string) *order.Order {
	t := time.Date(2026, 12, 1, 7, 3, 50, 231703108, time.UTC)
	owner := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "bench", Name: name + "-1"}
	base := "https://127.0.0.1:14000/"
	chal := func(typ, id string) order.ACMEChallenge {
		return order.ACMEChallenge{URL: base + "chalZ/" + id, Token: "Gd9Qw2xJ5m1uK8vN0pR7sT3yZ6bC4eF", Type: typ}
	}
	return &order.Order{
		ObjectMeta: meta.ObjectMeta{Namespace: "bench", Name: name + "-1-3921907218", OwnerRefs: []meta.Ref{owner},
			Annotations: map[string]string{"cert-manager.io/certificate-name": name, "certflow.io/spec-hash": "v2-de87e3ba4998e508"}},
		Spec: order.Spec{Request: pemOf(rng, "CERTIFICATE REQUEST", 330), IssuerRef: meta.IssuerRef{Name: "pebble", Kind: meta.KindIssuer},
			DNSNames: []string{name + ".scale.test"}, Duration: &meta.Duration{Duration: 24 * time.Hour}},
		Status: order.Status{
			URL: base + "my-order/Xl2nWq0bYv", FinalizeURL: base + "finalize-order/Xl2nWq0bYv",
			Authorizations: []order.Authorization{{URL: base + "authZ/kP4mS9dQ1", Identifier: name + ".scale.test", InitialState: order.StatePending,
				Challenges: []order.ACMEChallenge{chal("http-01", "a1"), chal("dns-01", "a2"), chal("tls-alpn-01", "a3")}}},
			Certificate: append(pemOf(rng, "CERTIFICATE", 590), pemOf(rng, "CERTIFICATE", 812)...),
			State:       order.StateValid, CertificateURL: base + "certZ/5c0a1d", NotBefore: &t,
		},
	}
}

// issuanceEvent is one of the Events an issuance records.
func issuanceEvent(rng *rand.Rand, name string) *meta.Event {
	crt := meta.Ref{Kind: meta.KindCertificate, Namespace: "bench", Name: name}
	return &meta.Event{
		TypeMeta:   meta.TypeMeta{APIVersion: meta.KindEvent.APIVersion(), Kind: meta.KindEvent},
		ObjectMeta: meta.ObjectMeta{Namespace: "bench", Name: fmt.Sprintf("%s.%016x", name, rng.Uint64()), OwnerRefs: []meta.Ref{crt}},
		Object:     crt, Type: meta.EventNormal, Reason: "Requested", Message: "Created new CertificateRequest resource \"" + name + "-1\"",
		Time: time.Date(2026, 12, 1, 7, 3, 50, 231703108, time.UTC), ReportingInstance: "scale-7f3c",
	}
}

// presentedChallenge is an HTTP-01 Challenge as it stands once accepted.
func presentedChallenge(_ *rand.Rand, name string) *challenge.Challenge {
	t := time.Date(2026, 12, 1, 7, 3, 50, 231703108, time.UTC)
	base := "https://127.0.0.1:14000/"
	return &challenge.Challenge{
		ObjectMeta: meta.ObjectMeta{Namespace: "bench", Name: name + "-1-3921907218-2981534907",
			OwnerRefs: []meta.Ref{{Kind: meta.KindOrder, Namespace: "bench", Name: name + "-1-3921907218"}}},
		Spec: challenge.Spec{URL: base + "chalZ/a1", AuthorizationURL: base + "authZ/kP4mS9dQ1", DNSName: name + ".scale.test",
			Type: solver.HTTP01, Token: "Gd9Qw2xJ5m1uK8vN0pR7sT3yZ6bC4eF", Key: "Gd9Qw2xJ5m1uK8vN0pR7sT3yZ6bC4eF.n3Xq8Lk2Wb9Zp4Rt7Vy1Mc6Hd0Js5Fg",
			Solver: solver.Config{HTTP01: &solver.HTTP01Config{}}, IssuerRef: meta.IssuerRef{Name: "pebble", Kind: meta.KindIssuer}},
		Status: challenge.Status{Processing: true, Presented: true, PresentedAt: &t, SelfCheckPassed: true,
			Accepting: true, Accepted: true, AcceptedAt: &t, State: challenge.StatePending},
	}
}

// callKinds are the objects the call benchmarks store.
var callKinds = []struct {
	name  string
	obj   func(rng *rand.Rand, name string) meta.Object
	fresh func() meta.Object
}{
	{"Certificate", func(_ *rand.Rand, n string) meta.Object { return issuedCertificate(n) }, kinds[0].fresh},
	{"Order", func(rng *rand.Rand, n string) meta.Object { return validOrder(rng, n) }, func() meta.Object { return &order.Order{} }},
	{"Secret", func(rng *rand.Rand, n string) meta.Object {
		ca := pemOf(rng, "CERTIFICATE", 812)
		s := issuedSecret(n)
		s.Data = map[string][]byte{secret.TLSCertKey: append(pemOf(rng, "CERTIFICATE", 590), ca...),
			secret.CACertKey: ca, secret.TLSKeyKey: pemOf(rng, "EC PRIVATE KEY", 121)}
		return s
	}, kinds[2].fresh},
	{"Event", func(rng *rand.Rand, n string) meta.Object { return issuanceEvent(rng, n) }, func() meta.Object { return &meta.Event{} }},
	{"Challenge", func(rng *rand.Rand, n string) meta.Object { return presentedChallenge(rng, n) },
		func() meta.Object { return &challenge.Challenge{} }},
}

// cpuClock measures the process's CPU time (user and system, every
// thread: the watcher draining the store and the collector included)
// over the timed parts of a benchmark, reported as cpu-ns/op beside ns/op:
// on a machine shared with other work, wall time per op measures the
// machine's load as much as the call.
type cpuClock struct {
	total, since time.Duration
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (c *cpuClock) start() { c.since = cpuNow() }
func (c *cpuClock) stop()  { c.total += cpuNow() - c.since }

func (c *cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(c.total.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkCall is one Create, Get or Update of each kind, in a store
// with a watcher draining it as a Manager's. Create stores objects made
// beforehand, in batches the untimed part deletes again; Get reads into a
// fresh object, as reconcilers do; Update writes the same object again
// (its status unchanged: labels and owners as they were, the common case).
func BenchmarkCall(b *testing.B) {
	ctx := context.Background()
	for _, k := range callKinds {
		b.Run(k.name+"/create", func(b *testing.B) {
			const batch = 256
			s := watched(b)
			rng := rand.New(rand.NewPCG(1, 2))
			objs := make([]meta.Object, batch)
			for i := range objs {
				objs[i] = k.obj(rng, fmt.Sprintf("c%d", i))
			}
			b.ReportAllocs()
			b.ResetTimer()
			var cpu cpuClock
			cpu.start()
			for i := 0; i < b.N; i++ {
				obj := objs[i%batch]
				if err := s.Create(ctx, obj); err != nil {
					b.Fatal(err)
				}
				if i%batch == batch-1 || i == b.N-1 {
					b.StopTimer()
					cpu.stop()
					for _, o := range objs[:i%batch+1] {
						if err := s.Delete(ctx, meta.RefOf(o), ""); err != nil {
							b.Fatal(err)
						}
						m := o.GetMeta()
						m.UID, m.ResourceVersion, m.CreationTime, m.Generation = "", "", nil, 0
					}
					cpu.start()
					b.StartTimer()
				}
			}
			cpu.report(b)
		})
		b.Run(k.name+"/get", func(b *testing.B) {
			s := watched(b)
			obj := k.obj(rand.New(rand.NewPCG(1, 2)), "c0")
			if err := s.Create(ctx, obj); err != nil {
				b.Fatal(err)
			}
			ref := meta.RefOf(obj)
			b.ReportAllocs()
			var cpu cpuClock
			cpu.start()
			for b.Loop() {
				if err := s.Get(ctx, ref, k.fresh()); err != nil {
					b.Fatal(err)
				}
			}
			cpu.stop()
			cpu.report(b)
		})
		b.Run(k.name+"/update", func(b *testing.B) {
			s := watched(b)
			obj := k.obj(rand.New(rand.NewPCG(1, 2)), "c0")
			if err := s.Create(ctx, obj); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			var cpu cpuClock
			cpu.start()
			for b.Loop() {
				if err := s.Update(ctx, obj); err != nil {
					b.Fatal(err)
				}
			}
			cpu.stop()
			cpu.report(b)
		})
	}
}
