package acmetest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"net"
	"time"
)

// ErrInvalidOption is wrapped by the error of Start (and InjectFault) when an
// option or a fault has an invalid value.
var ErrInvalidOption = errors.New("acmetest: invalid option")

// Option configures a Server. Options are applied in order; a later option
// overrides an earlier one of the same kind (WithFaults and WithProfile
// accumulate).
type Option func(*config)

// Profile is one of Pebble's certificate profiles (Pebble's ca.Profile).
// The zero value is a profile issuing certificates valid for the Server's
// certificate validity (see WithCertificateValidity).
type Profile struct {
	// Description is shown in the directory's meta.profiles.
	Description string
	// ValidityPeriod is the lifetime of issued certificates, rounded down to
	// whole seconds. Zero means the Server's certificate validity.
	ValidityPeriod time.Duration
	// PromoteCommonName copies the first identifier into the subject CN.
	PromoteCommonName bool
}

// config holds everything the options set. Its zero value plus defaults()
// is the documented default Server.
type config struct {
	alwaysValid     bool
	nonceReject     int
	authzReuse      int
	ordersPerPage   int
	vaSleep         time.Duration
	alternateRoots  int
	chainLength     int
	keyAlgorithm    string
	profiles        map[string]Profile
	validity        time.Duration
	eabKeys         map[string]string
	retryAfterAuthz time.Duration
	retryAfterOrder time.Duration
	httpPort        int
	tlsPort         int
	resolver        string
	answerAAAA      bool
	logger          *log.Logger
	testLog         bool
	faults          []Fault
	domainBlocklist []string
	eabRequired     bool
	strict          bool
	asyncFinalize   bool
	invalid         []error
	ipProfiles      []string
	ipRestricted    bool
}

func defaults() config {
	return config{
		chainLength:   1,
		keyAlgorithm:  "ecdsa",
		ordersPerPage: 3,
		validity:      90 * 24 * time.Hour,
	}
}

func (c *config) invalidf(format string, args ...any) {
	c.invalid = append(c.invalid, fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...))
}

// WithAlwaysValid makes every challenge valid without contacting anything
// (PEBBLE_VA_ALWAYS_VALID). Validation stays asynchronous: clients still poll.
// Default: off, challenges are really validated.
func WithAlwaysValid() Option {
	return func(c *config) { c.alwaysValid = true }
}

// WithNonceRejectPercent makes Pebble reject p% of valid nonces with badNonce
// (PEBBLE_WFE_NONCEREJECT), chosen at random. 0 never rejects (the default,
// unlike Pebble's own 5), 100 always rejects. Use WithFaults for deterministic
// badNonce answers.
func WithNonceRejectPercent(p int) Option {
	return func(c *config) {
		if p < 0 || p > 100 {
			c.invalidf("nonce reject percent %d outside 0..100", p)
		}
		c.nonceReject = p
	}
}

// WithAuthzReusePercent sets how often a new order reuses a valid
// authorization of the same account for the same identifier
// (PEBBLE_AUTHZREUSE). Default 0 (Pebble's own default is 50). 100 always
// reuses. Beware: Pebble v2.10.3 creates a new authorization when
// rand.Intn(100) > p, so even 0 reuses in about 1% of the cases when a valid
// authorization exists.
func WithAuthzReusePercent(p int) Option {
	return func(c *config) {
		if p < 0 || p > 100 {
			c.invalidf("authz reuse percent %d outside 0..100", p)
		}
		c.authzReuse = p
	}
}

// WithOrdersPerPage sets the page size of an account's order list
// (PEBBLE_WFE_ORDERS_PER_PAGE). Default 3, as Pebble.
func WithOrdersPerPage(n int) Option {
	return func(c *config) {
		if n < 1 {
			c.invalidf("orders per page %d < 1", n)
		}
		c.ordersPerPage = n
	}
}

// WithValidationSleep turns on Pebble's random sleep of up to max (whole
// seconds, at least 1) before each validation attempt (PEBBLE_VA_NOSLEEP off,
// PEBBLE_VA_SLEEPTIME). Default: no sleep.
func WithValidationSleep(max time.Duration) Option {
	return func(c *config) {
		if max < time.Second {
			c.invalidf("validation sleep %v < 1s", max)
		}
		c.vaSleep = max
	}
}

// WithAlternateRoots adds n extra issuance hierarchies; certificates then
// offer alternate chains (Link rel="alternate"). Default 0.
func WithAlternateRoots(n int) Option {
	return func(c *config) {
		if n < 0 {
			c.invalidf("alternate roots %d < 0", n)
		}
		c.alternateRoots = n
	}
}

// WithChainLength sets the number of intermediates between root and leaf in
// every hierarchy. Default 1; it must be at least 1.
func WithChainLength(n int) Option {
	return func(c *config) {
		if n < 1 {
			c.invalidf("chain length %d < 1", n)
		}
		c.chainLength = n
	}
}

// WithKeyAlgorithm sets the key type of the CA hierarchies: "ecdsa" (P-256,
// the default, because it starts much faster than RSA) or "rsa" (2048 bit,
// Pebble's own default).
func WithKeyAlgorithm(alg string) Option {
	return func(c *config) {
		if alg != "ecdsa" && alg != "rsa" {
			c.invalidf("key algorithm %q is neither ecdsa nor rsa", alg)
		}
		c.keyAlgorithm = alg
	}
}

