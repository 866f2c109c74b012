package certificate

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

var harnessEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type recorder struct {
	mu     sync.Mutex
	events []meta.Event
}

func (r *recorder) Event(obj meta.Ref, typ meta.EventType, reason meta.Reason, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, meta.Event{Object: obj, Type: typ, Reason: reason, Message: msg})
}

func (r *recorder) has(obj meta.Ref, reason meta.Reason) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.Object == obj && e.Reason == reason {
			return true
		}
	}
	return false
}

// harness runs the certificate reconciler against a memory Store and a
// frozen fake clock, and plays the request controller itself: sign decides
// the outcome of each new CertificateRequest.
type harness struct {
	t      *testing.T
	ctx    context.Context
	st     store.Store
	clock  *clock.Fake
	rec    *recorder
	deps   reconcile.Deps
	r      *Reconciler
	caKey  crypto.Signer
	caCert *x509.Certificate
	// issued counts the certificates signed.
	issued int
	// dropCN makes the CA leave the commonName out of the leaf, as Pebble's
	// default profile and Let's Encrypt's tlsserver profile do.
	dropCN bool
	// fail, if set, fails every request with this message.
	fail string
	// passOver, if set, says why a request's issuer cannot issue (nil: it
	// can), as the request reconciler does for an issuer with a fallback.
	passOver func(*request.CertificateRequest) *request.Fallback
}

func depsForTest(t *testing.T) *harness {
	fc := clock.NewFake(harnessEpoch)
	rec := &recorder{}
	h := &harness{t: t, ctx: context.Background(), clock: fc, rec: rec}
	h.st = memory.New(memory.WithClock(fc))
	h.deps = reconcile.Deps{Store: h.st, Clock: fc, Events: rec, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Owner: "test"}
	h.r = NewReconciler(h.deps, Options{})
	h.caKey = testKey(t, "ca-ec-256", "ECDSA", 256)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: harnessEpoch.Add(-time.Hour), NotAfter: harnessEpoch.Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := pki.SignCertificate(tmpl, h.caKey.Public(), tmpl, h.caKey)
	require.NoError(t, err)
	h.caCert, err = x509.ParseCertificate(der)
	require.NoError(t, err)
	return h
}

func harnessCert(name, secretName string, dns ...string) *Certificate {
	return &Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: name},
		Spec: Spec{SecretName: secretName, IssuerRef: meta.IssuerRef{Name: "ca"}, DNSNames: dns,
			PrivateKey: &PrivateKey{Algorithm: ECDSA, Size: 256}},
	}
}

func (h *harness) create(obj meta.Object) {
	h.t.Helper()
	require.NoError(h.t, h.st.Create(h.ctx, obj))
}

func (h *harness) get(ref meta.Ref) *Certificate {
	h.t.Helper()
	c := &Certificate{}
	require.NoError(h.t, h.st.Get(h.ctx, ref, c))
	return c
}

// settle reconciles the certificates and signs their requests, rounds
// times, at the frozen clock.
func (h *harness) settle(rounds int, refs ...meta.Ref) {
	h.t.Helper()
	for i := 0; i < rounds; i++ {
		for _, ref := range refs {
			_, err := h.r.Reconcile(h.ctx, ref)
			if err != nil && !errors.Is(err, store.ErrConflict) {
				require.NoError(h.t, err)
			}
		}
		h.signPending()
	}
}

// settleUntil visits ref, signing what it requests, until done holds for
// it as stored (at most rounds visits).
func (h *harness) settleUntil(rounds int, ref meta.Ref, done func(*Certificate) bool) {
	h.t.Helper()
	for i := 0; i < rounds; i++ {
		if done(h.get(ref)) {
			return
		}
		h.settle(1, ref)
	}
	require.True(h.t, done(h.get(ref)), "not done after %d visits", rounds)
}

// signPending decides every CertificateRequest without a Ready condition.
func (h *harness) signPending() {
	h.t.Helper()
	reqs, err := store.ListOf[request.CertificateRequest](h.ctx, h.st, store.ListOptions{Kind: meta.KindCertificateRequest})
	require.NoError(h.t, err)
	for _, req := range reqs {
		if req.Status.Conditions.Get(meta.ConditionReady) != nil {
			continue
		}
		now := h.clock.Now()
		if h.passOver != nil {
			if f := h.passOver(req); f != nil {
				req.Status.FailureTime, req.Status.Fallback = &now, f
				req.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionFalse,
					Reason: request.ReasonFailed, Message: string(f.Reason), LastTransitionTime: now})
				require.NoError(h.t, h.st.Update(h.ctx, req))
				continue
			}
		}
		if h.fail != "" {
			req.Status.FailureTime = &now
			req.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionFalse,
				Reason: request.ReasonFailed, Message: h.fail, LastTransitionTime: now})
			require.NoError(h.t, h.st.Update(h.ctx, req))
			continue
		}
		csr, err := pki.ParseCSR(req.Spec.Request)
		require.NoError(h.t, err)
		tmpl, err := pki.TemplateFromCSR(csr, pki.LeafTemplate{NotBefore: now, NotAfter: now.Add(req.Spec.Duration.Duration)})
		require.NoError(h.t, err)
		if h.dropCN {
			tmpl.RawSubject, tmpl.Subject = nil, pkix.Name{}
		}
		der, err := pki.SignCertificate(tmpl, csr.PublicKey, h.caCert, h.caKey)
		require.NoError(h.t, err)
		req.Status.Certificate = pki.EncodeDER(der)
		req.Status.CA = pki.EncodeCerts(h.caCert)
		req.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionTrue,
			Reason: request.ReasonIssued, Message: "issued", LastTransitionTime: now})
		require.NoError(h.t, h.st.Update(h.ctx, req))
		h.issued++
	}
}

// requests lists the names of the stored CertificateRequests.
func (h *harness) requests() []string {
	h.t.Helper()
	reqs, err := store.ListOf[request.CertificateRequest](h.ctx, h.st, store.ListOptions{Kind: meta.KindCertificateRequest})
	require.NoError(h.t, err)
	var out []string
	for _, r := range reqs {
		out = append(out, r.ObjectMeta.Name)
	}
	return out
}

// raceStore plays another replica: the first time a next-private-key Secret
// is created, it stores one of its own first (made for another key spec)
// and reports that the name is taken.
type raceStore struct {
	store.Store
	key  []byte
	done bool
}

func (s *raceStore) Create(ctx context.Context, obj meta.Object) error {
	if sec, ok := obj.(*secret.Secret); ok && !s.done && strings.HasSuffix(sec.ObjectMeta.Name, "-next-private-key") {
		s.done = true
		theirs := *sec
		theirs.ObjectMeta.ResourceVersion = ""
		theirs.Data = map[string][]byte{secret.TLSKeyKey: s.key}
		if err := s.Store.Create(ctx, &theirs); err != nil {
			return err
		}
		return fmt.Errorf("raced: %w", store.ErrAlreadyExists)
	}
	return s.Store.Create(ctx, obj)
}
