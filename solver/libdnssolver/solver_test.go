package libdnssolver_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/libdns/libdns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/libdnssolver"
	"github.com/certflow/certflow/solver/libdnssolver/libdnstest"
)

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func challenge(identifier string, wildcard bool, keyAuth string) solver.Challenge {
	return solver.Challenge{Type: solver.DNS01, Identifier: identifier, Wildcard: wildcard,
		Token: "token-" + keyAuth, KeyAuthorization: keyAuth}
}

func newSolver(t *testing.T, cfg libdnssolver.Config) *libdnssolver.Solver {
	t.Helper()
	s, err := libdnssolver.New(cfg)
	require.NoError(t, err)
	return s
}

// appendDeleteOnly hides the provider's GetRecords.
type appendDeleteOnly struct {
	libdns.RecordAppender
	libdns.RecordDeleter
}

type sink map[string][]string

func (s sink) SetTXT(name string, values ...string) { s[name] = values }

func TestPresentWritesRelativeNameWithTTL60(t *testing.T) {
	dns := libdnstest.New("example.com.")
	s := newSolver(t, libdnssolver.Config{Provider: dns, Zone: "Example.COM"})
	ch := challenge("www.example.com", false, "ka")

	require.NoError(t, s.Present(testCtx(t), ch))

	recs, err := dns.GetRecords(testCtx(t), "example.com.")
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, libdns.TXT{Name: "_acme-challenge.www", TTL: 60 * time.Second, Text: ch.DNS01Value()}, recs[0])
	assert.Equal(t, []string{ch.DNS01Value()}, dns.TXT("_acme-challenge.www.example.com"))
}

func TestApexAndWildcardCoexistAndCleanUpSeparately(t *testing.T) {
	dns := libdnstest.New("example.com")
	mirror := sink{}
	dns.PublishTo(mirror)
	s := newSolver(t, libdnssolver.Config{Provider: dns, Zone: "example.com"})
	apex, wild := challenge("example.com", false, "ka-apex"), challenge("example.com", true, "ka-wild")
	const name = "_acme-challenge.example.com."
	ctx := testCtx(t)

	var wg sync.WaitGroup
	var errA, errW error
	wg.Go(func() { errA = s.Present(ctx, apex) })
	wg.Go(func() { errW = s.Present(ctx, wild) })
	wg.Wait()
	require.NoError(t, errA)
	require.NoError(t, errW)
	assert.ElementsMatch(t, []string{apex.DNS01Value(), wild.DNS01Value()}, dns.TXT(name))
	assert.ElementsMatch(t, []string{apex.DNS01Value(), wild.DNS01Value()}, mirror[name])

	require.NoError(t, s.CleanUp(ctx, apex))
	assert.Equal(t, []string{wild.DNS01Value()}, dns.TXT(name))
	assert.Equal(t, []string{wild.DNS01Value()}, mirror[name])

	require.NoError(t, s.CleanUp(ctx, wild))
	assert.Empty(t, dns.TXT(name))
	assert.Empty(t, mirror[name])
}

func TestPresentTwiceAppendsOnceWhenTheProviderCanList(t *testing.T) {
	dns := libdnstest.New("example.com")
	s := newSolver(t, libdnssolver.Config{Provider: dns, Zone: "example.com"})
	ch := challenge("example.com", false, "ka")

	require.NoError(t, s.Present(testCtx(t), ch))
	require.NoError(t, s.Present(testCtx(t), ch))

	assert.Equal(t, []string{ch.DNS01Value()}, dns.TXT("_acme-challenge.example.com"))
	assert.Equal(t, 1, dns.Calls("AppendRecords"))
}

// Without GetRecords the adapter cannot tell; the provider's own answer to
// a duplicate append (here an error, as many APIs give) comes back wrapped.
func TestPresentTwiceWithoutListingSurfacesTheProvidersAnswer(t *testing.T) {
	dns := libdnstest.New("example.com")
	s := newSolver(t, libdnssolver.Config{Provider: appendDeleteOnly{dns, dns}, Zone: "example.com"})
	ch := challenge("example.com", false, "ka")

	require.NoError(t, s.Present(testCtx(t), ch))
	err := s.Present(testCtx(t), ch)

	assert.ErrorIs(t, err, libdnstest.ErrExists)
	assert.Equal(t, []string{ch.DNS01Value()}, dns.TXT("_acme-challenge.example.com"))
}

