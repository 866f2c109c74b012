package certflow

import (
	"context"
	"net/http"
	"strconv"
	"sync"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/metrics"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/serve"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
)

// wiring connects the resource packages: it builds each kind's reconciler,
// keeps the serving cache fed from Store changes, and knows which objects
// depend on which beyond owner references.
type wiring struct {
	deps        reconcile.Deps
	reconcilers map[meta.Kind]reconcile.Reconciler
	// orphans holds each kind's rule for objects whose owners are gone,
	// contributed by the package that creates them.
	orphans map[meta.Kind]reconcile.OrphanRule
	cache   *serve.Cache
	// fetches hears from the HTTP-01 handler when the CA fetched an
	// answer, for the challenges accepted in this process.
	fetches *challenge.Fetches
	// secretNames lets a Certificate find the others naming its Secret.
	secretNames secretNameIndex
	issuers     *issuer.Reconciler
	// dns01 holds the DNS-01 providers by name; read-only once built.
	dns01   map[string]solver.DNS01Provider
	metrics *metrics.Metrics

	// listedOnce is set once a list has filled the serving cache, so a
	// re-list needs no preload; only the watch goroutine touches it.
	listedOnce bool
	// preloaded holds the version of each Secret preloadServing served,
	// until the resync that follows it; only the watch goroutine (Run,
	// before it starts the watch) touches it.
	preloaded map[meta.Ref]string

	mu sync.Mutex
	// caSecrets maps a CA Secret to the issuers that sign with it (and an
	// ACME account key Secret to its issuer).
	caSecrets map[meta.Ref]map[meta.Ref]bool

	// ownerViews holds, per kind, what its owners' reconcilers decide on
	// about it, contributed by the package that reads it (see ownerWake).
	ownerViews map[meta.Kind]reconcile.OwnerView

	// miss answers validations the cache misses from the Store.
	miss *challengeMiss

	// settled holds, per kind, which listed objects a visit would leave
	// as they are, contributed by the package that reconciles them.
	settled map[meta.Kind]func(store.Raw) bool

	// served is what the reconcilers' own writes handed to the cache.
	served servedVersions

	// csrs and chains are parsed once for all the reconcilers reading them.
	csrs   *pki.CSRMemo
	chains *pki.ChainMemo
	// issuerMemo is read by the reconcilers downstream of issuers.
	issuerMemo *issuer.Memo

	// goneUnvisited holds, per kind, whether its reconciler keeps nothing
	// in memory per object, so that a deletion delivered by the watch
	// needs no visit to find the object gone (an issuer's visit forgets
	// its ACME client; a Challenge's would only read NotFound, once per
	// issuance).
	goneUnvisited map[meta.Kind]bool
}

