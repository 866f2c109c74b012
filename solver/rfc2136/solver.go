package rfc2136

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/miekg/dns"

	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/dns01"
)

// tsigFudge is how far apart (seconds) the two clocks may be.
const tsigFudge = 300

// Solver presents DNS-01 challenges through RFC 2136 updates. It holds no
// mutable state, is safe for concurrent use and starts nothing.
type Solver struct {
	cfg Config
	// local asks only the configured nameserver: for zone discovery, and
	// for Check when no Checker is configured.
	local *dns01.Checker
}

var (
	_ solver.Solver  = (*Solver)(nil)
	_ solver.Checker = (*Solver)(nil)
)

// New validates cfg and returns a Solver.
func New(cfg Config) (*Solver, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ns := c.Nameserver
	local, err := dns01.New(dns01.Config{
		Resolvers:    []string{ns},
		QueryTimeout: c.Timeout,
		// Every NS host of the zone is taken to be the primary itself.
		NSResolver: func(context.Context, string) ([]string, error) { return []string{ns}, nil },
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return &Solver{cfg: c, local: local}, nil
}

// Present adds the challenge's TXT value at ch.RecordName() (one RR
// inserted, other values left alone). Presenting twice is harmless.
func (s *Solver) Present(ctx context.Context, ch solver.Challenge) error {
	return s.update(ctx, "present", ch)
}

// CleanUp removes the challenge's own TXT value only (an RR with class
// NONE); removing an absent value succeeds.
func (s *Solver) CleanUp(ctx context.Context, ch solver.Challenge) error {
	return s.update(ctx, "cleanup", ch)
}

// Check returns nil once the value is served: by every authoritative
// nameserver when Config.Checker is set, else by the configured nameserver.
func (s *Solver) Check(ctx context.Context, ch solver.Challenge) error {
	if s.cfg.Checker != nil {
		return s.cfg.Checker.Check(ctx, ch.RecordName(), ch.DNS01Value())
	}
	return s.local.Check(ctx, ch.RecordName(), ch.DNS01Value())
}

func (s *Solver) update(ctx context.Context, op string, ch solver.Challenge) error {
	name, err := dns01.Normalize(ch.RecordName())
	if err != nil {
		return fmt.Errorf("rfc2136: %s: %w", op, err)
	}
	zone := s.cfg.Zone
	if zone == "" {
		if zone, err = s.local.ZoneApex(ctx, name); err != nil {
			return fmt.Errorf("rfc2136: %s %s: find zone at %s: %w", op, name, s.cfg.Nameserver, err)
		}
	}
	rr := &dns.TXT{
		Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: s.cfg.TTL},
		Txt: []string{ch.DNS01Value()},
	}
	m := new(dns.Msg)
	m.SetUpdate(zone)
	if op == "present" {
		m.Insert([]dns.RR{rr})
	} else {
		m.Remove([]dns.RR{rr})
	}
	c := &dns.Client{Net: s.cfg.Protocol, Timeout: s.cfg.Timeout}
	if s.cfg.TSIGKeyName != "" {
		// TSIG time is checked against the server's wall clock, so it is
		// the real time, not the injected clock.
		m.SetTsig(s.cfg.TSIGKeyName, s.cfg.TSIGAlgorithm, tsigFudge, time.Now().Unix())
		c.TsigSecret = map[string]string{s.cfg.TSIGKeyName: string(s.cfg.TSIGSecret)}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	reply, _, err := c.ExchangeContext(ctx, m, s.cfg.Nameserver)
	ue := &UpdateError{Op: op, Name: name, Zone: zone, Server: s.cfg.Nameserver, Rcode: -1}
	if reply == nil {
		if err == nil {
			err = errors.New("no reply")
		}
		ue.Cause = err
		return ue
	}
	sentinel, tsigErr := classify(reply, err)
	if sentinel == nil {
		return nil
	}
	ue.Rcode, ue.TSIGError, ue.Err = reply.Rcode, tsigErr, sentinel
	if sentinel == ErrUpdateFailed {
		ue.Cause = err // otherwise the sentinel says it all
	}
	return ue
}
