package dns01

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Checker verifies that a DNS-01 TXT value is served by every authoritative
// nameserver of its zone. It is safe for concurrent use and starts nothing.
type Checker struct {
	cfg     Config
	queries atomic.Uint64
	tcp     atomic.Uint64
}

// Stats counts the queries a Checker has sent since New.
type Stats struct {
	// Queries counts every query sent, UDP and TCP.
	Queries uint64
	// TCPRetries counts queries repeated over TCP after a truncated UDP reply.
	TCPRetries uint64
}

// New validates cfg, fills in defaults and returns a Checker.
func New(cfg Config) (*Checker, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Checker{cfg: c}, nil
}

// Stats returns the query counters.
func (c *Checker) Stats() Stats {
	return Stats{Queries: c.queries.Load(), TCPRetries: c.tcp.Load()}
}

// exchange sends one query to server, retrying over TCP when the UDP reply
// is truncated. It returns the reply for NOERROR and NXDOMAIN and a
// *QueryError for anything else.
func (c *Checker) exchange(ctx context.Context, server, name string, qtype uint16, recurse bool) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.QueryTimeout)
	defer cancel()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = recurse
	m.SetEdns0(1232, false)

	r, err := c.send(ctx, "udp", server, m)
	if err == nil && r.Truncated {
		c.tcp.Add(1)
		r, err = c.send(ctx, "tcp", server, m)
	}
	if err != nil {
		return nil, &QueryError{Server: server, Name: name, Qtype: qtype, Rcode: -1, Err: err}
	}
	if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
		return r, &QueryError{Server: server, Name: name, Qtype: qtype, Rcode: r.Rcode, Err: ErrServerFailure}
	}
	return r, nil
}

func (c *Checker) send(ctx context.Context, proto, server string, m *dns.Msg) (*dns.Msg, error) {
	c.queries.Add(1)
	cl := &dns.Client{Net: proto, Timeout: c.cfg.QueryTimeout}
	r, _, err := cl.ExchangeContext(ctx, m, server)
	if err == nil && r == nil {
		err = fmt.Errorf("no reply")
	}
	if c.cfg.OnQuery != nil {
		c.cfg.OnQuery(server, proto, m.Question[0], r, err)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// resolve asks the configured resolvers in order and returns the first
// usable reply (NOERROR or NXDOMAIN), or the last error.
func (c *Checker) resolve(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	var last error
	for _, rs := range c.cfg.Resolvers {
		r, err := c.exchange(ctx, rs, name, qtype, true)
		if err == nil {
			return r, nil
		}
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, last
}

// sleep waits d on the configured clock, or until ctx ends.
func (c *Checker) sleep(ctx context.Context, d time.Duration) error {
	t := c.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}
