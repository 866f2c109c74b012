package certflow

import (
	"context"
	"errors"
	"fmt"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/dns01"
	"github.com/certflow/certflow/solver/rfc2136"
	"github.com/certflow/certflow/store"
)

// acmeWiring builds the solvers challenges are presented with.
type acmeWiring struct {
	secrets         secretReader
	secretNamespace func(issuer meta.Ref) string
	http01          solver.HTTP01Solver
	tlsALPN01       solver.TLSALPN01Solver
	providers       map[string]solver.DNS01Provider
	checker         *dns01.Checker // nil: no DNS-01 self-check
}

// wireACME registers the Order and Challenge reconcilers.
func (w *wiring) wireACME(issuers *issuer.Reconciler, rec *challenge.RetryAfterRecorder, cfg Config, enqueue func(meta.Ref), csrs *pki.CSRMemo) error {
	a := &acmeWiring{
		secrets:         secretReader{w.deps.Store},
		secretNamespace: w.deps.SecretNamespace,
		http01:          solver.HTTP01Solver{Port: cfg.ACME.HTTP01Port, Dial: cfg.ACME.Dial},
		tlsALPN01:       solver.TLSALPN01Solver{Port: cfg.ACME.TLSALPN01Port, Dial: cfg.ACME.Dial},
		providers:       map[string]solver.DNS01Provider{},
	}
	if len(cfg.ACME.DNS01Check.Resolvers) > 0 {
		c := cfg.ACME.DNS01Check
		if c.Clock == nil {
			c.Clock = cfg.Clock
		}
		checker, err := dns01.New(c)
		if err != nil {
			return fmt.Errorf("%w: ACME.DNS01Check: %w", ErrInvalidConfig, err)
		}
		a.checker = checker
	}
	a.providers["rfc2136"] = &rfc2136.Provider{}
	for name, p := range cfg.DNS01Providers {
		a.providers[name] = p
	}
	w.dns01 = a.providers
	accountGone := func(ref meta.Ref) {
		issuers.Clients().Invalidate(ref)
		enqueue(ref)
	}
	// One set of learned first pauses per Manager, keyed by CA: every
	// Order and Challenge of an account at that CA learns from and uses
	// the same one.
	firstPolls := &acmeproto.FirstPolls{}
	w.fetches = &challenge.Fetches{}
	w.reconcilers[meta.KindOrder] = order.NewReconciler(w.challengeDeps(), order.Options{
		FirstPolls:  firstPolls,
		Clients:     issuers,
		Post:        issuers.Clients().Post(),
		Accounts:    issuers,
		Enqueue:     enqueue,
		Timeout:     cfg.ACME.OrderTimeout,
		RetryAfter:  rec.RetryAfter,
		AccountGone: accountGone,
		CSRs:        csrs,
		Issuers:     w.issuerMemo,
	})
	w.orphans[meta.KindChallenge] = challenge.Orphaned
	w.goneUnvisited[meta.KindOrder], w.goneUnvisited[meta.KindChallenge] = true, true
	w.ownerViews[meta.KindChallenge] = challenge.OrderView
	w.ownerViews[meta.KindOrder] = request.OwnedOrderView
	w.reconcilers[meta.KindChallenge] = challenge.NewReconciler(w.challengeDeps(), challenge.Options{
		FirstPolls:       firstPolls,
		Fetches:          w.fetches,
		Clients:          issuers,
		SolverFor:        w.metrics.SolverFor(a.solverFor),
		Accounts:         issuers,
		Enqueue:          enqueue,
		OrderState:       order.OwnerState,
		SelfCheck:        w.metrics.SelfCheck(w.selfCheck),
		AccountGone:      accountGone,
		RetryAfter:       rec.RetryAfter,
		SelfCheckTimeout: cfg.ACME.SelfCheckTimeout,
		Issuers:          w.issuerMemo,
	})
	return nil
}

// cnameFollow is cert-manager's cnameStrategy that writes the TXT record at
// the target of a CNAME on _acme-challenge.
const cnameFollow = "Follow"

// selfCheck serves an HTTP-01 or TLS-ALPN-01 challenge from this process at
// once, before asking for it the way the CA will, instead of waiting for the
// Store watch to deliver it to the serving cache.
func (w *wiring) selfCheck(ctx context.Context, ch *challenge.Challenge, s solver.Solver) error {
	if ch.Spec.Type != solver.DNS01 {
		w.putChallenge(ch)
	}
	c, ok := s.(solver.Checker)
	if !ok {
		return nil
	}
	return c.Check(ctx, ch.Info())
}

// ErrNoDNS01Provider means a challenge names a DNS-01 provider the Manager
// was not given.
var ErrNoDNS01Provider = errors.New("certflow: no such DNS-01 provider")

func (a *acmeWiring) solverFor(ctx context.Context, ch *challenge.Challenge) (solver.Solver, error) {
	switch ch.Spec.Type {
	case solver.HTTP01:
		return a.http01, nil
	case solver.TLSALPN01:
		return a.tlsALPN01, nil
	case solver.DNS01:
		cfg := ch.Spec.Solver.DNS01
		if cfg == nil {
			return nil, fmt.Errorf("certflow: challenge %s: DNS-01 without dns01 solver config", ch.ObjectMeta.Name)
		}
		p, ok := a.providers[cfg.Provider()]
		if !ok {
			return nil, unknownProvider(a.providers, cfg.Provider())
		}
		ns := a.secretNamespace(ch.Spec.IssuerRef.Resolve(ch.ObjectMeta.Namespace))
		s, err := p.NewSolver(ctx, *cfg, ns, a.secrets)
		if err != nil {
			return nil, err
		}
		follow := cfg.CNAMEStrategy == cnameFollow
		if a.checker == nil {
			if follow {
				return nil, fmt.Errorf("%w: cnameStrategy %s needs Config.ACME.DNS01Check.Resolvers to resolve the CNAME", ErrInvalidConfig, cnameFollow)
			}
			return s, nil
		}
		return dns01.Checked(s, a.checker, follow), nil
	}
	return nil, fmt.Errorf("certflow: challenge %s: unknown type %q", ch.ObjectMeta.Name, ch.Spec.Type)
}

// secretReader lets solvers read TSIG secrets and credentials from the Store.
type secretReader struct{ store store.Reader }

var _ solver.Secrets = secretReader{}

// ErrSecretKeyMissing means a referenced Secret lacks the referenced key.
var ErrSecretKeyMissing = errors.New("certflow: secret has no such key")

func (r secretReader) SecretValue(ctx context.Context, namespace string, ref solver.SecretKeySelector) ([]byte, error) {
	s := &secret.Secret{}
	if err := r.store.Get(ctx, meta.Ref{Kind: meta.KindSecret, Namespace: namespace, Name: ref.Name}, s); err != nil {
		return nil, fmt.Errorf("certflow: read secret %s/%s: %w", namespace, ref.Name, err)
	}
	v, ok := s.Data[ref.Key]
	if !ok {
		return nil, fmt.Errorf("%w: %s/%s has no key %q", ErrSecretKeyMissing, namespace, ref.Name, ref.Key)
	}
	return v, nil
}
