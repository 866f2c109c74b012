package certflow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
)

// OnDemandConfig turns on on-demand issuance: a TLS handshake for a name
// no certificate serves asks the policy (Allow, AskURL) whether the name
// may have one, and if so the name becomes an ordinary Certificate, made
// from Template, that the handshake waits for. Every zero value is a
// documented default; a policy (Allow or AskURL) and Template.Spec.IssuerRef
// are required.
//
// An on-demand Certificate is named "ondemand.<server name>" (or
// "ondemand-<hash>" for a name too long for an object name), keeps its
// certificate in the Secret "<that>-tls", and carries the label
// LabelOnDemand=true and the annotation AnnotationOnDemandName: Status,
// List and the certflow command show it like any other. The Store's
// create-if-absent makes one Certificate per name however many handshakes
// and replicas ask for it at once, and the claims every CA-facing step
// takes make one issuance of it.
type OnDemandConfig struct {
	// Allow decides whether name may get a certificate: nil allows, an
	// error denies (returned, wrapped in ErrOnDemandDenied, to the
	// handshake's GetCertificate). name is lower case, without a trailing
	// dot, a DNS name a CA can issue for and not an IP address. ctx ends
	// after DecisionTimeout. Allow must be safe for concurrent use.
	Allow func(ctx context.Context, name string) error
	// AskURL, like Caddy's on-demand "ask" endpoint, is asked with GET
	// AskURL?domain=<name> (domain= appended to AskURL's query, which is
	// sent as given, so a pre-signed URL stays valid): a 2xx answer within
	// DecisionTimeout allows, any other answer, or none, denies. The body
	// is not trusted (up to 4 KB of it is read, for the connection's
	// reuse). When both
	// Allow and AskURL are set, both must allow.
	AskURL string
	// AskClient sends the AskURL requests. If nil, a client that follows
	// no redirects.
	AskClient *http.Client
	// DecisionTimeout bounds one decision (Allow and the AskURL request).
	// If zero, 5 seconds.
	DecisionTimeout time.Duration

	// Template is what every allowed name becomes: its Namespace (if
	// empty, "default"), Labels, Annotations and Spec are copied; Name,
	// Spec.DNSNames and Spec.SecretName are set for each name (a
	// CommonName, IPAddresses, URIs or EmailAddresses of the template are
	// dropped: the certificate names the server name only).
	// Spec.IssuerRef names the issuer; it is required unless ACME is set.
	Template certificate.Certificate
	// ACME, if set, is the ACME issuer of on-demand certificates, so that
	// a program needs no Issuer of its own: the Manager applies it as the
	// Issuer OnDemandIssuerName in the template's namespace (when Run
	// starts, and again before an issuance while that failed), and the
	// template's IssuerRef names it. Its zero fields default: Server to
	// Let's Encrypt's production directory (LetsEncryptURL),
	// PrivateKeySecretRef to "ondemand-acme-account", Solvers to one
	// TLS-ALPN-01 solver, which TLSConfig answers on the port the
	// handshakes arrive at. Set ACME or Template.Spec.IssuerRef, not both.
	ACME *issuer.ACMEIssuer

	// HandshakeTimeout is how long a handshake waits for its name's
	// certificate before it fails (ErrOnDemandTimeout); issuance goes on,
	// and a later handshake gets the certificate. If zero, 30 seconds.
	// A server's own handshake deadline also bounds the wait: an
	// http.Server allows a TLS handshake ReadHeaderTimeout (else
	// ReadTimeout), so give it at least this long.
	HandshakeTimeout time.Duration
	// DenyTTL is how long a denied name, or one whose issuance failed, is
	// answered from memory, without asking the policy (or the Store)
	// again. If zero, 1 minute. A name refused for the rate limit or a
	// timeout is answered from memory for 5 seconds (at most DenyTTL).
	DenyTTL time.Duration
	// DenyCacheSize bounds the denied names remembered; when it is full
	// the oldest is forgotten. If zero, 10,000.
	DenyCacheSize int
	// RateLimit is how many new Certificates per second on-demand issuance
	// may create, at most Burst at once (a token bucket on the Manager's
	// clock); a name over the limit fails its handshake with
	// ErrOnDemandRateLimited and is asked again at the next one. If zero,
	// DefaultOnDemandRateLimit (one every 6 hours) with a Burst of
	// DefaultOnDemandBurst (10).
	//
	// The limit guards the CA's limits when the policy allows more names
	// than are meant to be issued (a wildcard such as
	// AllowNames("*.example.com") lets any client choose the names): Let's
	// Encrypt issues 50 certificates per registered domain per 7 days and
	// accepts 300 new orders per account per 3 hours, and a week without
	// new certificates for example.com is what a client sending random
	// names would cost under a generous limit (1 per second spent those 50
	// in under a minute). The default allows 10 + 28 = 38 new
	// Certificates a week, under 50 with room for the names applied
	// otherwise. The bucket is per Manager: N replicas sharing a Store
	// allow N times the rate (and N bursts), so divide by the replicas.
	// Raise it when the policy vouches for each name (an AskURL that
	// knows the customers' domains, each a registered domain of its own).
	RateLimit float64
	Burst     int
	// MaxConcurrentPerIssuer bounds the on-demand issuances one issuer has
	// in flight at once in this Manager; the others wait their turn within
	// their handshake's timeout. If zero, 10.
	MaxConcurrentPerIssuer int
	// MaxPending bounds the distinct names being decided or issued at
	// once; a handshake for one more fails at once with ErrOnDemandBusy, so
	// a flood of random names holds bounded memory. If zero, 1000.
	MaxPending int
	// IdleTimeout, if not zero, deletes an on-demand Certificate and its
	// Secret when no handshake has asked for its name for this long (on
	// any replica sharing the Store: each records the last use in the
	// annotation AnnotationOnDemandLastUsed at most every IdleTimeout/4).
	// If zero, on-demand Certificates stay until deleted.
	IdleTimeout time.Duration
}

