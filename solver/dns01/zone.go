package dns01

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"

	"github.com/miekg/dns"
)

// ZoneApex returns the zone that holds fqdn by asking the resolvers for
// the SOA of each suffix, from fqdn up. A SOA in the authority section of
// an NXDOMAIN or NODATA reply names the zone at once. REFUSED and SERVFAIL
// move on to the parent; a transport error (e.g. a timeout) ends the walk.
func (c *Checker) ZoneApex(ctx context.Context, fqdn string) (string, error) {
	name, err := Normalize(fqdn)
	if err != nil {
		return "", err
	}
	var last error
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		q := name[off:]
		r, err := c.resolve(ctx, q, dns.TypeSOA)
		if err != nil {
			var qe *QueryError
			if errors.As(err, &qe) && qe.Rcode >= 0 {
				last = err
				continue
			}
			return "", fmt.Errorf("dns01: find zone of %s: %w", name, err)
		}
		if zone, ok := zoneFromReply(r, q); ok {
			return zone, nil
		}
	}
	if last != nil {
		return "", fmt.Errorf("%w for %s: %w", ErrNoZone, name, last)
	}
	return "", fmt.Errorf("%w for %s", ErrNoZone, name)
}

// zoneFromReply reads the zone of q from a reply to "q SOA": a SOA owned
// by q in the answer, or a SOA above q in the authority section. A CNAME
// at q means q is no apex and says nothing about its zone.
func zoneFromReply(r *dns.Msg, q string) (string, bool) {
	for _, rr := range r.Answer {
		switch rr := rr.(type) {
		case *dns.CNAME:
			if canonical(rr.Hdr.Name) == q {
				return "", false
			}
		case *dns.SOA:
			if canonical(rr.Hdr.Name) == q {
				return q, true
			}
		}
	}
	for _, rr := range r.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			z := canonical(soa.Hdr.Name)
			if z != "." && dns.IsSubDomain(z, q) {
				return z, true
			}
		}
	}
	return "", false
}

// FindZone returns the zone holding fqdn and the canonical host names of
// its NS records, sorted.
func (c *Checker) FindZone(ctx context.Context, fqdn string) (zone string, nameservers []string, err error) {
	zone, err = c.ZoneApex(ctx, fqdn)
	if err != nil {
		return "", nil, err
	}
	r, err := c.resolve(ctx, zone, dns.TypeNS)
	if err != nil {
		return "", nil, fmt.Errorf("dns01: NS of %s: %w", zone, err)
	}
	seen := map[string]bool{}
	for _, rr := range r.Answer {
		if ns, ok := rr.(*dns.NS); ok && canonical(ns.Hdr.Name) == zone && !seen[canonical(ns.Ns)] {
			seen[canonical(ns.Ns)] = true
			nameservers = append(nameservers, canonical(ns.Ns))
		}
	}
	if len(nameservers) == 0 {
		return "", nil, fmt.Errorf("%w: %s has no NS records", ErrNoNameservers, zone)
	}
	sort.Strings(nameservers)
	return zone, nameservers, nil
}

// addresses returns the ip:port addresses to query for an NS host.
func (c *Checker) addresses(ctx context.Context, host string) ([]string, error) {
	var ips []string
	if c.cfg.NSResolver != nil {
		var err error
		if ips, err = c.cfg.NSResolver(ctx, host); err != nil {
			return nil, fmt.Errorf("dns01: resolve %s: %w", host, err)
		}
	} else {
		for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
			r, err := c.resolve(ctx, host, qt)
			if err != nil {
				return nil, fmt.Errorf("dns01: resolve %s: %w", host, err)
			}
			for _, rr := range r.Answer {
				switch rr := rr.(type) {
				case *dns.A:
					ips = append(ips, rr.A.String())
				case *dns.AAAA:
					ips = append(ips, rr.AAAA.String())
				}
			}
			if len(ips) > 0 {
				break
			}
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("dns01: resolve %s: no addresses", host)
	}
	port := strconv.Itoa(c.cfg.NameserverPort)
	addrs := make([]string, 0, len(ips))
	for _, ip := range ips {
		if _, _, err := net.SplitHostPort(ip); err == nil {
			addrs = append(addrs, ip)
		} else {
			addrs = append(addrs, net.JoinHostPort(trimBrackets(ip), port))
		}
	}
	return addrs, nil
}

// canonical lower-cases a name and adds the trailing dot; it is for names
// read off the wire, which are already valid.
func canonical(name string) string { return dns.CanonicalName(name) }
