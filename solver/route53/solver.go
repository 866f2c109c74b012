package route53

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/keylock"
	"github.com/certflow/certflow/solver"
)

// Defaults for Config and Provider fields left zero.
const (
	// DefaultPollInterval is how often GetChange is polled.
	DefaultPollInterval = 4 * time.Second
	// DefaultTimeout is how long a change may stay PENDING.
	DefaultTimeout = 2 * time.Minute
	// TTL is the TTL, in seconds, of the TXT sets the Solver writes: short,
	// so a resolver that cached an earlier answer sees the new value soon.
	TTL = 60
)

// API is the part of the Route 53 client the Solver uses; *route53.Client
// implements it.
type API interface {
	ListHostedZonesByName(ctx context.Context, in *route53.ListHostedZonesByNameInput, optFns ...func(*route53.Options)) (*route53.ListHostedZonesByNameOutput, error)
	ListResourceRecordSets(ctx context.Context, in *route53.ListResourceRecordSetsInput, optFns ...func(*route53.Options)) (*route53.ListResourceRecordSetsOutput, error)
	ChangeResourceRecordSets(ctx context.Context, in *route53.ChangeResourceRecordSetsInput, optFns ...func(*route53.Options)) (*route53.ChangeResourceRecordSetsOutput, error)
	GetChange(ctx context.Context, in *route53.GetChangeInput, optFns ...func(*route53.Options)) (*route53.GetChangeOutput, error)
}

var _ API = (*route53.Client)(nil)

// Config configures a Solver built directly with New; Provider fills it
// from an issuer's configuration.
type Config struct {
	// Client calls Route 53. Required.
	Client API
	// HostedZoneID is the zone every record is written in ("Z…" or
	// "/hostedzone/Z…"). If empty, the zone is found by name per record.
	HostedZoneID string
	// Clock times the INSYNC wait. If nil, clock.Real is used.
	Clock clock.Clock
	// PollInterval is the pause between GetChange calls. If zero,
	// DefaultPollInterval is used.
	PollInterval time.Duration
	// Timeout bounds the wait for INSYNC. If zero, DefaultTimeout is used.
	Timeout time.Duration
}

// Solver presents DNS-01 challenges as TXT records in Route 53. It is safe
// for concurrent use. The zero value is not usable: build one with New or
// Provider.NewSolver.
type Solver struct {
	client  API
	zoneID  string
	clock   clock.Clock
	poll    time.Duration
	timeout time.Duration
	locks   *keylock.Locks
}

var _ solver.Solver = (*Solver)(nil)

// New returns a Solver with its own per-name locks.
func New(cfg Config) (*Solver, error) {
	if cfg.Client == nil {
		return nil, fmt.Errorf("%w: Client is required", ErrInvalidConfig)
	}
	if cfg.PollInterval < 0 || cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: negative PollInterval or Timeout", ErrInvalidConfig)
	}
	s := &Solver{client: cfg.Client, zoneID: trimZoneID(cfg.HostedZoneID), clock: cfg.Clock,
		poll: cfg.PollInterval, timeout: cfg.Timeout, locks: &keylock.Locks{}}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.poll == 0 {
		s.poll = DefaultPollInterval
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	return s, nil
}

// Present adds the challenge's value to the TXT set at its record name,
// keeping the values already there, and waits until Route 53 reports the
// change INSYNC. Presenting a value that is already there changes nothing.
func (s *Solver) Present(ctx context.Context, ch solver.Challenge) error {
	name := canonical(ch.RecordName())
	if err := s.apply(ctx, name, func(cur *types.ResourceRecordSet) *types.Change {
		return presentChange(name, ch.DNS01Value(), cur)
	}); err != nil {
		return fmt.Errorf("route53: present %s: %w", name, err)
	}
	return nil
}

// CleanUp removes the challenge's value from the TXT set at its record name,
// keeping any other value, and waits until the change is INSYNC. If the
// value is absent it does nothing.
func (s *Solver) CleanUp(ctx context.Context, ch solver.Challenge) error {
	name := canonical(ch.RecordName())
	if err := s.apply(ctx, name, func(cur *types.ResourceRecordSet) *types.Change {
		return cleanUpChange(name, ch.DNS01Value(), cur)
	}); err != nil {
		return fmt.Errorf("route53: clean up %s: %w", name, err)
	}
	return nil
}

