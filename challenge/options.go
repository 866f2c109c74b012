package challenge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
)

// ClientSource hands out a registered ACME client for an issuer. The client
// should not retry rate-limited (429) requests itself (its RetryBackoff
// should return 0 for them) so that reconcilers can schedule the next
// attempt at the CA's Retry-After instead of blocking a worker. iss may be
// shared with other visits (Options.Issuers): implementations read it only,
// as AccountSlots's do.
type ClientSource interface {
	Client(ctx context.Context, iss issuer.Object) (*acme.Client, error)
}

// AccountSlots bounds the ACME work of each account at its CA (see
// issuer.ACMEClients.Slot), so a CA that holds requests open cannot take
// every worker: Slot either hands out a slot, to be released when the
// work ends, or says when to look again; wake, if set, is called when a
// slot is kept for key.
type AccountSlots interface {
	Slot(iss issuer.Object, key string, wake func()) (release func(), retryAt time.Time, ok bool)
}

// SolverFunc returns the solver that presents ch (built from
// ch.Spec.Solver). It is called for every Present and CleanUp, so it should
// be cheap (cache providers by config).
type SolverFunc func(ctx context.Context, ch *Challenge) (solver.Solver, error)

// SelfCheckFunc checks once that the CA would see the presented answer. A
// nil error means it would.
type SelfCheckFunc func(ctx context.Context, ch *Challenge, s solver.Solver) error

