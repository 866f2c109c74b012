package route53_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/solver/route53"
	"github.com/certflow/certflow/solver/route53/route53test"
)

func TestZoneLookupPicksLongestPublicZone(t *testing.T) {
	srv := route53test.NewServer(t,
		route53test.Zone{ID: "ZCOM", Name: "example.com"},
		route53test.Zone{ID: "ZSUB", Name: "sub.example.com."},
		route53test.Zone{ID: "ZPRIV", Name: "deep.sub.example.com", Private: true},
		route53test.Zone{ID: "ZOTHER", Name: "sub.example.org"},
	)
	cfg, secrets := staticConfig()
	s := newSolver(t, testProvider(srv), cfg, secrets)
	tests := []struct {
		identifier, zoneID string
	}{
		{"www.deep.sub.example.com", "ZSUB"}, // private twin skipped
		{"sub.example.com", "ZSUB"},
		{"a.b.example.com", "ZCOM"},
		{"example.com", "ZCOM"},
		{"x.sub.example.org", "ZOTHER"},
	}
	for _, tt := range tests {
		t.Run(tt.identifier, func(t *testing.T) {
			ch := challenge(tt.identifier, false, "ka-"+tt.identifier)
			require.NoError(t, s.Present(testCtx(t), ch))
			_, values, ok := srv.RecordSet(tt.zoneID, ch.DNS01Name(), "TXT")
			require.True(t, ok)
			assert.Equal(t, []string{`"` + ch.DNS01Value() + `"`}, values)
		})
	}
}

func TestZoneLookupWithoutMatchIsErrNoHostedZone(t *testing.T) {
	srv := route53test.NewServer(t,
		route53test.Zone{Name: "example.com"},
		route53test.Zone{Name: "example.net", Private: true},
	)
	cfg, secrets := staticConfig()
	s := newSolver(t, testProvider(srv), cfg, secrets)

	for _, id := range []string{"www.example.net", "example.org"} {
		err := s.Present(testCtx(t), challenge(id, false, "ka"))
		assert.ErrorIs(t, err, route53.ErrNoHostedZone, id)
	}
	assert.Zero(t, srv.Calls(route53test.OpChangeResourceRecordSets))
}

// More private twins than one ListHostedZonesByName page (100) sort before
// the public zone of the same name; the lookup must page on to find it.
func TestZoneLookupPagesThroughTwins(t *testing.T) {
	var zones []route53test.Zone
	for i := range 120 {
		zones = append(zones, route53test.Zone{ID: fmt.Sprintf("ZA%03d", i), Name: "example.com", Private: true})
	}
	zones = append(zones, route53test.Zone{ID: "ZPUBLIC", Name: "example.com"})
	srv := route53test.NewServer(t, zones...)
	cfg, secrets := staticConfig()
	s := newSolver(t, testProvider(srv), cfg, secrets)
	ch := challenge("example.com", false, "ka")

	require.NoError(t, s.Present(testCtx(t), ch))

	_, _, ok := srv.RecordSet("ZPUBLIC", ch.DNS01Name(), "TXT")
	assert.True(t, ok)
	// _acme-challenge.example.com. and example.com. on page 1, then page 2.
	assert.Equal(t, 3, srv.Calls(route53test.OpListHostedZonesByName))
}

func TestExplicitHostedZoneIDSkipsLookup(t *testing.T) {
	for _, id := range []string{"ZTWO", "/hostedzone/ZTWO"} {
		t.Run(id, func(t *testing.T) {
			srv := route53test.NewServer(t,
				route53test.Zone{ID: "ZONE", Name: "example.com"},
				route53test.Zone{ID: "ZTWO", Name: "example.com"},
			)
			cfg, secrets := staticConfig()
			cfg.HostedZoneID = id
			s := newSolver(t, testProvider(srv), cfg, secrets)
			ch := challenge("example.com", false, "ka")

			require.NoError(t, s.Present(testCtx(t), ch))

			_, _, ok := srv.RecordSet("ZTWO", ch.DNS01Name(), "TXT")
			assert.True(t, ok)
			_, _, ok = srv.RecordSet("ZONE", ch.DNS01Name(), "TXT")
			assert.False(t, ok)
			assert.Zero(t, srv.Calls(route53test.OpListHostedZonesByName))
		})
	}
}
