package order

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/certflow/certflow/internal/acmepost"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
)

// AccountSlots bounds the ACME work of each account at its CA (see
// issuer.ACMEClients.Slot): Slot either hands out a slot, to be released
// when the work ends, or says when to look again and calls wake (once per
// key) when a slot is given back. iss may be shared with other visits
// (Options.Issuers): implementations read it only.
type AccountSlots interface {
	Slot(iss issuer.Object, key string, wake func()) (release func(), retryAt time.Time, ok bool)
}

// AccountHolds is optionally implemented by AccountSlots: until when the
// CA asked the issuer's account to wait (zero: it may send now). An Order
// not opened yet then records that the CA rate limits its account instead
// of waiting silently, so its request can tell (and pass the issuer over
// when the Certificate has another one).
type AccountHolds interface {
	HeldUntil(iss issuer.Object) time.Time
}

// Options configure the order reconciler. Clients is required; every other
// zero field takes the documented default.
type Options struct {
	// Clients gives the registered ACME client of the order's issuer.
	Clients challenge.ClientSource
	// Post sends newOrder and finalize (nonces and the directory kept
	// between calls). If nil, the reconciler keeps its own.
	Post *acmepost.Client
	// Accounts, if set, is asked for a slot of the issuer's account before
	// each ACME call; an order that gets none looks again later instead of
	// holding a worker. If nil, calls are not limited per account.
	Accounts AccountSlots
	// Enqueue, if set, asks the Manager to reconcile an Order soon; an
	// Order that found no slot of its account is enqueued when one is
	// given back. If nil, it looks again after a pause.
	Enqueue func(meta.Ref)
	// Timeout is how long after its creation an Order may take to become
	// valid; then it fails (errored) with a reason. If 0, 10m. An Order
	// that may have been finalized (a finalize is on record, or the CA
	// said processing) is not failed blindly at Timeout, since the CA may
	// still issue and a retry would issue a second certificate for the
	// same names: its ACME order is read under the finalize claim and it
	// fails when the CA says no certificate will come from it (pending, or
	// ready with no finalize taken, or invalid), while a valid one is
	// downloaded. Only IssuingTimeout fails it whatever the CA says.
	Timeout time.Duration
	// IssuingTimeout is the hard cap on an Order that may have been
	// finalized: this long after its creation it fails (errored) even
	// while the CA still says processing or cannot be reached, and,
	// without asking it, when the CA's Retry-After reaches past it. If 0,
	// 24h; never less than Timeout.
	IssuingTimeout time.Duration
	// PollInterval is the first pause between looks at an ACME order that
	// has not moved on yet (issuing, or computing its readiness); the pause
	// doubles up to MaxPollInterval, and the CA's Retry-After wins when it
	// sends one (acmeproto.Poll). The first look after a finalize the CA
	// answered "processing" is immediate. If 0, acmeproto.DefaultFirstPoll
	// (5ms) for an order computing its readiness, and for one the CA is
	// issuing a pause learned per CA (FirstPolls): from 5ms, it shrinks a
	// little after each look following that first pause that found the
	// order issued (halves, until the first that did not) and grows after
	// one that did not (by 2^(1/3), doubling while the misses go on), so
	// that about four in five such looks find the certificate, within
	// [acmeproto.MinFirstPoll, acmeproto.MaxFirstPoll].
	PollInterval time.Duration
	// FirstPolls holds the learned pauses (see PollInterval); the Manager
	// shares one with the challenge reconciler. If nil (and PollInterval is
	// 0), the reconciler keeps its own. Ignored when PollInterval is set.
	FirstPolls *acmeproto.FirstPolls
	// MaxPollInterval bounds that pause. If 0, acmeproto.DefaultMaxPoll (4s).
	MaxPollInterval time.Duration
	// LockRetry is the pause before trying again when another replica holds
	// the order's claim. If 0, 250ms.
	LockRetry time.Duration
	// ErrorBackoff is the pause after a failed ACME call (a 5xx, no
	// answer); it doubles with each consecutive failure up to
	// MaxErrorBackoff, and a longer Retry-After wins. If 0, 2s.
	ErrorBackoff time.Duration
	// MaxErrorBackoff bounds that pause. If 0, 5m.
	MaxErrorBackoff time.Duration
	// PendingPollInterval is the pause between looks at an order while
	// Challenges are being solved. The Manager re-runs the order whenever
	// one of its Challenges changes, so this is only a fallback. If 0, 5s.
	PendingPollInterval time.Duration
	// RetryAfter, if set, tells how long the CA asked to wait in its latest
	// answer for a URL (see challenge.RetryAfterRecorder); order polls then
	// follow it.
	RetryAfter func(url string) (time.Duration, bool)
	// NoSolverRetry is the pause before looking again at an authorization
	// no solver matches (the issuer may be fixed meanwhile). If 0, 1m.
	NoSolverRetry time.Duration
	// RequestTimeout bounds one ACME request. If 0, 30s.
	RequestTimeout time.Duration
	// LockOwner identifies this process in the claims around newOrder and
	// finalize when reconcile.Deps.Owner is empty. If empty, a random token
	// (one per reconciler).
	LockOwner string
	// LockTTL is the lease of the claims around newOrder and finalize. If
	// 0, RequestTimeout + FinalizeTimeout + 30s. Each claim's lease is
	// raised to cover the calls it guards (see reconcile.ClaimTTL): one
	// request for newOrder; finalize, the wait for the chain and choosing
	// it; or reading the order, downloading and choosing the chain.
	LockTTL time.Duration
	// FinalizeTimeout bounds a finalize and the looks at the order that
	// follow it within one visit, until the certificate is issued; past it
	// the order is read again later. If 0, 10s.
	FinalizeTimeout time.Duration
	// AccountGone is told when the CA answers accountDoesNotExist for the
	// issuer named by the argument, so the issuer can register again. If
	// nil, such orders are just retried.
	AccountGone func(issuer meta.Ref)
	// CSRs, if set, parses each Order's CSR once for all its visits (the
	// Manager shares one with the request reconciler). If nil, each use
	// parses it.
	CSRs *pki.CSRMemo
	// Issuers, if set, reads the issuer of each visit while the Store
	// holds the version read before (issuer.Memo); what it returns is
	// read only. If nil, each visit decodes it.
	Issuers *issuer.Memo
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Timeout, 10*time.Minute)
	def(&o.IssuingTimeout, 24*time.Hour)
	o.IssuingTimeout = max(o.IssuingTimeout, o.Timeout)
	acmeproto.PollOptions(&o.FirstPolls, &o.PollInterval, &o.MaxPollInterval)
	def(&o.LockRetry, 250*time.Millisecond)
	def(&o.ErrorBackoff, 2*time.Second)
	def(&o.MaxErrorBackoff, 5*time.Minute)
	o.MaxErrorBackoff = max(o.MaxErrorBackoff, o.ErrorBackoff)
	def(&o.PendingPollInterval, 5*time.Second)
	def(&o.NoSolverRetry, time.Minute)
	def(&o.RequestTimeout, 30*time.Second)
	def(&o.FinalizeTimeout, 10*time.Second)
	def(&o.LockTTL, o.RequestTimeout+o.FinalizeTimeout+30*time.Second)
	if o.LockOwner == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.LockOwner = hex.EncodeToString(b[:])
	}
	return o
}

// The issuer reconciler and its clients tell the account's hold.
var (
	_ AccountHolds = (*issuer.Reconciler)(nil)
	_ AccountHolds = (*issuer.ACMEClients)(nil)
)
