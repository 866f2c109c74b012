package issuer

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store/memory"
)

// t0 is the fake clock's start; certificates in tests are valid around it.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const clusterNS = "certflow-system"

type recorder struct {
	mu     sync.Mutex
	events []meta.Event
}

func (r *recorder) Event(obj meta.Ref, typ meta.EventType, reason meta.Reason, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, meta.Event{Object: obj, Type: typ, Reason: reason, Message: msg})
}

func (r *recorder) reasons() []meta.Reason {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []meta.Reason
	for _, e := range r.events {
		out = append(out, e.Reason)
	}
	return out
}

type env struct {
	deps   reconcile.Deps
	store  *memory.Store
	clock  *clock.Fake
	events *recorder
}

func newEnv(t testing.TB) *env {
	t.Helper()
	clk := clock.NewFake(t0)
	st := memory.New(memory.WithClock(clk))
	rec := &recorder{}
	return &env{
		deps:   reconcile.Deps{Store: st, Clock: clk, Events: rec, ClusterResourceNamespace: clusterNS},
		store:  st,
		clock:  clk,
		events: rec,
	}
}

func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (e *env) putSecret(t testing.TB, ns, name string, data map[string][]byte) *secret.Secret {
	t.Helper()
	s := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: name}, Type: secret.TypeTLS, Data: data}
	require.NoError(t, e.store.Create(testCtx(t), s))
	return s
}

func (e *env) putIssuer(t testing.TB, obj Object) Object {
	t.Helper()
	require.NoError(t, e.store.Create(testCtx(t), obj))
	return obj
}

func (e *env) getIssuer(t testing.TB, ref meta.Ref) Object {
	t.Helper()
	obj, err := Get(testCtx(t), e.store, ref)
	require.NoError(t, err)
	return obj
}

func newIssuer(ns, name string, spec Spec) *Issuer {
	return &Issuer{ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
}

func newKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := pki.GenerateKey(pki.AlgECDSA, 256)
	require.NoError(t, err)
	return k
}

func keyPEM(t testing.TB, k crypto.Signer) []byte {
	t.Helper()
	b, err := pki.EncodePrivateKey(k, false)
	require.NoError(t, err)
	return b
}

// certSpec describes a test certificate made by makeCert.
type certSpec struct {
	cn        string
	isCA      bool
	keyUsage  x509.KeyUsage
	notBefore time.Time
	notAfter  time.Time
}

// makeCert signs a certificate for key with parent/parentKey (self-signed if nil).
func makeCert(t testing.TB, cs certSpec, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	if cs.notBefore.IsZero() {
		cs.notBefore = t0.Add(-time.Hour)
	}
	if cs.notAfter.IsZero() {
		cs.notAfter = t0.Add(10 * 365 * 24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cs.cn},
		NotBefore:             cs.notBefore,
		NotAfter:              cs.notAfter,
		BasicConstraintsValid: true,
		IsCA:                  cs.isCA,
		KeyUsage:              cs.keyUsage,
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}

// testCA is a root and an intermediate; the intermediate signs.
type testCA struct {
	root, inter       *x509.Certificate
	rootKey, interKey crypto.Signer
}

func newTestCA(t testing.TB, interNotAfter time.Time) testCA {
	t.Helper()
	rk, ik := newKey(t), newKey(t)
	root := makeCert(t, certSpec{cn: "Test Root", isCA: true, keyUsage: x509.KeyUsageCertSign}, rk, nil, nil)
	inter := makeCert(t, certSpec{cn: "Test Intermediate", isCA: true, keyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, notAfter: interNotAfter}, ik, root, rk)
	return testCA{root: root, inter: inter, rootKey: rk, interKey: ik}
}

// secretData is the CA Secret: tls.crt = intermediate + root, tls.key.
func (c testCA) secretData(t testing.TB, withCACrt bool) map[string][]byte {
	t.Helper()
	d := map[string][]byte{
		secret.TLSCertKey: pki.EncodeCerts(c.inter, c.root),
		secret.TLSKeyKey:  keyPEM(t, c.interKey),
	}
	if withCACrt {
		d[secret.CACertKey] = pki.EncodeCerts(c.root)
	}
	return d
}

func newCSR(t testing.TB, key crypto.Signer, names ...string) []byte {
	t.Helper()
	csr, err := pki.CreateCSR(key, pki.CSRTemplate{Subject: pkix.Name{CommonName: names[0]}, DNSNames: names})
	require.NoError(t, err)
	return csr
}

func parseChain(t testing.TB, b []byte) []*x509.Certificate {
	t.Helper()
	c, err := pki.ParseChain(b)
	require.NoError(t, err)
	return c
}

func isErr(err, target error) bool { return errors.Is(err, target) }

func mustPEM(t testing.TB, c *x509.Certificate) []byte {
	t.Helper()
	return pki.EncodeCerts(c)
}
