package order

import (
	"crypto/rand"
	"encoding/hex"
	"github.com/certflow/certflow/meta"
	"time"

	"github.com/certflow/certflow/challenge"
)

// Options configure the order reconciler. Clients is required; every other
// zero field takes the documented default.
type Options struct {
	// Clients gives the registered ACME client of the order's issuer.
	Clients challenge.ClientSource
	// Timeout is how long after its creation an Order may take to become
	// valid; then it fails (errored) with a reason. If 0, 10m.
	Timeout time.Duration
	// PollInterval is the pause between looks at the CA while the
	// certificate is being issued, and between attempts to take a lock. If
	// 0, 1s.
	PollInterval time.Duration
	// PendingPollInterval is the pause between looks at the CA while
	// Challenges are being solved. The Manager re-runs the order whenever
	// one of its Challenges changes, so this is only a fallback. If 0, 5s.
	PendingPollInterval time.Duration
	// RetryAfter, if set, tells how long the CA asked to wait in its latest
	// answer for a URL (see challenge.RetryAfterRecorder); order polls then
	// follow it instead of PollInterval.
	RetryAfter func(url string) (time.Duration, bool)
	// NoSolverRetry is the pause before looking again at an authorization
	// no solver matches (the issuer may be fixed meanwhile). If 0, 1m.
	NoSolverRetry time.Duration
	// RequestTimeout bounds one ACME request. If 0, 30s.
	RequestTimeout time.Duration
	// LockOwner identifies this process in the Store lock taken around
	// newOrder. If empty, a random token (one per reconciler).
	LockOwner string
	// LockTTL is the lease of that lock. If 0, RequestTimeout + 30s.
	LockTTL time.Duration
	// FinalizeTimeout bounds finalize plus waiting for issuance within one
	// visit; past it the order is looked at again later. If 0, 1m.
	FinalizeTimeout time.Duration
	// AccountGone is told when the CA answers accountDoesNotExist for the
	// issuer named by the argument, so the issuer can register again. If
	// nil, such orders just fail.
	AccountGone func(issuer meta.Ref)
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Timeout, 10*time.Minute)
	def(&o.PollInterval, time.Second)
	def(&o.PendingPollInterval, 5*time.Second)
	def(&o.NoSolverRetry, time.Minute)
	def(&o.RequestTimeout, 30*time.Second)
	def(&o.FinalizeTimeout, time.Minute)
	def(&o.LockTTL, o.RequestTimeout+30*time.Second)
	if o.LockOwner == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.LockOwner = hex.EncodeToString(b[:])
	}
	return o
}
