package dns01

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/dns"
)

// Check makes one bounded attempt: it finds the zone of fqdn, asks every
// address of every authoritative nameserver directly (no recursion) for
// TXT at fqdn, follows a CNAME to its target's zone and nameservers, and
// returns nil only when all of them serve value. Otherwise it returns a
// *PropagationError (errors.Is ErrNotPropagated and/or the servers'
// *QueryError), or an error from finding zones or following CNAMEs.
func (c *Checker) Check(ctx context.Context, fqdn, value string) error {
	name, err := Normalize(fqdn)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for hops := 0; ; hops++ {
		if seen[name] {
			return fmt.Errorf("%w at %s (from %s)", ErrCNAMELoop, name, fqdn)
		}
		seen[name] = true
		results, err := c.checkAt(ctx, name, value)
		if err != nil {
			return err
		}
		target, follow := cnameTarget(results)
		if !follow {
			if allFound(results) {
				return nil
			}
			return newPropagationError(name, results)
		}
		if hops+1 > c.cfg.MaxCNAMEHops {
			return fmt.Errorf("%w: more than %d hops from %s", ErrTooManyCNAMEs, c.cfg.MaxCNAMEHops, fqdn)
		}
		next, err := Normalize(target)
		if err != nil {
			return fmt.Errorf("dns01: CNAME target of %s: %w", name, err)
		}
		name = next
	}
}

// checkAt queries every authoritative address of name's zone, in parallel.
func (c *Checker) checkAt(ctx context.Context, name, value string) ([]ServerResult, error) {
	_, hosts, err := c.FindZone(ctx, name)
	if err != nil {
		return nil, err
	}
	var results []ServerResult
	for _, h := range hosts {
		addrs, err := c.addresses(ctx, h)
		if err != nil {
			results = append(results, ServerResult{Host: h, Addr: "unresolved", Status: StatusFailed, Err: err})
			continue
		}
		for _, a := range addrs {
			results = append(results, ServerResult{Host: h, Addr: a})
		}
	}
	var wg sync.WaitGroup
	for i := range results {
		if results[i].Err != nil {
			continue
		}
		wg.Add(1)
		go func(r *ServerResult) {
			defer wg.Done()
			reply, err := c.exchange(ctx, r.Addr, name, dns.TypeTXT, false)
			evaluate(r, reply, err, name, value)
		}(&results[i])
	}
	wg.Wait()
	return results, nil
}

// evaluate classifies one authoritative answer for TXT at name.
func evaluate(r *ServerResult, reply *dns.Msg, err error, name, value string) {
	switch {
	case err != nil:
		r.Status, r.Err = StatusFailed, err
		return
	case reply.Rcode == dns.RcodeNameError:
		r.Status = StatusNXDomain
		return
	case !reply.Authoritative:
		r.Status, r.Err = StatusFailed, errors.New("answer not authoritative (lame delegation?)")
		return
	}
	var values []string
	for _, rr := range reply.Answer {
		if canonical(rr.Header().Name) != name {
			continue
		}
		switch rr := rr.(type) {
		case *dns.CNAME:
			r.Status, r.Target = StatusCNAME, canonical(rr.Target)
			return
		case *dns.TXT:
			values = append(values, strings.Join(rr.Txt, ""))
		}
	}
	switch {
	case slices.Contains(values, value):
		r.Status = StatusFound
	case len(values) > 0:
		r.Status, r.Values = StatusWrongValue, len(values)
	default:
		r.Status = StatusNoData
	}
}

// cnameTarget returns the CNAME target when every server answered the same
// CNAME; a mix means the chain is not in place everywhere yet.
func cnameTarget(results []ServerResult) (string, bool) {
	target := ""
	for _, r := range results {
		if r.Status != StatusCNAME || (target != "" && r.Target != target) {
			return "", false
		}
		target = r.Target
	}
	return target, target != ""
}

func allFound(results []ServerResult) bool {
	for _, r := range results {
		if r.Status != StatusFound {
			return false
		}
	}
	return len(results) > 0
}

// Wait runs Check every Config.PollInterval until it passes, Config.Timeout
// passes (an error wrapping ErrWaitTimeout and the last check's error) or
// ctx ends. An invalid name fails at once.
func (c *Checker) Wait(ctx context.Context, fqdn, value string) error {
	start := c.cfg.Clock.Now()
	for attempt := 1; ; attempt++ {
		err := c.Check(ctx, fqdn, value)
		if err == nil || errors.Is(err, ErrInvalidName) {
			return err
		}
		if elapsed := c.cfg.Clock.Now().Sub(start); elapsed >= c.cfg.Timeout {
			return fmt.Errorf("%w after %s (%d attempts): %w", ErrWaitTimeout, elapsed.Round(1e6), attempt, err)
		}
		if serr := c.sleep(ctx, c.cfg.PollInterval); serr != nil {
			return fmt.Errorf("dns01: wait %s: %w; last check: %w", fqdn, serr, err)
		}
	}
}
