package certflow

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/events"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/dns01"
	"github.com/certflow/certflow/store"
)

// Config configures a Manager. Every zero value is a documented default;
// only Store is required.
type Config struct {
	// Store persists every object. Required.
	Store store.Store
	// Clock is the time source of every decision. If nil, clock.Real. Give
	// the Store the same clock: order and challenge deadlines compare it
	// with the CreationTime the Store stamps.
	Clock clock.Clock
	// Logger receives structured logs. If nil, logs are discarded.
	Logger *slog.Logger
	// Approver decides on CertificateRequests. If nil, every request is approved.
	Approver request.Approver
	// HTTPClient talks to ACME servers; an issuer's caBundle or
	// skipTLSVerify clones its transport (which must then be an
	// *http.Transport). If nil, a clone of http.DefaultTransport keeping two
	// idle connections per worker, with a 60 s timeout. Its Timeout bounds
	// each request to a CA, its response body included, as a deadline on
	// the request's context (a redirect's request gets its own).
	HTTPClient *http.Client
	// Workers is how many objects are reconciled at once. If zero, 8, or
	// 4×ACME.MaxInFlightPerAccount when that is more, so the ACME calls of
	// one account never hold every worker (its other work waits for none).
	Workers int
	// BackoffMin and BackoffMax bound the exponential wait after a failed
	// issuance (min, 2·min, 4·min, … up to max). If zero, 1 hour and 32 hours (cert-manager's).
	BackoffMin, BackoffMax time.Duration
	// ClusterResourceNamespace holds Secrets referenced by ClusterIssuers.
	// If empty, "certflow".
	ClusterResourceNamespace string
	// DNS01Providers builds DNS-01 solvers, keyed by the name
	// solver.DNS01Config.Provider returns ("rfc2136", "route53", or a webhook
	// solverName). If nil, only rfc2136 is available.
	DNS01Providers map[string]solver.DNS01Provider
	// DefaultServerName is served to TLS clients that send no SNI, unless a
	// certificate has the address they connected to as an IP SAN (clients
	// connecting by IP send none): that one is served. If empty, other such
	// handshakes fail.
	DefaultServerName string
	// ReconcileTimeout bounds one reconcile of one object: its context ends
	// after this long (real time: it bounds I/O, not a decision), the
	// reconcile fails and is retried with backoff, so an outside party that
	// never answers cannot hold a worker. Every step a reconciler takes has
	// its own shorter bound; this is the backstop. If zero, 2 minutes.
	ReconcileTimeout time.Duration
	// Observer, if set, is told of every decision of the Certificate,
	// CertificateRequest, Order and Challenge reconcilers (the snapshot it
	// saw, the plan it made) and of how its execution ended: to record a run
	// for replay, or to audit. It must be safe for concurrent use. If nil,
	// nothing is told.
	Observer reconcile.Observer
	// ShareWork divides the Certificates among the Managers sharing the
	// Store: each announces itself with a Replica object in
	// ClusterResourceNamespace (rewritten every second, deleted when Run
	// returns) and reconciles only the Certificates that rendezvous hashing
	// over the live replicas gives it, with everything issued for them;
	// a replica not heard of for 3 seconds leaves its share to the others.
	// Every replica still serves every certificate and answers every
	// challenge. If false, every Manager reconciles everything, and only
	// the claims keep each step the CA sees to one replica.
	ShareWork bool
	// EventsPerObject bounds the events stored per object (Event objects
	// in the Store, shown by Status and Events); the least recent go
	// first. If zero, 20.
	EventsPerObject int
	// EventMaxAge is how long an event is kept after it last happened.
	// If zero, 1 hour (kube-apiserver's --event-ttl).
	EventMaxAge time.Duration
	// ACME tunes the ACME path.
	ACME ACMEConfig
	// OnDemand, if set, issues a certificate at the first handshake for a
	// name no certificate serves, when its policy allows (see
	// OnDemandConfig). If nil, such a handshake fails.
	OnDemand *OnDemandConfig
}