func newWiring(deps reconcile.Deps, cfg Config, enqueue func(meta.Ref), met *metrics.Metrics) (*wiring, error) {
	w := &wiring{
		deps:      deps,
		metrics:   met,
		caSecrets: map[meta.Ref]map[meta.Ref]bool{},
		cache: serve.NewCache(serve.Options{DefaultName: cfg.DefaultServerName, Logger: cfg.Logger, Clock: cfg.Clock,
			OnInvalidKey: func(meta.Ref, error) { met.InvalidServingKey() }}),
	}
	// The recorder sees every ACME answer, so orders and challenges poll at
	// the pace the CA's Retry-After asks even though x/crypto/acme drops the
	// header on successful polls.
	retryAfter := &challenge.RetryAfterRecorder{}
	wrap := func(rt http.RoundTripper, directoryURL string) http.RoundTripper {
		return met.ACMETransport(retryAfter.WrapCA(rt, directoryURL), directoryURL)
	}
	issuers := issuer.NewReconciler(deps, issuer.Options{HTTPClient: cfg.HTTPClient, WrapTransport: wrap,
		MaxInFlight: cfg.ACME.MaxInFlightPerAccount, Enqueue: enqueue})
	w.issuers = issuers
	// The CSRs the certificate reconciler signs, parsed once for their
	// requests and Orders; the chains issued, once for their requests and
	// Certificates.
	csrs, chains := &pki.CSRMemo{}, &pki.ChainMemo{}
	w.csrs, w.chains = csrs, chains
	// The issuers every visit downstream of them reads, decoded once a
	// version.
	w.issuerMemo = &issuer.Memo{}
	var ari certificate.RenewalInfoSource = issuers
	if cfg.ACME.NoRenewalInfo {
		ari = nil
	}
	w.reconcilers = map[meta.Kind]reconcile.Reconciler{
		meta.KindIssuer:        issuers,
		meta.KindClusterIssuer: issuers,
		meta.KindCertificate: certificate.NewReconciler(w.servingDeps(), certificate.Options{
			BackoffMin: cfg.BackoffMin, BackoffMax: cfg.BackoffMax, RenewalInfo: ari, Siblings: w.secretNames.named, CSRs: csrs, Chains: chains, Issuers: w.issuerMemo}),
		meta.KindCertificateRequest: request.NewReconciler(deps, request.Options{
			Approver: cfg.Approver, Signer: issuer.NewSigner(deps), CSRs: csrs, Chains: chains, Issuers: w.issuerMemo}),
	}
	// Certificates own Secrets: the TLS Secret stays, the next key goes.
	// So do issuers the copy of their account key (issuer/accountcopy.go).
	w.orphans = map[meta.Kind]reconcile.OrphanRule{meta.KindSecret: func(raw store.Raw) reconcile.Orphan {
		if issuer.OrphanedAccountKeyCopy(raw) == reconcile.OrphanCollect {
			return reconcile.OrphanCollect
		}
		return certificate.OrphanedSecret(raw)
	}}
	w.ownerViews = map[meta.Kind]reconcile.OwnerView{meta.KindCertificateRequest: request.CertificateView}
	w.settled = map[meta.Kind]func(store.Raw) bool{meta.KindCertificateRequest: request.FinalListed}
	w.goneUnvisited = map[meta.Kind]bool{meta.KindCertificateRequest: true}
	w.miss = newChallengeMiss(deps.Store, deps.Clock, newMissGate(deps.Clock, cfg.ACME.SelfCheckTimeout), w.putChallenge, w.cache.DeleteChallengeAt)
	if err := w.wireACME(issuers, retryAfter, cfg, enqueue, csrs); err != nil {
		return nil, err
	}
	return w, nil
}

// servingDeps are deps whose Store serves each certificate Secret written
// through it (see servingWrites).
func (w *wiring) servingDeps() reconcile.Deps {
	d := w.deps
	sw := &servingWrites{cache: w.cache, log: d.Log, served: &w.served}
	d.Store = &writesThrough{Store: d.Store, stored: sw.serve}
	return d
}

// challengeDeps are deps whose Store serves each Challenge written through
// it (see challengeWrites).
func (w *wiring) challengeDeps() reconcile.Deps {
	d := w.deps
	cw := &challengeWrites{put: w.putChallengeOK, served: &w.served}
	d.Store = &writesThrough{Store: d.Store, stored: cw.serve}
	return d
}

