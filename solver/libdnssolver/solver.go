package libdnssolver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/libdns/libdns"

	"github.com/certflow/certflow/internal/dnsname"
	"github.com/certflow/certflow/solver"
)

// DefaultTTL is the TTL of the TXT records the Solver writes: short, so a
// resolver that cached an earlier answer sees the new value soon.
const DefaultTTL = 60 * time.Second

var (
	// ErrInvalidConfig reports a Config that cannot work.
	ErrInvalidConfig = errors.New("libdnssolver: invalid config")
	// ErrNotInZone reports a record name outside the zone it was to be
	// written in.
	ErrNotInZone = errors.New("libdnssolver: record name is not in zone")
)

// RecordProvider is what a libdns provider must implement to solve DNS-01.
// If it also implements libdns.RecordGetter, Present first checks whether
// the value is already there, so presenting twice does not append twice.
type RecordProvider interface {
	libdns.RecordAppender
	libdns.RecordDeleter
}

// ZoneFinder returns the zone (for instance "example.com.") that holds fqdn.
// The DNS-01 checker's FindZone fits once its nameservers are dropped:
//
//	func(ctx context.Context, fqdn string) (string, error) {
//		zone, _, err := checker.FindZone(ctx, fqdn)
//		return zone, err
//	}
type ZoneFinder func(ctx context.Context, fqdn string) (string, error)

// Config configures a Solver.
type Config struct {
	// Provider writes the records. Required.
	Provider RecordProvider
	// Zone, if not empty, is the zone every record is written in (trailing
	// dot optional). If empty, FindZone is asked per record.
	Zone string
	// FindZone finds the zone of a record name when Zone is empty; one of
	// Zone and FindZone is required.
	FindZone ZoneFinder
	// TTL of the records written. If zero, DefaultTTL is used.
	TTL time.Duration
}

// Solver presents DNS-01 challenges through a libdns provider. It is safe
// for concurrent use if the provider is, as libdns requires. The zero value
// is not usable: build one with New.
type Solver struct {
	provider RecordProvider
	zone     string
	findZone ZoneFinder
	ttl      time.Duration
}

var _ solver.Solver = (*Solver)(nil)

// New validates cfg and returns a Solver.
func New(cfg Config) (*Solver, error) {
	if cfg.Provider == nil {
		return nil, fmt.Errorf("%w: Provider is required", ErrInvalidConfig)
	}
	if strings.TrimSpace(cfg.Zone) == "" && cfg.FindZone == nil {
		return nil, fmt.Errorf("%w: one of Zone and FindZone is required", ErrInvalidConfig)
	}
	if cfg.TTL < 0 {
		return nil, fmt.Errorf("%w: negative TTL", ErrInvalidConfig)
	}
	s := &Solver{provider: cfg.Provider, findZone: cfg.FindZone, ttl: cfg.TTL}
	if z := strings.TrimSpace(cfg.Zone); z != "" {
		s.zone = canonical(z)
	}
	if s.ttl == 0 {
		s.ttl = DefaultTTL
	}
	return s, nil
}

// Present appends the challenge's TXT value at its record name, leaving any
// other value there. If the provider can list records and the value is
// already there, it does nothing.
func (s *Solver) Present(ctx context.Context, ch solver.Challenge) error {
	zone, name, err := s.locate(ctx, ch)
	if err != nil {
		return fmt.Errorf("libdnssolver: present: %w", err)
	}
	value := ch.DNS01Value()
	if g, ok := s.provider.(libdns.RecordGetter); ok {
		// A failed listing is not fatal: appending is still right.
		if recs, err := g.GetRecords(ctx, zone); err == nil && hasTXT(recs, name, value) {
			return nil
		}
	}
	rec := libdns.TXT{Name: name, TTL: s.ttl, Text: value}
	if _, err := s.provider.AppendRecords(ctx, zone, []libdns.Record{rec}); err != nil {
		return fmt.Errorf("libdnssolver: present %s in zone %s: %w", name, zone, err)
	}
	return nil
}

// CleanUp deletes the challenge's TXT value at its record name, whatever
// its TTL, leaving any other value there. A value that is not there is not
// an error (libdns ignores it).
func (s *Solver) CleanUp(ctx context.Context, ch solver.Challenge) error {
	zone, name, err := s.locate(ctx, ch)
	if err != nil {
		return fmt.Errorf("libdnssolver: clean up: %w", err)
	}
	// TTL zero matches any TTL in libdns's DeleteRecords.
	rec := libdns.TXT{Name: name, Text: ch.DNS01Value()}
	if _, err := s.provider.DeleteRecords(ctx, zone, []libdns.Record{rec}); err != nil {
		return fmt.Errorf("libdnssolver: clean up %s in zone %s: %w", name, zone, err)
	}
	return nil
}

// locate returns the zone and the record name relative to it ("@" at the apex).
func (s *Solver) locate(ctx context.Context, ch solver.Challenge) (zone, name string, err error) {
	fqdn := canonical(ch.RecordName())
	zone = s.zone
	if zone == "" {
		z, err := s.findZone(ctx, fqdn)
		if err != nil {
			return "", "", fmt.Errorf("find zone of %s: %w", fqdn, err)
		}
		zone = canonical(z)
	}
	name, err = relativeName(fqdn, zone)
	return zone, name, err
}

func relativeName(fqdn, zone string) (string, error) {
	switch {
	case fqdn == zone:
		return "@", nil
	case zone == ".":
		return strings.TrimSuffix(fqdn, "."), nil
	case strings.HasSuffix(fqdn, "."+zone):
		return strings.TrimSuffix(fqdn, "."+zone), nil
	}
	return "", fmt.Errorf("%w: %s in %s", ErrNotInZone, fqdn, zone)
}

// canonical lower-cases name and appends the trailing dot.
func canonical(name string) string {
	return dnsname.Fold(strings.TrimSpace(name)) + "."
}

func hasTXT(recs []libdns.Record, name, value string) bool {
	for _, r := range recs {
		rr := r.RR()
		if rr.Type == "TXT" && strings.EqualFold(rr.Name, name) && rr.Data == value {
			return true
		}
	}
	return false
}
