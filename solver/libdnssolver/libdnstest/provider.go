// Package libdnstest is an in-memory libdns provider for tests: it keeps
// records per zone, behaves as libdns v1 specifies (relative names, exact
// match on delete with empty TTL/type/value as wildcards) and mirrors every
// TXT RRset into a RecordSink, such as acmetest's in-process DNS server, so
// a CA can really validate what a solver wrote.
package libdnstest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/libdns/libdns"
)

// ErrNoZone is returned for a zone the Provider was not created with.
var ErrNoZone = errors.New("libdnstest: no such zone")

// ErrExists is returned by AppendRecords for a record that is already
// there, as many provider APIs do.
var ErrExists = errors.New("libdnstest: identical record already exists")

// RecordSink receives the full TXT RRset of a name whenever it changes; no
// values means the set is gone.
type RecordSink interface {
	SetTXT(name string, values ...string)
}

// Provider is an in-memory libdns.RecordGetter, RecordAppender and
// RecordDeleter. It is safe for concurrent use; the zero value has no zones.
type Provider struct {
	mu    sync.Mutex
	zones map[string][]libdns.RR
	sink  RecordSink
	calls map[string]int
}

var (
	_ libdns.RecordGetter   = (*Provider)(nil)
	_ libdns.RecordAppender = (*Provider)(nil)
	_ libdns.RecordDeleter  = (*Provider)(nil)
)

// New returns a Provider serving the given zones (trailing dot optional).
func New(zones ...string) *Provider {
	p := &Provider{zones: map[string][]libdns.RR{}, calls: map[string]int{}}
	for _, z := range zones {
		p.zones[canonical(z)] = nil
	}
	return p
}

// PublishTo mirrors every later TXT change into sink (nil stops). Calls are
// made in commit order under the Provider's lock, so sink MUST NOT call
// back into the Provider.
func (p *Provider) PublishTo(sink RecordSink) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sink = sink
}

// TXT returns the TXT values at fqdn (any case, trailing dot optional) in
// the longest zone holding it, in the order they were added.
func (p *Provider) TXT(fqdn string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	fqdn = canonical(fqdn)
	best := ""
	for z := range p.zones {
		if inZone(fqdn, z) && len(z) > len(best) {
			best = z
		}
	}
	if best == "" {
		return nil
	}
	return txtValues(p.zones[best], fqdn, best)
}

// Calls returns how many times method ("GetRecords", "AppendRecords",
// "DeleteRecords") was called.
func (p *Provider) Calls(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[method]
}

// GetRecords returns every record of zone.
func (p *Provider) GetRecords(ctx context.Context, zone string) ([]libdns.Record, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.countLocked("GetRecords")
	recs, err := p.zoneLocked(ctx, zone)
	if err != nil {
		return nil, err
	}
	return parsed(recs), nil
}

// AppendRecords adds recs to zone; it fails with ErrExists, adding nothing,
// if one of them is already there.
func (p *Provider) AppendRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.countLocked("AppendRecords")
	cur, err := p.zoneLocked(ctx, zone)
	if err != nil {
		return nil, err
	}
	var added []libdns.RR
	for _, r := range recs {
		rr := r.RR()
		if err := checkName(rr.Name); err != nil {
			return nil, err
		}
		for _, c := range slices.Concat(cur, added) {
			if sameRecord(c, rr) {
				return nil, fmt.Errorf("%w: %s %s %q", ErrExists, rr.Name, rr.Type, rr.Data)
			}
		}
		added = append(added, rr)
	}
	z := canonical(zone)
	p.zones[z] = slices.Concat(cur, added)
	p.publishLocked(z, added)
	return parsed(added), nil
}

// DeleteRecords removes the records of zone that match recs: same name,
// and same type, TTL and data unless those are left empty.
func (p *Provider) DeleteRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.countLocked("DeleteRecords")
	cur, err := p.zoneLocked(ctx, zone)
	if err != nil {
		return nil, err
	}
	var kept, deleted []libdns.RR
	for _, c := range cur {
		if slices.ContainsFunc(recs, func(r libdns.Record) bool { return matches(c, r.RR()) }) {
			deleted = append(deleted, c)
		} else {
			kept = append(kept, c)
		}
	}
	z := canonical(zone)
	p.zones[z] = kept
	p.publishLocked(z, deleted)
	return parsed(deleted), nil
}

func (p *Provider) countLocked(method string) {
	if p.calls == nil {
		p.calls = map[string]int{}
	}
	p.calls[method]++
}

func (p *Provider) zoneLocked(ctx context.Context, zone string) ([]libdns.RR, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	recs, ok := p.zones[canonical(zone)]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoZone, zone)
	}
	return recs, nil
}

// publishLocked sends the sink the new TXT set of every name in changed.
func (p *Provider) publishLocked(zone string, changed []libdns.RR) {
	if p.sink == nil {
		return
	}
	var done []string
	for _, rr := range changed {
		fqdn := absolute(rr.Name, zone)
		if rr.Type != "TXT" || slices.Contains(done, fqdn) {
			continue
		}
		done = append(done, fqdn)
		p.sink.SetTXT(fqdn, txtValues(p.zones[zone], fqdn, zone)...)
	}
}

func txtValues(recs []libdns.RR, fqdn, zone string) []string {
	var out []string
	for _, rr := range recs {
		if rr.Type == "TXT" && absolute(rr.Name, zone) == fqdn {
			out = append(out, rr.Data)
		}
	}
	return out
}

// checkName enforces libdns's rule that record names are relative.
func checkName(name string) error {
	if name == "" || strings.HasSuffix(name, ".") {
		return fmt.Errorf("libdnstest: record name %q is not relative to the zone", name)
	}
	return nil
}

func sameRecord(a, b libdns.RR) bool {
	return strings.EqualFold(a.Name, b.Name) && a.Type == b.Type && a.Data == b.Data
}

func matches(have, want libdns.RR) bool {
	return strings.EqualFold(have.Name, want.Name) &&
		(want.Type == "" || want.Type == have.Type) &&
		(want.TTL == 0 || want.TTL == have.TTL) &&
		(want.Data == "" || want.Data == have.Data)
}

// parsed returns type-specific records, as libdns asks implementations to.
func parsed(rrs []libdns.RR) []libdns.Record {
	out := make([]libdns.Record, 0, len(rrs))
	for _, rr := range rrs {
		if r, err := rr.Parse(); err == nil {
			out = append(out, r)
		} else {
			out = append(out, rr)
		}
	}
	return out
}

func canonical(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

func absolute(name, zone string) string {
	if name == "@" {
		return zone
	}
	return strings.ToLower(name) + "." + zone
}

func inZone(fqdn, zone string) bool {
	return fqdn == zone || strings.HasSuffix(fqdn, "."+zone)
}