// resetServing loads every Secret and Challenge into the serving cache and
// drops what disappeared while no watch was running (after a broken watch).
// rev is the revision the items were listed at.
func (w *wiring) resetServing(ctx context.Context, items []store.Raw, rev uint64) {
	// What preloadServing served at the version listed is served already.
	unchanged := func(raw store.Raw) bool {
		v, ok := w.preloaded[raw.Ref]
		return ok && v != "" && v == raw.ResourceVersion
	}
	secrets := decodeSecrets(items, unchanged)
	var puts []*secret.Secret
	// Only what serving holds: Secrets (false when they hold no
	// certificate) and Challenges.
	listed := map[meta.Ref]bool{}
	for i, raw := range items {
		switch raw.Ref.Kind {
		case meta.KindSecret:
			if unchanged(raw) {
				listed[raw.Ref] = true
				continue
			}
			s := secrets[i]
			listed[raw.Ref] = s != nil && servableSecret(s)
			if listed[raw.Ref] {
				puts = append(puts, s)
			}
		case meta.KindChallenge:
			listed[raw.Ref] = true
			ch := &challenge.Challenge{}
			if raw.Decode(ch) == nil {
				w.putChallenge(ch)
			}
		case meta.KindIssuer, meta.KindClusterIssuer:
			w.indexIssuer(ctx, raw.Ref)
		}
	}
	// What the cache holds, not what the watch brought: the Manager's own
	// writes and a validation's Store read serve objects too.
	var gone []meta.Ref
	for _, ref := range w.cache.Held() {
		if !listed[ref] {
			gone = append(gone, ref)
		}
	}
	w.listedOnce, w.preloaded = true, nil
	w.served.reset()
	if err := w.cache.Apply(puts, nil); err != nil {
		w.deps.Log.Warn("some Secrets cannot be served", "err", err)
	}
	// Gone at the list's revision: a newer version the cache was given
	// meanwhile (a reconciler serving its own challenge) stays.
	at := strconv.FormatUint(rev, 10)
	for _, ref := range gone {
		switch ref.Kind {
		case meta.KindSecret:
			w.cache.DeleteSecretAt(ref, at)
		case meta.KindChallenge:
			w.cache.DeleteChallengeAt(ref, at)
		}
	}
}

// observeServing keeps the serving cache and the CA index current.
func (w *wiring) observeServing(ctx context.Context, ev store.WatchEvent) {
	switch ev.Ref.Kind {
	case meta.KindSecret:
		// Reads are ordered by ResourceVersion in the cache: the Get below
		// may return a version newer than a delete event still to come.
		if ev.Type == store.Deleted {
			w.served.forget(ev.Ref)
			w.cache.DeleteSecretAt(ev.Ref, strconv.FormatUint(ev.Revision, 10))
			return
		}
		if w.served.covers(ev.Ref, ev.Meta.ResourceVersion) {
			return
		}
		s := &secret.Secret{}
		if err := w.deps.Store.Get(ctx, ev.Ref, s); err != nil {
			return
		}
		if !servableSecret(s) {
			w.cache.DeleteSecretAt(ev.Ref, s.ObjectMeta.ResourceVersion)
			return
		}
		if err := w.cache.PutSecret(s); err != nil {
			w.deps.Log.Warn("secret cannot be served", "namespace", ev.Ref.Namespace, "name", ev.Ref.Name, "err", err)
		}
	case meta.KindChallenge:
		if ev.Type == store.Deleted {
			w.served.forget(ev.Ref)
			w.cache.DeleteChallengeAt(ev.Ref, strconv.FormatUint(ev.Revision, 10))
			return
		}
		if w.served.covers(ev.Ref, ev.Meta.ResourceVersion) {
			return
		}
		ch := &challenge.Challenge{}
		if err := w.deps.Store.Get(ctx, ev.Ref, ch); err == nil {
			w.putChallenge(ch)
		}
	case meta.KindIssuer, meta.KindClusterIssuer:
		// A deleted issuer's ACME client leaves memory when the Manager
		// reconciles it and its reconciler finds it gone.
		w.indexIssuer(ctx, ev.Ref)
	}
}

func servableSecret(s *secret.Secret) bool {
	return len(s.Data[secret.TLSCertKey]) > 0 && len(s.Data[secret.TLSKeyKey]) > 0
}

func (w *wiring) putChallenge(ch *challenge.Challenge) { w.putChallengeOK(ch) }

