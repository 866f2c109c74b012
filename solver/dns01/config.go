package dns01

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/miekg/dns"

	"github.com/certflow/certflow/clock"
)

// Defaults for the zero values of Config.
const (
	DefaultNameserverPort = 53
	DefaultQueryTimeout   = 2 * time.Second
	DefaultPollInterval   = 2 * time.Second
	DefaultTimeout        = 2 * time.Minute
	DefaultMaxCNAMEHops   = 8
)

// ErrNoResolvers is returned by New when Config.Resolvers is empty: there is
// deliberately no silent public default.
var ErrNoResolvers = errors.New("dns01: no resolvers configured")

// NSResolverFunc returns the addresses of a nameserver host (canonical, with
// a trailing dot). Each entry is an IP address, queried on
// Config.NameserverPort, or an "ip:port" that overrides it.
type NSResolverFunc func(ctx context.Context, host string) ([]string, error)

// QueryHook is told about every query the Checker sends, after its reply or
// error arrives. proto is "udp" or "tcp". A Check queries nameservers in
// parallel, so the hook must be safe for concurrent use.
type QueryHook func(server, proto string, q dns.Question, r *dns.Msg, err error)

// Config configures a Checker. Only Resolvers is required.
type Config struct {
	// Resolvers are host:port addresses (port 53 if omitted) of the
	// resolvers used to find zones (SOA), their NS sets, NS host addresses
	// and CNAME chains. They are tried in order. They should be recursive,
	// or authoritative for every zone involved (a referral is not followed).
	// Required: New returns ErrNoResolvers when empty.
	Resolvers []string
	// NameserverPort is the port on which authoritative nameservers are
	// queried directly. If 0, DefaultNameserverPort (53).
	NameserverPort int
	// NSResolver resolves NS host names to addresses. If nil, A records (then
	// AAAA records, if there is no A) are looked up through Resolvers —
	// never through the system resolver.
	NSResolver NSResolverFunc
	// QueryTimeout bounds one query (and its TCP retry). If 0, DefaultQueryTimeout.
	QueryTimeout time.Duration
	// PollInterval is the pause between attempts in Wait. If 0, DefaultPollInterval.
	PollInterval time.Duration
	// Timeout bounds a whole Wait. If 0, DefaultTimeout.
	Timeout time.Duration
	// MaxCNAMEHops is the longest CNAME chain followed. If 0, DefaultMaxCNAMEHops.
	MaxCNAMEHops int
	// Clock paces Wait. If nil, clock.Real.
	Clock clock.Clock
	// OnQuery, if set, observes every query sent (for metrics and tests).
	OnQuery QueryHook
}

func (c Config) withDefaults() (Config, error) {
	if len(c.Resolvers) == 0 {
		return c, ErrNoResolvers
	}
	rs := make([]string, 0, len(c.Resolvers))
	for _, r := range c.Resolvers {
		a, err := withPort(r, DefaultNameserverPort)
		if err != nil {
			return c, fmt.Errorf("dns01: resolver %q: %w", r, err)
		}
		rs = append(rs, a)
	}
	c.Resolvers = rs
	if c.NameserverPort == 0 {
		c.NameserverPort = DefaultNameserverPort
	}
	if c.NameserverPort < 0 || c.NameserverPort > 65535 {
		return c, fmt.Errorf("dns01: nameserver port %d out of range", c.NameserverPort)
	}
	if c.QueryTimeout <= 0 {
		c.QueryTimeout = DefaultQueryTimeout
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxCNAMEHops <= 0 {
		c.MaxCNAMEHops = DefaultMaxCNAMEHops
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	return c, nil
}

// withPort returns addr as host:port, adding port when addr has none.
func withPort(addr string, port int) (string, error) {
	if addr == "" {
		return "", errors.New("empty address")
	}
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr, nil
	}
	if ip := net.ParseIP(trimBrackets(addr)); ip != nil {
		return net.JoinHostPort(ip.String(), fmt.Sprint(port)), nil
	}
	return net.JoinHostPort(addr, fmt.Sprint(port)), nil
}

func trimBrackets(s string) string {
	if len(s) > 1 && s[0] == '[' && s[len(s)-1] == ']' {
		return s[1 : len(s)-1]
	}
	return s
}
