package certflow

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/metrics"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// onDemandDeciders is how many names are decided (Allow, AskURL) at once;
// each allowed name is then issued on a goroutine of its own, bounded by
// MaxPending and MaxConcurrentPerIssuer.
const onDemandDeciders = 16

// onDemandRetryAfter is how long a rate-limited or timed-out issuance,
// or a name whose object name another Certificate holds, is answered from
// memory (at most DenyTTL).
const onDemandRetryAfter = 5 * time.Second

// errNotOnDemand: the Certificate named for a server name exists and was
// not made for it by on-demand issuance.
var errNotOnDemand = errors.New("certflow: on-demand: the Certificate exists and is not on-demand")

// onDemand issues certificates for names first seen in a handshake (see
// OnDemandConfig). Handshakes for one name share one flight; Run's
// goroutines decide and issue, so nothing outlives Run.
type onDemand struct {
	m      *Manager
	cfg    OnDemandConfig
	issuer meta.Ref
	log    *slog.Logger

	denied *denyCache
	bucket *tokenBucket
	slots  issuerSlots
	used   usedNames

	// issuerApplied is set once the ACME issuer (OnDemandConfig.ACME) is
	// stored; guarded by issuerMu, held while applying.
	issuerMu      sync.Mutex
	issuerApplied bool

	mu      sync.Mutex
	flights map[string]*flight
	// stopped is set when run has ended (until it runs again): a flight
	// joined then would wait in the queue for deciders that are gone.
	stopped bool
	// queue holds flights for the deciders; its capacity is MaxPending,
	// and a flight is queued only while fewer are pending, so a send never
	// blocks.
	queue chan *flight
}

// flight is the decision and issuance of one name, which every handshake
// for it while it lasts waits for.
type flight struct {
	name string
	done chan struct{}
	err  error // set before done is closed
}

func newOnDemand(m *Manager, cfg OnDemandConfig) *onDemand {
	cfg = cfg.withDefaults()
	return &onDemand{
		m:       m,
		cfg:     cfg,
		issuer:  cfg.Template.Spec.IssuerRef.Resolve(cfg.Template.ObjectMeta.Namespace),
		log:     m.cfg.Logger,
		denied:  newDenyCache(cfg.DenyCacheSize),
		bucket:  newTokenBucket(cfg.RateLimit, cfg.Burst),
		slots:   issuerSlots{per: cfg.MaxConcurrentPerIssuer, slots: map[meta.Ref]chan struct{}{}},
		flights: map[string]*flight{},
		queue:   make(chan *flight, cfg.MaxPending),
	}
}

// getCertificate answers a handshake that the serving cache missed (with
// miss): it decides on the name, issues, and waits up to HandshakeTimeout.
func (od *onDemand) getCertificate(hello *tls.ClientHelloInfo, miss error) (*tls.Certificate, error) {
	if hello.ServerName == "" || slices.Contains(hello.SupportedProtos, acmeTLS1Proto) {
		return nil, miss // no name to issue for, or a validation's hello
	}
	cert, err := od.answer(hello, miss)
	od.m.metrics.OnDemandHandshake(onDemandResult(err))
	return cert, err
}

// onDemandResult is the metrics' name of a handshake's outcome.
func onDemandResult(err error) string {
	switch {
	case err == nil:
		return metrics.OnDemandIssued
	case errors.Is(err, ErrOnDemandDenied):
		return metrics.OnDemandDenied
	case errors.Is(err, ErrOnDemandInvalidName):
		return metrics.OnDemandInvalid
	case errors.Is(err, ErrOnDemandRateLimited):
		return metrics.OnDemandRateLimited
	case errors.Is(err, ErrOnDemandBusy):
		return metrics.OnDemandBusy
	case errors.Is(err, ErrOnDemandTimeout):
		return metrics.OnDemandTimeout
	}
	return metrics.OnDemandFailed
}

// answer is getCertificate for a hello with a name.
func (od *onDemand) answer(hello *tls.ClientHelloInfo, miss error) (*tls.Certificate, error) {
	name, err := onDemandName(hello.ServerName)
	if err != nil {
		od.debug("on-demand: invalid server name", hello.ServerName, err)
		return nil, err
	}
	if err := od.denied.denied(name, od.m.cfg.Clock.Now()); err != nil {
		return nil, err
	}
	if running, _ := od.m.run.state(); !running {
		return nil, fmt.Errorf("%w: %w: on-demand issuance of %q", miss, ErrNotRunning, name)
	}
	f, err := od.join(name)
	if err != nil {
		od.debug("on-demand: refused", name, err)
		return nil, err
	}
	ctx := hello.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, od.cfg.HandshakeTimeout)
	defer cancel()
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %q within %s: %w", ErrOnDemandTimeout, name, od.cfg.HandshakeTimeout, ctx.Err())
	}
	if f.err != nil {
		return nil, f.err
	}
	return od.m.wiring.cache.GetCertificate(hello)
}

// acmeTLS1Proto is the ALPN protocol of TLS-ALPN-01 validations (RFC 8737).
const acmeTLS1Proto = "acme-tls/1"