// The default on-demand rate limit (see OnDemandConfig.RateLimit): a
// burst of 10 new Certificates, then one every 6 hours, which keeps one
// replica's week (10 + 28) under Let's Encrypt's 50 certificates per
// registered domain per 7 days, and far under its 300 new orders per
// account per 3 hours.
const (
	DefaultOnDemandRateLimit = 1.0 / (6 * 60 * 60) // per second
	DefaultOnDemandBurst     = 10
)

// OnDemandIssuerName is the Issuer OnDemandConfig.ACME becomes.
const OnDemandIssuerName = "ondemand"

// LetsEncryptURL is Let's Encrypt's production ACME directory.
const LetsEncryptURL = "https://acme-v02.api.letsencrypt.org/directory"

// Labels and annotations on on-demand Certificates.
const (
	// LabelOnDemand is "true" on every Certificate on-demand issuance
	// created: `certflow get certificates -l certflow.io/on-demand=true`.
	LabelOnDemand = "certflow.io/on-demand"
	// AnnotationOnDemandName holds the server name the Certificate was
	// made for.
	AnnotationOnDemandName = "certflow.io/on-demand-name"
	// AnnotationOnDemandLastUsed holds the last time (RFC 3339) some
	// replica served the name, when IdleTimeout is set.
	AnnotationOnDemandLastUsed = "certflow.io/on-demand-last-used"
)

// Errors of on-demand issuance, returned by GetCertificate (errors.Is).
var (
	// ErrOnDemandDenied: the policy did not allow the name (or could not
	// be asked); the denial is remembered for DenyTTL.
	ErrOnDemandDenied = errors.New("certflow: on-demand: name not allowed")
	// ErrOnDemandInvalidName: the server name is not a DNS name a CA
	// issues for (an IP address, a single label, a character outside
	// letters, digits and '-', a label or name too long).
	ErrOnDemandInvalidName = errors.New("certflow: on-demand: not a DNS name a certificate can be issued for")
	// ErrOnDemandRateLimited: RateLimit allowed no new Certificate.
	ErrOnDemandRateLimited = errors.New("certflow: on-demand: rate limit reached")
	// ErrOnDemandBusy: MaxPending names are already being decided or issued.
	ErrOnDemandBusy = errors.New("certflow: on-demand: too many names pending")
	// ErrOnDemandTimeout: the certificate was not issued within
	// HandshakeTimeout.
	ErrOnDemandTimeout = errors.New("certflow: on-demand: certificate not issued in time")
)

// withDefaults returns c with its zero values replaced by defaults.
func (c OnDemandConfig) withDefaults() OnDemandConfig {
	if c.DecisionTimeout == 0 {
		c.DecisionTimeout = 5 * time.Second
	}
	if c.AskClient == nil {
		c.AskClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if c.Template.ObjectMeta.Namespace == "" {
		c.Template.ObjectMeta.Namespace = "default"
	}
	if c.ACME != nil {
		acme := *c.ACME
		if acme.Server == "" {
			acme.Server = LetsEncryptURL
		}
		if acme.PrivateKeySecretRef.Name == "" {
			acme.PrivateKeySecretRef.Name = OnDemandIssuerName + "-acme-account"
		}
		if len(acme.Solvers) == 0 {
			acme.Solvers = []solver.Config{{TLSALPN01: &solver.TLSALPN01Config{}}}
		}
		c.ACME = &acme
		c.Template.Spec.IssuerRef = meta.IssuerRef{Kind: meta.KindIssuer, Name: OnDemandIssuerName}
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = 30 * time.Second
	}
	if c.DenyTTL == 0 {
		c.DenyTTL = time.Minute
	}
	if c.DenyCacheSize == 0 {
		c.DenyCacheSize = 10_000
	}
	if c.RateLimit == 0 {
		c.RateLimit = DefaultOnDemandRateLimit
	}
	if c.Burst == 0 {
		c.Burst = DefaultOnDemandBurst
	}
	if c.MaxConcurrentPerIssuer == 0 {
		c.MaxConcurrentPerIssuer = 10
	}
	if c.MaxPending == 0 {
		c.MaxPending = 1000
	}
	return c
}

// problems lists what keeps c from working.
func (c *OnDemandConfig) problems() []error {
	var errs []error
	if c.Allow == nil && c.AskURL == "" {
		errs = append(errs, errors.New("OnDemand needs a policy: Allow or AskURL (without one any name a client sends would be issued)"))
	}
	if c.AskURL != "" {
		if u, err := url.Parse(c.AskURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("OnDemand.AskURL %q must be an http or https URL", c.AskURL))
		}
	}
	switch {
	case c.Template.Spec.IssuerRef.Name == "" && c.ACME == nil:
		errs = append(errs, errors.New("OnDemand needs an issuer: Template.Spec.IssuerRef or ACME"))
	case c.Template.Spec.IssuerRef.Name != "" && c.ACME != nil:
		errs = append(errs, errors.New("OnDemand: set Template.Spec.IssuerRef or ACME, not both"))
	}
	if c.DecisionTimeout < 0 || c.HandshakeTimeout < 0 || c.DenyTTL < 0 || c.IdleTimeout < 0 {
		errs = append(errs, errors.New("OnDemand timeouts and TTLs must not be negative"))
	}
	if c.DenyCacheSize < 0 || c.RateLimit < 0 || c.Burst < 0 || c.MaxConcurrentPerIssuer < 0 || c.MaxPending < 0 {
		errs = append(errs, errors.New("OnDemand limits must not be negative"))
	}
	return errs
}
