package rfc2136

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/dns01"
)

// Defaults for the zero values of Config.
const (
	DefaultTTL     = 60
	DefaultTimeout = 10 * time.Second
)

// Secret is a base64 TSIG secret. It prints as "REDACTED" so that a Config
// logged by mistake does not leak it.
type Secret string

// String hides the secret.
func (Secret) String() string { return "REDACTED" }

// GoString hides the secret from %#v.
func (Secret) GoString() string { return `"REDACTED"` }

// PropagationChecker checks that every authoritative nameserver serves a
// TXT value; *dns01.Checker implements it.
type PropagationChecker interface {
	Check(ctx context.Context, fqdn, value string) error
}

var _ PropagationChecker = (*dns01.Checker)(nil)

// Config configures a Solver. Nameserver is required.
type Config struct {
	// Nameserver is host:port of the primary taking updates (port 53 if
	// omitted); an IPv6 address is written in brackets, as cert-manager requires.
	Nameserver string
	// Zone is the zone to update. If empty, it is found by asking
	// Nameserver for the SOA of each suffix of the record name.
	Zone string
	// TSIGKeyName is the key's name, canonicalised (lower case, trailing
	// dot). If empty, updates are sent unsigned (most servers refuse them).
	TSIGKeyName string
	// TSIGAlgorithm is HMACSHA256 if empty. HMACSHA1/256/512 (as
	// cert-manager spells them, any case) and "hmac-sha256."-style names are
	// accepted; HMACMD5 is refused with ErrUnsupportedAlgorithm.
	TSIGAlgorithm string
	// TSIGSecret is the base64 secret; required when TSIGKeyName is set.
	TSIGSecret Secret
	// Protocol is "udp" (the default when empty) or "tcp".
	Protocol string
	// TTL of the TXT record in seconds. If 0, DefaultTTL (60).
	TTL uint32
	// Timeout bounds one update exchange. If 0, DefaultTimeout.
	Timeout time.Duration
	// Checker backs Solver.Check. If nil, Check asks only Nameserver,
	// which proves the primary took the update, not that secondaries have it.
	Checker PropagationChecker
}

// algorithm maps a configured TSIG algorithm name to miekg/dns's. The set is
// cert-manager's (HMACSHA1, HMACSHA256, HMACSHA512, matched
// case-insensitively; see solver.CanonicalTSIGAlgorithm) without HMACMD5,
// which certflow refuses on purpose; miekg/dns's own names of the same
// algorithms ("hmac-sha256.") are accepted too.
func algorithm(name string) (string, error) {
	switch dns.CanonicalName(strings.TrimSpace(name)) {
	case dns.HmacSHA1, dns.HmacSHA256, dns.HmacSHA512:
		return dns.CanonicalName(strings.TrimSpace(name)), nil
	case dns.HmacMD5:
		name = "HMACMD5"
	}
	c, err := solver.CanonicalTSIGAlgorithm(name)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrUnsupportedAlgorithm, err)
	}
	switch c {
	case "HMACSHA1":
		return dns.HmacSHA1, nil
	case "HMACSHA512":
		return dns.HmacSHA512, nil
	}
	return dns.HmacSHA256, nil
}

func (c Config) withDefaults() (Config, error) {
	if c.Nameserver == "" {
		return c, fmt.Errorf("%w: nameserver is required", ErrInvalidConfig)
	}
	ns, err := solver.ValidNameserver(c.Nameserver)
	if err != nil {
		return c, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	c.Nameserver = ns
	if c.Zone != "" {
		z, err := dns01.Normalize(c.Zone)
		if err != nil {
			return c, fmt.Errorf("%w: zone: %w", ErrInvalidConfig, err)
		}
		c.Zone = z
	}
	alg, err := algorithm(c.TSIGAlgorithm)
	if err != nil {
		return c, err
	}
	c.TSIGAlgorithm = alg
	switch {
	case c.TSIGKeyName == "" && c.TSIGSecret != "":
		return c, fmt.Errorf("%w: a TSIG secret without a key name", ErrInvalidConfig)
	case c.TSIGKeyName != "":
		if _, ok := dns.IsDomainName(c.TSIGKeyName); !ok {
			return c, fmt.Errorf("%w: TSIG key name %q", ErrInvalidConfig, c.TSIGKeyName)
		}
		c.TSIGKeyName = dns.CanonicalName(c.TSIGKeyName)
		c.TSIGSecret = Secret(strings.TrimSpace(string(c.TSIGSecret)))
		if c.TSIGSecret == "" {
			return c, fmt.Errorf("%w: TSIG key %s has no secret", ErrInvalidConfig, c.TSIGKeyName)
		}
		if _, err := base64.StdEncoding.DecodeString(string(c.TSIGSecret)); err != nil {
			// The decoder's error quotes an offset, never the secret; still, say less.
			return c, fmt.Errorf("%w: TSIG secret for %s is not valid base64", ErrInvalidConfig, c.TSIGKeyName)
		}
	}
	switch p := strings.ToLower(c.Protocol); p {
	case "", "udp":
		c.Protocol = "udp"
	case "tcp":
		c.Protocol = "tcp"
	default:
		return c, fmt.Errorf("%w: protocol %q (want udp or tcp)", ErrInvalidConfig, c.Protocol)
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	return c, nil
}
