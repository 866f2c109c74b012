package certflow

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// testEpoch is where fake clocks start.
var testEpoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type harness struct {
	t     *testing.T
	ctx   context.Context
	clock *clock.Fake
	store *memory.Store
	m     *Manager
	done  chan error
}

// startManager runs a Manager on a memory store and a fake clock until the
// test ends, and fails the test if Run does not return after cancellation.
func startManager(t *testing.T, mutate func(*Config)) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	clk := clock.NewFake(testEpoch)
	st := memory.New(memory.WithClock(clk))
	cfg := Config{Store: st, Clock: clk, Workers: 4}
	if mutate != nil {
		mutate(&cfg)
	}
	m, err := New(cfg)
	require.NoError(t, err)
	h := &harness{t: t, ctx: ctx, clock: clk, store: st, m: m, done: make(chan error, 1)}
	go func() { h.done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(10 * time.Second):
			t.Errorf("Manager.Run did not return after its context was cancelled")
		}
	})
	return h
}

// waitFor blocks until cond holds for the object named ref, re-checking on
// every Store change, or fails the test at the harness deadline.
func waitFor[T any, PT interface {
	*T
	meta.Object
}](h *harness, ref meta.Ref, what string, cond func(PT) bool) PT {
	h.t.Helper()
	res, err := h.store.List(h.ctx, store.ListOptions{Kind: "none"})
	require.NoError(h.t, err)
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	events, err := h.store.Watch(ctx, res.Revision)
	require.NoError(h.t, err)
	for {
		obj := PT(new(T))
		err := h.store.Get(h.ctx, ref, obj)
		if err == nil && cond(obj) {
			return obj
		}
		select {
		case <-h.ctx.Done():
			st, _ := h.m.Status(context.Background(), ref)
			h.t.Fatalf("timed out waiting for %s: %s\n%v", ref, what, st)
		case ev, ok := <-events:
			if !ok || ev.Err != nil {
				res, err := h.store.List(h.ctx, store.ListOptions{Kind: "none"})
				require.NoError(h.t, err)
				events, err = h.store.Watch(ctx, res.Revision)
				require.NoError(h.t, err)
			}
		}
	}
}

// waitUntil blocks until cond holds, re-checking on every Store change.
func (h *harness) waitUntil(what string, cond func() bool) {
	h.t.Helper()
	res, err := h.store.List(h.ctx, store.ListOptions{Kind: "none"})
	require.NoError(h.t, err)
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	events, err := h.store.Watch(ctx, res.Revision)
	require.NoError(h.t, err)
	for !cond() {
		select {
		case <-h.ctx.Done():
			h.t.Fatalf("timed out waiting until %s", what)
		case ev, ok := <-events:
			if !ok || ev.Err != nil {
				h.t.Fatalf("watch ended while waiting until %s", what)
			}
		}
	}
}

func certReady(c *certificate.Certificate) bool {
	return c.Status.Conditions.IsTrue(meta.ConditionReady) && c.Status.Revision != nil
}

func revisionAtLeast(n int) func(*certificate.Certificate) bool {
	return func(c *certificate.Certificate) bool {
		return certReady(c) && *c.Status.Revision >= n
	}
}

// newCASecret makes a self-signed ECDSA CA key pair Secret.
func newCASecret(t testing.TB, ns, name string, notBefore time.Time) *secret.Secret {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "certflow test CA"},
		NotBefore:             notBefore.Add(-time.Hour),
		NotAfter:              notBefore.Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyPEM, err := pki.EncodePrivateKey(key, true)
	require.NoError(t, err)
	crt := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: name},
		Type:       secret.TypeTLS,
		Data:       map[string][]byte{secret.TLSCertKey: crt, secret.TLSKeyKey: keyPEM, secret.CACertKey: crt},
	}
}

func caIssuer(ns, name, secretName string) *issuer.Issuer {
	return &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: name},
		Spec:       issuer.Spec{CA: &issuer.CAIssuer{SecretName: secretName}},
	}
}

func testCertificate(ns, name, issuerName string, dnsNames ...string) *certificate.Certificate {
	return &certificate.Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: name},
		Spec: certificate.Spec{
			SecretName: name + "-tls",
			IssuerRef:  meta.IssuerRef{Name: issuerName, Kind: meta.KindIssuer},
			DNSNames:   dnsNames,
			Duration:   &meta.Duration{Duration: 24 * time.Hour},
			PrivateKey: &certificate.PrivateKey{Algorithm: certificate.ECDSA, Size: 256},
		},
	}
}

// setupCA applies a CA Secret and Issuer and waits until the issuer is Ready.
func (h *harness) setupCA(ns, name string) {
	h.t.Helper()
	require.NoError(h.t, h.m.Apply(h.ctx, newCASecret(h.t, ns, name+"-ca", h.clock.Now())))
	require.NoError(h.t, h.m.Apply(h.ctx, caIssuer(ns, name, name+"-ca")))
	waitFor(h, meta.Ref{Kind: meta.KindIssuer, Namespace: ns, Name: name}, "issuer Ready",
		func(i *issuer.Issuer) bool { return i.Status.Conditions.IsTrue(meta.ConditionReady) })
}