func TestCleanUpRemovesOnlyItsValueWhateverTheTTL(t *testing.T) {
	dns := libdnstest.New("example.com")
	ch := challenge("example.com", false, "ka")
	_, err := dns.AppendRecords(testCtx(t), "example.com.", []libdns.Record{
		libdns.TXT{Name: "_acme-challenge", TTL: time.Hour, Text: ch.DNS01Value()},
		libdns.TXT{Name: "_acme-challenge", TTL: time.Hour, Text: "foreign"},
	})
	require.NoError(t, err)
	s := newSolver(t, libdnssolver.Config{Provider: appendDeleteOnly{dns, dns}, Zone: "example.com"})

	require.NoError(t, s.CleanUp(testCtx(t), ch))
	require.NoError(t, s.CleanUp(testCtx(t), ch), "absent value is not an error")

	assert.Equal(t, []string{"foreign"}, dns.TXT("_acme-challenge.example.com"))
}

func TestZoneFinder(t *testing.T) {
	dns := libdnstest.New("example.com", "sub.example.com")
	tests := []struct {
		name      string
		ch        solver.Challenge
		find      libdnssolver.ZoneFinder
		wantErr   error
		zone, rel string
	}{
		{"child zone", challenge("www.sub.example.com", false, "ka1"),
			func(context.Context, string) (string, error) { return "sub.example.com.", nil }, nil, "sub.example.com.", "_acme-challenge.www"},
		{"CNAME target at zone apex", solver.Challenge{KeyAuthorization: "ka2", Identifier: "x.org", ResolvedFQDN: "example.com."},
			func(context.Context, string) (string, error) { return "example.com", nil }, nil, "example.com.", "@"},
		{"zone not holding the name", challenge("www.example.org", false, "ka3"),
			func(context.Context, string) (string, error) { return "example.com.", nil }, libdnssolver.ErrNotInZone, "", ""},
		{"finder fails", challenge("www.example.com", false, "ka4"),
			func(context.Context, string) (string, error) { return "", context.DeadlineExceeded }, context.DeadlineExceeded, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked string
			s := newSolver(t, libdnssolver.Config{Provider: dns, FindZone: func(ctx context.Context, fqdn string) (string, error) {
				asked = fqdn
				return tt.find(ctx, fqdn)
			}})

			err := s.Present(testCtx(t), tt.ch)

			assert.Equal(t, tt.ch.RecordName(), asked)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			recs, err := dns.GetRecords(testCtx(t), tt.zone)
			require.NoError(t, err)
			var names []string
			for _, r := range recs {
				names = append(names, r.RR().Name)
			}
			assert.Contains(t, names, tt.rel)
		})
	}
}

func TestProviderErrorsAreWrapped(t *testing.T) {
	dns := libdnstest.New("example.com")
	s := newSolver(t, libdnssolver.Config{Provider: dns, Zone: "example.net"})

	err := s.Present(testCtx(t), challenge("www.example.net", false, "ka"))

	assert.ErrorIs(t, err, libdnstest.ErrNoZone)
	assert.Contains(t, err.Error(), "libdnssolver: present _acme-challenge.www in zone example.net.")
	assert.True(t, errors.Is(s.CleanUp(testCtx(t), challenge("www.example.net", false, "ka")), libdnstest.ErrNoZone))
}

func TestInvalidConfigs(t *testing.T) {
	dns := libdnstest.New("example.com")
	tests := map[string]libdnssolver.Config{
		"no provider":       {Zone: "example.com"},
		"no zone or finder": {Provider: dns},
		"negative TTL":      {Provider: dns, Zone: "example.com", TTL: -time.Second},
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := libdnssolver.New(cfg)
			assert.ErrorIs(t, err, libdnssolver.ErrInvalidConfig)
			_, err = libdnssolver.NewProvider(cfg)
			assert.ErrorIs(t, err, libdnssolver.ErrInvalidConfig)
		})
	}
}