// join returns the flight of name, starting one if none is pending.
func (od *onDemand) join(name string) (*flight, error) {
	od.mu.Lock()
	defer od.mu.Unlock()
	if f, ok := od.flights[name]; ok {
		return f, nil
	}
	if od.stopped {
		return nil, fmt.Errorf("%w: on-demand issuance of %q", ErrNotRunning, name)
	}
	if len(od.flights) >= od.cfg.MaxPending {
		return nil, fmt.Errorf("%w: %d", ErrOnDemandBusy, od.cfg.MaxPending)
	}
	f := &flight{name: name, done: make(chan struct{})}
	od.flights[name] = f
	od.queue <- f // never blocks: fewer than MaxPending flights exist
	return f, nil
}

// finish ends f with err and wakes its handshakes.
func (od *onDemand) finish(f *flight, err error) {
	od.mu.Lock()
	delete(od.flights, f.name)
	od.mu.Unlock()
	f.err = err
	close(f.done)
}

// pending returns how many names are being decided or issued.
func (od *onDemand) pending() int {
	od.mu.Lock()
	defer od.mu.Unlock()
	return len(od.flights)
}

// run decides and issues until ctx ends, and returns when every goroutine
// it started has; flights still queued then end with ErrNotRunning.
func (od *onDemand) run(ctx context.Context) {
	od.setStopped(false)
	if err := od.ensureIssuer(ctx); err != nil && ctx.Err() == nil {
		od.log.Warn("on-demand: cannot store the ACME issuer; trying again at the next issuance", meta.LogError, err)
	}
	var wg sync.WaitGroup
	for range onDemandDeciders {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case f := <-od.queue:
					od.handle(ctx, f, &wg)
				}
			}
		})
	}
	if od.cfg.IdleTimeout > 0 {
		wg.Go(func() { od.sweepIdle(ctx) })
	}
	wg.Wait()
	od.setStopped(true) // from now on no flight is queued: the queue drains
	for {
		select {
		case f := <-od.queue:
			od.finish(f, fmt.Errorf("%w: on-demand issuance of %q", ErrNotRunning, f.name))
		default:
			return
		}
	}
}

func (od *onDemand) setStopped(stopped bool) {
	od.mu.Lock()
	defer od.mu.Unlock()
	od.stopped = stopped
}

// handle decides on f's name and, if it is allowed, issues it on a
// goroutine of wg's.
func (od *onDemand) handle(ctx context.Context, f *flight, wg *sync.WaitGroup) {
	if err := od.decide(ctx, f.name); err != nil {
		if ctx.Err() == nil {
			od.denied.add(f.name, od.m.cfg.Clock.Now().Add(od.cfg.DenyTTL), err)
		}
		od.debug("on-demand: denied", f.name, err)
		od.finish(f, err)
		return
	}
	wg.Go(func() {
		err := od.issue(ctx, f.name)
		if err != nil {
			od.debug("on-demand: not issued", f.name, err)
		}
		switch {
		case errors.Is(err, ErrIssuanceFailed) || errors.Is(err, ErrNeverReady):
			// The Certificate waits out its backoff (or a spec change):
			// until then every handshake would ask the policy and the
			// Store again to learn the same.
			od.denied.add(f.name, od.m.cfg.Clock.Now().Add(od.cfg.DenyTTL), err)
		case ctx.Err() == nil && (errors.Is(err, ErrOnDemandRateLimited) ||
			errors.Is(err, ErrOnDemandTimeout) || errors.Is(err, errNotOnDemand)):
			// Likely the same a moment later: remembered briefly, so a
			// client retrying at once does not ask the policy each time.
			od.denied.add(f.name, od.m.cfg.Clock.Now().Add(min(onDemandRetryAfter, od.cfg.DenyTTL)), err)
		}
		od.finish(f, err)
	})
}

// issue makes sure name's Certificate exists, creating it from the
// template within the limits, waits until it is Ready and its certificate
// is served, all within HandshakeTimeout.
func (od *onDemand) issue(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, od.cfg.HandshakeTimeout)
	defer cancel()
	crt := od.certificate(name)
	ref := meta.RefOf(crt)
	existing := &certificate.Certificate{}
	err := od.m.cfg.Store.Get(ctx, ref, existing)
	switch {
	case err == nil:
		if existing.ObjectMeta.Annotations[AnnotationOnDemandName] != name {
			return fmt.Errorf("%w: %s is not the on-demand Certificate of %q", errNotOnDemand, ref, name)
		}
	case errors.Is(err, store.ErrNotFound):
		if err := od.ensureIssuer(ctx); err != nil {
			return fmt.Errorf("certflow: on-demand: storing the ACME issuer: %w", err)
		}
		release, err := od.slots.acquire(ctx, od.issuer)
		if err != nil {
			return fmt.Errorf("%w: %q waiting for an issuance slot of %s: %w", ErrOnDemandTimeout, name, od.issuer, err)
		}
		defer release()
		if err := od.create(ctx, crt); err != nil {
			return err
		}
	default:
		return fmt.Errorf("certflow: on-demand: %q: %w", name, err)
	}
	if od.cfg.IdleTimeout > 0 {
		od.used.track(name, od.m.cfg.Clock.Now())
	}
	if err := od.m.WaitReady(ctx, ref); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %q within %s: %w", ErrOnDemandTimeout, name, od.cfg.HandshakeTimeout, err)
		}
		return fmt.Errorf("certflow: on-demand: %q: %w", name, err)
	}
	return od.awaitServed(ctx, crt, name)
}

