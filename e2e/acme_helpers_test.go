package e2e

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// harness runs a Manager on a Store until the test ends. startACME runs it
// (real clock) against testrig's acmetest rig, with the Manager's HTTP-01
// handler and TLS config on the ports Pebble validates; the listeners serve
// whichever Manager runs at the moment, so a test can stop the Manager and
// start another one (a restarted process) on the same ports. startCA runs
// it on a fake clock with a private CA and no ACME server.
type harness struct {
	t    *testing.T
	ctx  context.Context
	acme *testrig.ACME // nil for startCA
	// clock is startCA's fake clock.
	clock *clock.Fake
	// cfg is the Config every Manager of the harness is built from (with
	// the Store in st).
	cfg certflow.Config
	m   *certflow.Manager
	// st is the Store of the running Manager; store is the same when it is
	// a memory store.
	st    store.Store
	store *memory.Store
	stop  func()
}

type acmeSetup struct {
	acmeOpts []acmetest.Option
	config   func(*certflow.Config)
	store    store.Store
	httpWrap func(http.Handler) http.Handler
	// transport wraps the RoundTripper the Manager talks to the CA with.
	transport func(http.RoundTripper) http.RoundTripper
}

func startACME(t *testing.T, setup acmeSetup) *harness {
	t.Helper()
	ctx := testrig.Context(t)
	rig := testrig.StartACME(t, setup.httpWrap, setup.acmeOpts...)
	cfg := certflow.Config{Workers: 4, BackoffMin: time.Hour}.WithTestCA(rig)
	if setup.transport != nil {
		cfg.HTTPClient = &http.Client{Transport: setup.transport(cfg.HTTPClient.Transport), Timeout: cfg.HTTPClient.Timeout}
	}
	if setup.config != nil {
		setup.config(&cfg)
	}
	h := &harness{t: t, ctx: ctx, acme: rig, cfg: cfg}
	st := setup.store
	if st == nil {
		st = memory.New()
	}
	h.startManager(st)
	return h
}

// startManager runs a new Manager with the harness's Config on st.
func (h *harness) startManager(st store.Store) {
	h.t.Helper()
	cfg := h.cfg
	cfg.Store = st
	m, err := certflow.New(cfg)
	require.NoError(h.t, err)
	h.m, h.st = m, st
	h.store, _ = st.(*memory.Store)
	if h.acme != nil {
		h.acme.Serve(m)
	}
	h.stop = testrig.Run(h.t, h.ctx, 20*time.Second, m.Run)
}

// startCA runs a Manager on a memory store and a fake clock, with a CA
// Issuer name in namespace ns that is Ready.
func startCA(t *testing.T, ns, name string) *harness {
	t.Helper()
	ctx := testrig.Context(t)
	clk := clock.NewFake(testrig.Epoch)
	h := &harness{t: t, ctx: ctx, clock: clk, cfg: certflow.Config{Clock: clk, Workers: 4}}
	h.startManager(memory.New(memory.WithClock(clk)))
	require.NoError(t, h.m.Apply(ctx, testrig.CASecret(t, ns, name+"-ca", clk.Now())))
	require.NoError(t, h.m.Apply(ctx, testrig.CAIssuer(ns, name, name+"-ca")))
	waitFor(h, meta.Ref{Kind: meta.KindIssuer, Namespace: ns, Name: name}, "issuer Ready",
		func(i *issuer.Issuer) bool { return i.Status.Conditions.IsTrue(meta.ConditionReady) })
	return h
}

// stopManager cancels the running Manager and waits until Run returned.
func (h *harness) stopManager() { h.stop() }

// issue applies iss (if not nil) and a certificate for names and waits
// until it is Ready.
func (h *harness) issue(iss *issuer.Issuer, crt *certificate.Certificate) *certificate.Certificate {
	h.t.Helper()
	if iss != nil {
		require.NoError(h.t, h.m.Apply(h.ctx, iss))
	}
	require.NoError(h.t, h.m.Apply(h.ctx, crt))
	return h.waitReady(meta.RefOf(crt))
}

// waitReady waits until the Certificate named ref is Ready and returns it.
func (h *harness) waitReady(ref meta.Ref) *certificate.Certificate {
	h.t.Helper()
	if err := h.m.WaitReady(h.ctx, ref); err != nil {
		st, _ := h.m.Status(context.Background(), ref)
		h.t.Fatalf("%s not ready: %v\n%v", ref, err, st)
	}
	got := &certificate.Certificate{}
	require.NoError(h.t, h.m.Get(h.ctx, ref, got))
	return got
}

// tlsDial opens a TLS connection to the Manager's TLS listener for
// serverName, verified against acmetest's roots.
func (h *harness) tlsDial(serverName string) *tls.Conn {
	h.t.Helper()
	d := tls.Dialer{Config: &tls.Config{ServerName: serverName, RootCAs: h.acme.Roots(), MinVersion: tls.VersionTLS12}}
	conn, err := d.DialContext(h.ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(h.acme.TLSPort)))
	require.NoError(h.t, err)
	return conn.(*tls.Conn)
}

// handshake opens a TLS connection to the Manager's TLS listener for
// serverName, verified against acmetest's roots, and returns its state.
func (h *harness) handshake(serverName string) *tls.ConnectionState {
	h.t.Helper()
	conn := h.tlsDial(serverName)
	defer conn.Close()
	st := conn.ConnectionState()
	return &st
}

// awaitStore blocks until cond holds, re-checking it on every change of the
// running Manager's Store, or fails the test at the harness deadline.
func (h *harness) awaitStore(what string, cond func() bool) {
	h.t.Helper()
	testrig.Await(h.t, h.ctx, h.st, what, cond, nil)
}

// poll blocks until cond holds, or fails the test at the harness
// deadline: for what changes without a Store write to wake awaitStore (a
// CA's request counts). See testrig.Poll.
func (h *harness) poll(what string, cond func() bool) {
	h.t.Helper()
	testrig.Poll(h.t, h.ctx, what, cond)
}

// waitFor blocks until cond holds for the object named ref, re-checking on
// every change of the running Manager's Store, and returns the object; it
// fails the test at the harness deadline.
func waitFor[T any, PT interface {
	*T
	meta.Object
}](h *harness, ref meta.Ref, what string, cond func(PT) bool) PT {
	h.t.Helper()
	return testrig.WaitFor[T, PT](h.t, h.ctx, h.st, ref, what, cond, func() string {
		st, _ := h.m.Status(context.Background(), ref)
		return st.String()
	})
}

// recordingStore remembers every object created through it.
type recordingStore struct {
	store.Store
	mu      sync.Mutex
	created []meta.Ref
	// challengeTypes holds the type of every Challenge created.
	challengeTypes []solver.Type
}

func (s *recordingStore) Create(ctx context.Context, obj meta.Object) error {
	err := s.Store.Create(ctx, obj)
	if err == nil {
		s.mu.Lock()
		s.created = append(s.created, meta.RefOf(obj))
		if ch, ok := obj.(*challenge.Challenge); ok {
			s.challengeTypes = append(s.challengeTypes, ch.Spec.Type)
		}
		s.mu.Unlock()
	}
	return err
}

// createdOf lists the objects of kind created so far.
func (s *recordingStore) createdOf(kind meta.Kind) []meta.Ref {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []meta.Ref
	for _, r := range s.created {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

func (s *recordingStore) types() []solver.Type {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]solver.Type(nil), s.challengeTypes...)
}