// putChallengeOK is putChallenge reporting whether the cache took ch.
func (w *wiring) putChallengeOK(ch *challenge.Challenge) bool {
	if !challenge.Serving(ch) {
		w.cache.DeleteChallengeAt(meta.RefOf(ch), ch.ObjectMeta.ResourceVersion)
		return true
	}
	if err := w.cache.PutChallenge(ch); err != nil {
		w.deps.Log.Warn("challenge cannot be served", "namespace", ch.ObjectMeta.Namespace, "name", ch.ObjectMeta.Name, "err", err)
		return false
	}
	return true
}

// stop releases what the wiring holds once the Manager stops.
func (w *wiring) stop() { w.issuers.Clients().CloseIdleConnections() }

// indexIssuer records which Secret a CA issuer signs with (or an ACME
// issuer's account key is in), so a change of that Secret wakes the issuer.
func (w *wiring) indexIssuer(ctx context.Context, ref meta.Ref) {
	var sec meta.Ref
	iss, err := issuer.Get(ctx, w.deps.Store, ref)
	if err == nil && iss.IssuerSpec().CA != nil {
		sec = meta.Ref{Kind: meta.KindSecret, Namespace: w.deps.SecretNamespace(ref), Name: iss.IssuerSpec().CA.SecretName}
	}
	if err == nil && iss.IssuerSpec().ACME != nil {
		// A replaced account key is rolled over at once, not at the next
		// account check.
		sec = meta.Ref{Kind: meta.KindSecret, Namespace: w.deps.SecretNamespace(ref), Name: iss.IssuerSpec().ACME.PrivateKeySecretRef.Name}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for s, issuers := range w.caSecrets {
		delete(issuers, ref)
		if len(issuers) == 0 {
			delete(w.caSecrets, s)
		}
	}
	if sec.Name == "" {
		return
	}
	if w.caSecrets[sec] == nil {
		w.caSecrets[sec] = map[meta.Ref]bool{}
	}
	w.caSecrets[sec][ref] = true
}

// dependents returns objects that must look again when ref changed, beyond
// its owners: the issuers using a CA Secret, and the certificates and
// requests using an issuer.
func (w *wiring) dependents(ctx context.Context, ref meta.Ref) []meta.Ref {
	switch ref.Kind {
	case meta.KindSecret:
		w.mu.Lock()
		defer w.mu.Unlock()
		var out []meta.Ref
		for iss := range w.caSecrets[ref] {
			out = append(out, iss)
		}
		return out
	case meta.KindIssuer, meta.KindClusterIssuer:
		return w.issuerUsers(ctx, ref)
	}
	return nil
}

func (w *wiring) issuerUsers(ctx context.Context, ref meta.Ref) []meta.Ref {
	var out []meta.Ref
	reqs, err := store.ListOf[request.CertificateRequest](ctx, w.deps.Store, store.ListOptions{
		Kind: meta.KindCertificateRequest, Namespace: ref.Namespace})
	if err != nil {
		w.deps.Log.Warn("cannot list requests of issuer", "kind", ref.Kind, "name", ref.Name, "err", err)
	}
	for _, r := range reqs {
		if !request.IsFinal(r) && r.Spec.IssuerRef.Resolve(r.ObjectMeta.Namespace) == ref {
			out = append(out, meta.RefOf(r))
		}
	}
	return out
}

// needsVisit reports whether the listed raw, of a reconciled kind, must
// be visited: a final CertificateRequest's visit changes nothing, and at
// 100k certificates those visits were 200k Store reads at every start.
func (w *wiring) needsVisit(raw store.Raw) bool {
	settled, ok := w.settled[raw.Ref.Kind]
	return !ok || !settled(raw)
}

// orphaned says what becomes of raw, whose owners are all gone, by the
// rule the package that creates such objects contributed (see newWiring);
// what no rule covers (requests, orders) is collected at once.
func (w *wiring) orphaned(raw store.Raw) reconcile.Orphan {
	if rule, ok := w.orphans[raw.Ref.Kind]; ok {
		return rule(raw)
	}
	return reconcile.OrphanCollect
}