// create stores crt if the rate limit allows one more Certificate. Losing
// the race to another creator (a replica) is success: the name has its
// Certificate.
func (od *onDemand) create(ctx context.Context, crt *certificate.Certificate) error {
	name := crt.ObjectMeta.Annotations[AnnotationOnDemandName]
	if !od.bucket.take(od.m.cfg.Clock.Now()) {
		return fmt.Errorf("%w: %q", ErrOnDemandRateLimited, name)
	}
	if err := od.m.validate(crt, applyOptions{}); err != nil {
		return fmt.Errorf("certflow: on-demand: the template makes an invalid Certificate: %w", err)
	}
	err := od.m.cfg.Store.Create(ctx, crt)
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("certflow: on-demand: %q: %w", name, err)
	}
	od.log.Info("on-demand certificate created",
		meta.LogCertificate, crt.ObjectMeta.Namespace+"/"+crt.ObjectMeta.Name, meta.LogIdentifiers, name)
	return nil
}

// ensureIssuer applies OnDemandConfig.ACME as an Issuer, until that
// succeeded once; without ACME it does nothing.
func (od *onDemand) ensureIssuer(ctx context.Context) error {
	if od.cfg.ACME == nil {
		return nil
	}
	od.issuerMu.Lock()
	defer od.issuerMu.Unlock()
	if od.issuerApplied {
		return nil
	}
	acme := *od.cfg.ACME
	acme.Solvers = slices.Clone(acme.Solvers)
	iss := &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: od.cfg.Template.ObjectMeta.Namespace, Name: OnDemandIssuerName},
		Spec:       issuer.Spec{ACME: &acme},
	}
	if err := od.m.Apply(ctx, iss); err != nil {
		return err
	}
	od.issuerApplied = true
	return nil
}

// awaitServed waits until the serving cache holds name's certificate: the
// Certificate is Ready once its Secret is stored, and this Manager serves
// a Secret another replica stored when its watch brings it.
func (od *onDemand) awaitServed(ctx context.Context, crt *certificate.Certificate, name string) error {
	secretRef := meta.Ref{Kind: meta.KindSecret, Namespace: crt.ObjectMeta.Namespace, Name: crt.Spec.SecretName}
	changed, stop := od.m.changes.subscribe(secretRef)
	defer stop()
	hello := &tls.ClientHelloInfo{ServerName: name}
	for {
		if cert, err := od.m.wiring.cache.GetCertificate(hello); err == nil && cert != nil {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("%w: %q is issued but not yet served: %w", ErrOnDemandTimeout, name, ctx.Err())
		}
	}
}

// certificate builds name's Certificate from the template.
func (od *onDemand) certificate(name string) *certificate.Certificate {
	t := &od.cfg.Template
	objName := onDemandObjectName(name)
	crt := &certificate.Certificate{
		ObjectMeta: meta.ObjectMeta{
			Namespace:   t.ObjectMeta.Namespace,
			Name:        objName,
			Labels:      maps.Clone(t.ObjectMeta.Labels),
			Annotations: maps.Clone(t.ObjectMeta.Annotations),
		},
		Spec: cloneSpec(t.Spec),
	}
	if crt.ObjectMeta.Labels == nil {
		crt.ObjectMeta.Labels = map[string]string{}
	}
	if crt.ObjectMeta.Annotations == nil {
		crt.ObjectMeta.Annotations = map[string]string{}
	}
	crt.ObjectMeta.Labels[LabelOnDemand] = "true"
	crt.ObjectMeta.Annotations[AnnotationOnDemandName] = name
	crt.Spec.DNSNames = []string{name}
	crt.Spec.SecretName = onDemandSecretName(objName)
	crt.Spec.CommonName, crt.Spec.IPAddresses, crt.Spec.URIs, crt.Spec.EmailAddresses = "", nil, nil, nil
	normalize(crt)
	return crt
}

// cloneSpec deep-copies a Certificate spec (its pointers and slices), so
// that what normalize defaults in one Certificate never reaches the
// template another handshake reads.
func cloneSpec(s certificate.Spec) certificate.Spec {
	raw, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("certflow: on-demand: a Certificate spec does not encode: %v", err))
	}
	var out certificate.Spec
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(fmt.Sprintf("certflow: on-demand: a Certificate spec does not decode: %v", err))
	}
	return out
}

// debug logs why name got no certificate, at debug level: hostile clients
// choose the names, so they must not fill the log.
func (od *onDemand) debug(msg, name string, err error) {
	if od.log.Enabled(context.Background(), slog.LevelDebug) {
		od.log.Debug(msg, "server_name", name, meta.LogError, err)
	}
}