// Options configure the challenge reconciler. Clients, SolverFor and
// OrderState are required; every other zero field takes the documented
// default.
type Options struct {
	// Clients gives the ACME client of the challenge's issuer.
	Clients ClientSource
	// SolverFor gives the solver of a challenge.
	SolverFor SolverFunc
	// Accounts, if set, is asked for a slot of the issuer's account before
	// each ACME request; without one the challenge looks again later
	// instead of holding a worker.
	Accounts AccountSlots
	// Enqueue, if set, asks the Manager to reconcile a Challenge soon; an
	// account slot kept for a waiting challenge is fetched through it.
	Enqueue func(meta.Ref)
	// OrderState reads the state of the Order named ref, a Challenge's
	// owner, from r (wrapping store.ErrNotFound when it is gone): a
	// Challenge of a deleted or failed Order is abandoned. This package
	// knows the Order only as a Ref, so the order package, which owns its
	// type, provides it: order.OwnerState.
	OrderState func(ctx context.Context, r store.Reader, ref meta.Ref) (State, error)
	// SelfCheck overrides the self-check. If nil, the solver's Check is used
	// when it implements solver.Checker; otherwise there is no self-check.
	SelfCheck SelfCheckFunc
	// PollInterval, if set, is the fixed first pause before looking at the
	// authorization after the accept; each later pause is as long as it has
	// been since the accept, so the looks double, up to MaxPollInterval
	// (acmeproto.Poll). The CA's Retry-After wins either way. If 0, the
	// first pause is learned per CA and challenge type (FirstPolls),
	// starting at acmeproto.DefaultFirstPoll (5ms): it shrinks a little
	// after each first look that found the authorization final (halves,
	// until the first that did not) and grows after one that did not (by
	// 2^(1/3), doubling while the misses go on), so that about four in
	// five first looks find the verdict, within
	// [acmeproto.MinFirstPoll, acmeproto.MaxFirstPoll].
	// Against a CA that validates in a millisecond it falls to half of one;
	// against one that takes seconds it rises to about that, and an
	// authorization costs one or two looks instead of nine or ten doubling
	// from 5ms (its verdict is seen about a fifth later). It is also the
	// first pause between failed HTTP-01 and TLS-ALPN-01 self-checks (5ms
	// if 0).
	PollInterval time.Duration
	// Fetches, if set, is told by the Manager's HTTP-01 handler each time
	// it serves an answer: an accepted HTTP-01 challenge whose CA fetches
	// it within a short first pause is looked at a learned moment after
	// the CA's latest fetch instead (Fetches). Nil: the first pause alone.
	Fetches *Fetches
	// FirstPolls holds the learned first pauses (see PollInterval). Give
	// the order reconciler the same one: the Manager does. If nil (and
	// PollInterval is 0), the reconciler keeps its own. Ignored when
	// PollInterval is set.
	FirstPolls *acmeproto.FirstPolls
	// MaxPollInterval bounds that pause; it is also the pause after a 429
	// that named no Retry-After. If 0, acmeproto.DefaultMaxPoll (4s).
	MaxPollInterval time.Duration
	// RetryAfter, if set, tells how long the CA asked to wait in its latest
	// answer for a URL (see RetryAfterRecorder); authorization polls then
	// follow it instead. It must return each hint once (a second call for
	// the same URL finds none until the CA answers again): the reconciler
	// drops a stale hint by calling it (dropHint).
	RetryAfter func(url string) (time.Duration, bool)
	// SelfCheckInterval is the pause between failed DNS-01 self-checks, and
	// the longest pause between failed HTTP-01 and TLS-ALPN-01 ones, which
	// start at PollInterval and double. If 0, 2s.
	SelfCheckInterval time.Duration
	// SelfCheckTimeout is how long after PresentedAt the self-check may keep
	// failing before the challenge fails (errored). If 0, 5m.
	SelfCheckTimeout time.Duration
	// Issuers, if set, reads the issuer of each visit while the Store
	// holds the version read before (issuer.Memo); what it returns is
	// read only. If nil, each visit decodes it.
	Issuers *issuer.Memo
	// AttemptTimeout bounds one self-check attempt and one ACME request. If 0, 30s.
	AttemptTimeout time.Duration
	// PresentTimeout bounds one Present call; CleanUpTimeout one CleanUp. If 0, 1m.
	PresentTimeout, CleanUpTimeout time.Duration
	// PresentAttempts is how many failed Present attempts (a solver that
	// cannot be built counts as one) fail the challenge (errored), so a
	// persistent failure (a bad TSIG key, an unknown provider) fails the
	// challenge with its reason well before the order's timeout. If 0, 4.
	PresentAttempts int
	// PresentRetryInterval is the pause after the first failed Present; it
	// doubles after each further failure. If 0, 5s (with the default
	// PresentAttempts the challenge fails about 35s after its first attempt).
	PresentRetryInterval time.Duration
	// Timeout is how long after its creation a challenge may stay unfinished
	// before it fails (errored) and is cleaned up. If 0, 30m.
	Timeout time.Duration
	// LockOwner prefixes the owner token of the reconciler's claims (Store
	// leases) when the Manager gives none (reconcile.Deps.Owner is empty;
	// when set, that one token per Manager is used); the challenge's
	// namespace and name are appended so that two challenges for one
	// DNS-01 record name exclude each other even in one process. If both
	// are empty, a random token.
	LockOwner string
	// LockTTL is the lease of a Present or CleanUp claim (for DNS-01 the
	// record lock). If 0, 2m; it is raised to 30s more than 4/3 of the longer of
	// PresentTimeout and CleanUpTimeout. A dead owner's claim blocks the
	// step this long.
	LockTTL time.Duration
	// LockRetry is the pause before trying again when a claim is held by
	// someone else. If 0, 500ms.
	LockRetry time.Duration
	// AccountGone is told when the CA answers accountDoesNotExist for the
	// issuer named by the argument. If nil, such challenges just fail.
	AccountGone func(issuer meta.Ref)
}

func (o Options) withDefaults(owner string) Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	acmeproto.PollOptions(&o.FirstPolls, &o.PollInterval, &o.MaxPollInterval)
	def(&o.SelfCheckInterval, 2*time.Second)
	def(&o.SelfCheckTimeout, 5*time.Minute)
	def(&o.AttemptTimeout, 30*time.Second)
	def(&o.PresentTimeout, time.Minute)
	def(&o.CleanUpTimeout, time.Minute)
	def(&o.Timeout, 30*time.Minute)
	def(&o.LockTTL, 2*time.Minute)
	// The lease must outlive the call it protects.
	// (an effect's context ends at 3/4 of its claim's TTL).
	if m := max(o.PresentTimeout, o.CleanUpTimeout)*4/3 + 30*time.Second; o.LockTTL < m {
		o.LockTTL = m
	}
	def(&o.LockRetry, 500*time.Millisecond)
	def(&o.PresentRetryInterval, 5*time.Second)
	if o.PresentAttempts <= 0 {
		o.PresentAttempts = 4
	}
	if owner != "" {
		o.LockOwner = owner
	}
	if o.LockOwner == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.LockOwner = hex.EncodeToString(b[:])
	}
	return o
}
