package acmetest

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// WithIPProfiles makes newOrder refuse IP address identifiers (RFC 8738)
// with rejectedIdentifier unless the order names one of the given
// profiles, as Let's Encrypt issues IP-address certificates only in its
// "shortlived" profile. With no names, no order may hold an IP address.
// Default: every order may (Pebble's behaviour).
func WithIPProfiles(names ...string) Option {
	return func(c *config) {
		c.ipProfiles = append(c.ipProfiles, names...)
		c.ipRestricted = true
	}
}

// ipPolicy is the rule WithIPProfiles sets; the zero value allows every
// order.
type ipPolicy struct {
	restricted bool
	profiles   []string
}

// refusal is the problem detail refusing rec, or "" when it may go on.
func (p ipPolicy) refusal(rec NewOrderRecord) string {
	if !p.restricted || slices.Contains(p.profiles, rec.Profile) {
		return ""
	}
	var ips []string
	for _, v := range rec.Identifiers {
		if _, err := netip.ParseAddr(v); err == nil {
			ips = append(ips, v)
		}
	}
	if len(ips) == 0 {
		return ""
	}
	allowed := "no profile"
	if len(p.profiles) > 0 {
		allowed = "only profile " + strings.Join(p.profiles, ", ")
	}
	return fmt.Sprintf("acmetest: IP address identifiers (%s) are not allowed in profile %q; %s allows them",
		strings.Join(ips, ", "), rec.Profile, allowed)
}

// refuseIPs answers the newOrder request recorded at i with
// rejectedIdentifier if the IP policy refuses it, and reports whether it
// did.
func (f *front) refuseIPs(w http.ResponseWriter, r *http.Request, i int) bool {
	f.mu.Lock()
	detail := f.ips.refusal(f.newOrders[i])
	f.mu.Unlock()
	if detail == "" {
		return false
	}
	f.writeProblem(w, r, http.StatusBadRequest, "rejectedIdentifier", detail)
	f.answeredNewOrder(i, http.StatusBadRequest, "")
	return true
}