// apply reads the TXT set at name, submits the change edit derives from it
// (none if edit returns nil) and waits for it to be INSYNC. The read and the
// write hold the name's lock; the wait does not, so the apex and wildcard
// challenges wait for their changes together.
func (s *Solver) apply(ctx context.Context, name string, edit func(*types.ResourceRecordSet) *types.Change) error {
	zoneID, err := s.hostedZone(ctx, name)
	if err != nil {
		return err
	}
	info, err := s.change(ctx, zoneID, name, edit)
	if err != nil {
		return err
	}
	return s.waitInSync(ctx, info)
}

// maxDeleteAttempts bounds how often a DELETE refused because the set
// changed under it (another writer outside this process) is re-read and
// re-decided.
const maxDeleteAttempts = 3

func (s *Solver) change(ctx context.Context, zoneID, name string, edit func(*types.ResourceRecordSet) *types.Change) (*types.ChangeInfo, error) {
	unlock, err := s.locks.Lock(ctx, name, nil)
	if err != nil {
		return nil, err
	}
	defer unlock()
	for attempt := 1; ; attempt++ {
		cur, err := s.txtSet(ctx, zoneID, name)
		if err != nil {
			return nil, err
		}
		c := edit(cur)
		if c == nil {
			return nil, nil
		}
		out, err := s.client.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
			HostedZoneId: aws.String(zoneID),
			ChangeBatch: &types.ChangeBatch{
				Comment: aws.String("certflow DNS-01"),
				Changes: []types.Change{*c},
			},
		})
		var invalid *types.InvalidChangeBatch
		if err != nil && c.Action == types.ChangeActionDelete && errors.As(err, &invalid) && attempt < maxDeleteAttempts {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s TXT set in zone %s: %w", c.Action, zoneID, err)
		}
		return out.ChangeInfo, nil
	}
}

// txtSet returns the simple-routing TXT set at name, or nil if there is none.
func (s *Solver) txtSet(ctx context.Context, zoneID, name string) (*types.ResourceRecordSet, error) {
	out, err := s.client.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{
		HostedZoneId:    aws.String(zoneID),
		StartRecordName: aws.String(name),
		StartRecordType: types.RRTypeTxt,
		// More than one, because sets with a routing policy share the name.
		MaxItems: aws.Int32(10),
	})
	if err != nil {
		return nil, fmt.Errorf("list TXT set in zone %s: %w", zoneID, err)
	}
	for i := range out.ResourceRecordSets {
		rs := &out.ResourceRecordSets[i]
		if canonical(aws.ToString(rs.Name)) != name || rs.Type != types.RRTypeTxt {
			break // listing is sorted: the set is not there
		}
		if rs.SetIdentifier == nil {
			return rs, nil
		}
	}
	return nil, nil
}

// presentChange decides how Present edits the set cur (nil if none): UPSERT
// the existing values plus value, or nothing if value is already there.
func presentChange(name, value string, cur *types.ResourceRecordSet) *types.Change {
	var values []types.ResourceRecord
	if cur != nil {
		for _, rr := range cur.ResourceRecords {
			if unquoteTXT(aws.ToString(rr.Value)) == value {
				return nil
			}
			values = append(values, rr)
		}
	}
	values = append(values, types.ResourceRecord{Value: aws.String(quoteTXT(value))})
	return upsert(name, values)
}

// cleanUpChange decides how CleanUp edits the set cur: nothing if value is
// absent, DELETE of the exact set if value was its only value, else UPSERT
// of the other values.
func cleanUpChange(name, value string, cur *types.ResourceRecordSet) *types.Change {
	if cur == nil {
		return nil
	}
	var rest []types.ResourceRecord
	for _, rr := range cur.ResourceRecords {
		if unquoteTXT(aws.ToString(rr.Value)) != value {
			rest = append(rest, rr)
		}
	}
	switch {
	case len(rest) == len(cur.ResourceRecords):
		return nil
	case len(rest) == 0:
		// Route 53 deletes a set only when given exactly its TTL and values.
		return &types.Change{Action: types.ChangeActionDelete, ResourceRecordSet: cur}
	}
	return upsert(name, rest)
}

func upsert(name string, values []types.ResourceRecord) *types.Change {
	return &types.Change{
		Action: types.ChangeActionUpsert,
		ResourceRecordSet: &types.ResourceRecordSet{
			Name:            aws.String(name),
			Type:            types.RRTypeTxt,
			TTL:             aws.Int64(TTL),
			ResourceRecords: values,
		},
	}
}