// ACMEConfig tunes orders and challenges. Zero values are defaults.
type ACMEConfig struct {
	// OrderTimeout fails an order not valid this long after creation. If zero, 10 minutes.
	OrderTimeout time.Duration
	// HTTP01Port is the port the HTTP-01 self-check dials. If zero, 80.
	HTTP01Port int
	// TLSALPN01Port is the port the TLS-ALPN-01 self-check dials. If zero, 443.
	TLSALPN01Port int
	// SelfCheckTimeout bounds a challenge's self-check. If zero, 2 minutes.
	SelfCheckTimeout time.Duration
	// DNS01Check configures the DNS-01 propagation check that runs before a
	// challenge is accepted: every authoritative nameserver must serve the
	// record. If DNS01Check.Resolvers is empty, there is no DNS-01 self-check
	// and the CA's validation is the only check.
	DNS01Check dns01.Config
	// Dial opens the self-check connections of HTTP-01 and TLS-ALPN-01. If
	// nil, a net.Dialer (the system resolver) is used.
	Dial solver.DialFunc
	// MaxInFlightPerAccount bounds the ACME requests one CA account has in
	// flight at once, so CAs that hold requests open cannot take every
	// worker: k stalled accounts hold at most k×MaxInFlightPerAccount
	// workers. If zero, max(2, Workers/4).
	MaxInFlightPerAccount int
	// NoRenewalInfo turns ACME Renewal Information (RFC 9773) off: no
	// certificate asks its CA for a renewal window, and renewals happen at
	// the time renewBefore gives. If false (the default), every certificate
	// of an ACME issuer whose CA offers ARI renews inside the CA's window.
	NoRenewalInfo bool
}

// ErrInvalidConfig is wrapped by New when the Config cannot work.
var ErrInvalidConfig = errors.New("certflow: invalid config")

func (c *Config) withDefaults() Config {
	out := *c
	if out.Clock == nil {
		out.Clock = clock.Real{}
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	if out.Workers == 0 {
		out.Workers = max(8, 4*out.ACME.MaxInFlightPerAccount)
	}
	if out.ACME.MaxInFlightPerAccount == 0 {
		out.ACME.MaxInFlightPerAccount = max(2, out.Workers/4)
	}
	if out.HTTPClient == nil {
		// One CA is talked to by every worker: keep a connection per worker
		// instead of http.DefaultTransport's two, or TLS handshakes dominate.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 2 * out.Workers
		out.HTTPClient = &http.Client{Transport: tr, Timeout: 60 * time.Second}
	}
	if out.BackoffMin == 0 {
		out.BackoffMin = time.Hour
	}
	if out.BackoffMax == 0 {
		out.BackoffMax = 32 * time.Hour
	}
	if out.ClusterResourceNamespace == "" {
		out.ClusterResourceNamespace = "certflow"
	}
	if out.ReconcileTimeout == 0 {
		out.ReconcileTimeout = 2 * time.Minute
	}
	if out.EventsPerObject == 0 {
		out.EventsPerObject = events.DefaultPerObject
	}
	if out.EventMaxAge == 0 {
		out.EventMaxAge = events.DefaultMaxAge
	}
	if out.ACME.OrderTimeout == 0 {
		out.ACME.OrderTimeout = 10 * time.Minute
	}
	if out.ACME.HTTP01Port == 0 {
		out.ACME.HTTP01Port = 80
	}
	if out.ACME.TLSALPN01Port == 0 {
		out.ACME.TLSALPN01Port = 443
	}
	if out.ACME.SelfCheckTimeout == 0 {
		out.ACME.SelfCheckTimeout = 2 * time.Minute
	}
	return out
}

func (c *Config) validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("Store is required"))
	}
	if c.ReconcileTimeout < 0 {
		errs = append(errs, errors.New("ReconcileTimeout must not be negative"))
	}
	if c.ACME.MaxInFlightPerAccount < 0 {
		errs = append(errs, errors.New("ACME.MaxInFlightPerAccount must not be negative"))
	}
	if c.EventsPerObject < 0 || c.EventMaxAge < 0 {
		errs = append(errs, errors.New("EventsPerObject and EventMaxAge must not be negative"))
	}
	for name, p := range c.DNS01Providers {
		if name == "" || p == nil {
			errs = append(errs, fmt.Errorf("DNS01Providers[%q]: a provider needs a name and must not be nil", name))
		}
	}
	if c.Workers < 0 {
		errs = append(errs, errors.New("Workers must not be negative"))
	}
	if c.BackoffMin < 0 || c.BackoffMax < 0 || (c.BackoffMax != 0 && c.BackoffMin > c.BackoffMax) {
		errs = append(errs, errors.New("BackoffMin must be ≤ BackoffMax and both non-negative"))
	}
	if c.OnDemand != nil {
		errs = append(errs, c.OnDemand.problems()...)
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(append([]error{ErrInvalidConfig}, errs...)...)
}