// WithProfile adds a certificate profile. Default: one profile named
// "default". Pebble gives an order that names no profile a random one of the
// configured profiles, so configure only those a test means to use.
func WithProfile(name string, p Profile) Option {
	return func(c *config) {
		if name == "" {
			c.invalidf("profile name empty")
		}
		if p.ValidityPeriod < 0 {
			c.invalidf("profile %q validity %v < 0", name, p.ValidityPeriod)
		}
		if c.profiles == nil {
			c.profiles = map[string]Profile{}
		}
		c.profiles[name] = p
	}
}

// WithCertificateValidity sets the lifetime of issued certificates for every
// profile that does not set its own. Default 90 days, as Pebble. At least 1s.
func WithCertificateValidity(d time.Duration) Option {
	return func(c *config) {
		if d < time.Second {
			c.invalidf("certificate validity %v < 1s", d)
		}
		c.validity = d
	}
}

// WithEAB requires External Account Binding at newAccount and registers the
// given MAC keys: key ID → base64url (unpadded) HMAC key. Default: EAB is not
// required. Keys never appear in errors or logs of acmetest.
func WithEAB(keys map[string]string) Option {
	return func(c *config) {
		c.eabRequired = true
		if c.eabKeys == nil {
			c.eabKeys = map[string]string{}
		}
		for kid, key := range keys {
			if _, err := base64.RawURLEncoding.DecodeString(key); err != nil || kid == "" || key == "" {
				c.invalidf("EAB key for ID %q is not non-empty unpadded base64url", kid)
			}
			c.eabKeys[kid] = key
		}
	}
}

// WithRetryAfter makes Pebble send Retry-After (rounded up to whole seconds)
// while an authorization or an order is processing. Zero (the default) sends
// none.
func WithRetryAfter(authz, order time.Duration) Option {
	return func(c *config) {
		if authz < 0 || order < 0 {
			c.invalidf("retry-after must not be negative")
		}
		c.retryAfterAuthz, c.retryAfterOrder = authz, order
	}
}

// WithHTTP01Port sets the port the validation authority connects to for
// HTTP-01 (on the address the DNS resolves the identifier to, 127.0.0.1 by
// default). Serve the key authorization there. Default 0: HTTP-01 validation
// fails (nothing can listen on port 0) unless WithAlwaysValid is set.
func WithHTTP01Port(port int) Option {
	return func(c *config) {
		if port < 0 || port > 65535 {
			c.invalidf("HTTP-01 port %d out of range", port)
		}
		c.httpPort = port
	}
}

// WithTLSALPN01Port sets the port the validation authority connects to for
// TLS-ALPN-01. Default 0: TLS-ALPN-01 validation fails unless WithAlwaysValid
// is set.
func WithTLSALPN01Port(port int) Option {
	return func(c *config) {
		if port < 0 || port > 65535 {
			c.invalidf("TLS-ALPN-01 port %d out of range", port)
		}
		c.tlsPort = port
	}
}

// WithResolver makes the validation authority resolve names (A, AAAA, TXT;
// over TCP) through the DNS server at addr ("host:port") instead of the
// in-process one. The in-process DNS server still runs, so SetTXT and
// friends keep working, but the validation authority does not see it.
// Default: the in-process DNS server.
func WithResolver(addr string) Option {
	return func(c *config) {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			c.invalidf("resolver %q is not host:port", addr)
		}
		c.resolver = addr
	}
}

// WithIPv6Loopback makes the in-process DNS server answer AAAA queries with
// ::1. The validation authority asks AAAA first and connects only to the
// first address, so set it only if the solver under test listens on ::1.
// Default: AAAA answers are empty (NOERROR) and validation uses 127.0.0.1.
func WithIPv6Loopback() Option {
	return func(c *config) { c.answerAAAA = true }
}

// WithLogger sends Pebble's log to l. Default: discarded.
func WithLogger(l *log.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithTestLog makes NewServer send Pebble's log to t.Logf (until the Server
// closes). Start ignores it. Default: discarded.
func WithTestLog() Option {
	return func(c *config) { c.testLog = true }
}

// WithFaults adds faults injected from the first request on. See Fault.
func WithFaults(faults ...Fault) Option {
	return func(c *config) {
		for _, f := range faults {
			if err := f.validate(); err != nil {
				c.invalid = append(c.invalid, err)
			}
		}
		c.faults = append(c.faults, faults...)
	}
}

// WithDomainBlocklist makes newOrder refuse the given names and their
// subdomains (rejectedIdentifier). Default: none.
func WithDomainBlocklist(names ...string) Option {
	return func(c *config) { c.domainBlocklist = append(c.domainBlocklist, names...) }
}

// WithStrict turns on Pebble's strict mode (upcoming breaking API changes).
// Default: off.
func WithStrict() Option {
	return func(c *config) { c.strict = true }
}

// WithAsyncFinalize answers finalize as soon as Pebble does, while the
// certificate is still being issued, so that a client's first poll may find
// the order still processing (x/crypto/acme then sleeps a second). Default:
// acmetest holds Pebble's "processing" answer until the certificate is
// issued (at most finalizeWait), so the client's next poll finds the order
// valid and test timing does not depend on a race.
func WithAsyncFinalize() Option {
	return func(c *config) { c.asyncFinalize = true }
}
