package dns01

import (
	"context"
	"fmt"

	"github.com/miekg/dns"
)

// EffectiveName follows the CNAME chain from fqdn (normally
// "_acme-challenge.<name>.") through the resolvers and returns the last
// name, canonical, where a TXT record must be written under the
// cnameStrategy Follow. Without a CNAME it returns fqdn normalised. A loop
// or a chain longer than Config.MaxCNAMEHops is an error.
func (c *Checker) EffectiveName(ctx context.Context, fqdn string) (string, error) {
	name, err := Normalize(fqdn)
	if err != nil {
		return "", err
	}
	seen := map[string]bool{name: true}
	for hops := 0; ; hops++ {
		r, err := c.resolve(ctx, name, dns.TypeCNAME)
		if err != nil {
			return "", fmt.Errorf("dns01: follow CNAME from %s: %w", fqdn, err)
		}
		target := ""
		for _, rr := range r.Answer {
			if cn, ok := rr.(*dns.CNAME); ok && canonical(cn.Hdr.Name) == name {
				target = cn.Target
			}
		}
		if target == "" {
			return name, nil
		}
		if hops+1 > c.cfg.MaxCNAMEHops {
			return "", fmt.Errorf("%w: more than %d hops from %s", ErrTooManyCNAMEs, c.cfg.MaxCNAMEHops, fqdn)
		}
		if name, err = Normalize(target); err != nil {
			return "", fmt.Errorf("dns01: CNAME target %q: %w", target, err)
		}
		if seen[name] {
			return "", fmt.Errorf("%w at %s (from %s)", ErrCNAMELoop, name, fqdn)
		}
		seen[name] = true
	}
}
