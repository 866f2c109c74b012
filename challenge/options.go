package challenge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
)

// ClientSource hands out a registered ACME client for an issuer. The client
// should not retry rate-limited (429) requests itself (its RetryBackoff
// should return 0 for them) so that reconcilers can schedule the next
// attempt at the CA's Retry-After instead of blocking a worker.
type ClientSource interface {
	Client(ctx context.Context, iss issuer.Object) (*acme.Client, error)
}

// SolverFunc returns the solver that presents ch (built from
// ch.Spec.Solver). It is called for every Present and CleanUp, so it should
// be cheap (cache providers by config).
type SolverFunc func(ctx context.Context, ch *Challenge) (solver.Solver, error)

// SelfCheckFunc checks once that the CA would see the presented answer. A
// nil error means it would.
type SelfCheckFunc func(ctx context.Context, ch *Challenge, s solver.Solver) error

// Options configure the challenge reconciler. Clients and SolverFor are
// required; every other zero field takes the documented default.
type Options struct {
	// Clients gives the ACME client of the challenge's issuer.
	Clients ClientSource
	// SolverFor gives the solver of a challenge.
	SolverFor SolverFunc
	// SelfCheck overrides the self-check. If nil, the solver's Check is used
	// when it implements solver.Checker; otherwise there is no self-check.
	SelfCheck SelfCheckFunc
	// PollInterval is the pause between polls of the authorization once
	// accepted. If 0, 1s.
	PollInterval time.Duration
	// RetryAfter, if set, tells how long the CA asked to wait in its latest
	// answer for a URL (see RetryAfterRecorder); authorization polls then
	// follow it instead of PollInterval.
	RetryAfter func(url string) (time.Duration, bool)
	// SelfCheckInterval is the pause between failed self-checks. If 0, 2s.
	SelfCheckInterval time.Duration
	// SelfCheckTimeout is how long after PresentedAt the self-check may keep
	// failing before the challenge fails (errored). If 0, 5m.
	SelfCheckTimeout time.Duration
	// AttemptTimeout bounds one self-check attempt and one ACME request. If 0, 30s.
	AttemptTimeout time.Duration
	// PresentTimeout bounds one Present call; CleanUpTimeout one CleanUp. If 0, 1m.
	PresentTimeout, CleanUpTimeout time.Duration
	// Timeout is how long after its creation a challenge may stay unfinished
	// before it fails (errored) and is cleaned up. If 0, 30m.
	Timeout time.Duration
	// LockOwner prefixes the owner token of DNS-01 record locks; the
	// challenge's name is appended so that two challenges for one record
	// name exclude each other even in one process. If empty, a random token.
	LockOwner string
	// LockTTL is the lease of a DNS-01 record lock. If 0, 2m; it is raised
	// to 30s more than the longer of PresentTimeout and CleanUpTimeout.
	LockTTL time.Duration
	// LockRetry is the pause before trying again when a DNS-01 record lock
	// is held by someone else. If 0, 500ms.
	LockRetry time.Duration
	// AccountGone is told when the CA answers accountDoesNotExist for the
	// issuer named by the argument. If nil, such challenges just fail.
	AccountGone func(issuer meta.Ref)
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.PollInterval, time.Second)
	def(&o.SelfCheckInterval, 2*time.Second)
	def(&o.SelfCheckTimeout, 5*time.Minute)
	def(&o.AttemptTimeout, 30*time.Second)
	def(&o.PresentTimeout, time.Minute)
	def(&o.CleanUpTimeout, time.Minute)
	def(&o.Timeout, 30*time.Minute)
	def(&o.LockTTL, 2*time.Minute)
	// The lease must outlive the call it protects.
	if m := max(o.PresentTimeout, o.CleanUpTimeout) + 30*time.Second; o.LockTTL < m {
		o.LockTTL = m
	}
	def(&o.LockRetry, 500*time.Millisecond)
	if o.LockOwner == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.LockOwner = hex.EncodeToString(b[:])
	}
	return o
}
