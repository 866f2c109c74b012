package route53

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
)

// maxZonePages bounds the pages read for zones sharing one name (public and
// private twins); real accounts have a handful.
const maxZonePages = 10

func trimZoneID(id string) string {
	return strings.TrimPrefix(strings.TrimSpace(id), "/hostedzone/")
}

// hostedZone returns the configured zone ID, or that of the longest public
// zone whose name is a suffix of name. ListHostedZonesByName lists zones in
// order of their reversed labels starting at the given name, so a parent
// zone sorts before its child and each candidate suffix is asked for in turn,
// longest first.
func (s *Solver) hostedZone(ctx context.Context, name string) (string, error) {
	if s.zoneID != "" {
		return s.zoneID, nil
	}
	labels := strings.Split(strings.TrimSuffix(name, "."), ".")
	for i := range labels {
		id, err := s.publicZoneNamed(ctx, strings.Join(labels[i:], ".")+".")
		if err != nil || id != "" {
			return id, err
		}
	}
	return "", fmt.Errorf("%w %s", ErrNoHostedZone, name)
}

// publicZoneNamed returns the ID of the first public zone named exactly
// zone, or "" if there is none.
func (s *Solver) publicZoneNamed(ctx context.Context, zone string) (string, error) {
	in := &route53.ListHostedZonesByNameInput{DNSName: aws.String(zone)}
	for range maxZonePages {
		out, err := s.client.ListHostedZonesByName(ctx, in)
		if err != nil {
			return "", fmt.Errorf("list hosted zones by name %s: %w", zone, err)
		}
		for _, z := range out.HostedZones {
			if canonical(aws.ToString(z.Name)) != zone {
				return "", nil // sorted: no more zones of that name
			}
			if z.Config != nil && z.Config.PrivateZone {
				continue // the CA resolves public DNS only
			}
			return trimZoneID(aws.ToString(z.Id)), nil
		}
		if !out.IsTruncated {
			return "", nil
		}
		in = &route53.ListHostedZonesByNameInput{DNSName: out.NextDNSName, HostedZoneId: out.NextHostedZoneId}
	}
	return "", nil
}
