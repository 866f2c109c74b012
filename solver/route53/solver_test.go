package route53_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/solver/route53/route53test"
)

func TestPresentOnEmptyNameCreatesQuotedSetWithTTL60(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{ID: "ZEX", Name: "example.com"})
	cfg, secrets := staticConfig()
	s := newSolver(t, testProvider(srv), cfg, secrets)
	ch := challenge("www.example.com", false, "ka-1")

	require.NoError(t, s.Present(testCtx(t), ch))

	assert.Equal(t, []string{ch.DNS01Value()}, srv.Records("_acme-challenge.www.example.com"))
	ttl, raw, ok := srv.RecordSet("ZEX", "_acme-challenge.www.example.com.", "TXT")
	require.True(t, ok)
	assert.EqualValues(t, 60, ttl)
	assert.Equal(t, []string{`"` + ch.DNS01Value() + `"`}, raw)
	assert.Equal(t, 1, srv.Calls(route53test.OpChangeResourceRecordSets))
}

func TestPresentSecondValueKeepsTheFirst(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{Name: "example.com"})
	cfg, secrets := staticConfig()
	s := newSolver(t, testProvider(srv), cfg, secrets)
	apex, wild := challenge("example.com", false, "ka-apex"), challenge("example.com", true, "ka-wild")

	require.NoError(t, s.Present(testCtx(t), apex))
	require.NoError(t, s.Present(testCtx(t), wild))

	assert.ElementsMatch(t, []string{apex.DNS01Value(), wild.DNS01Value()}, srv.Records("_acme-challenge.example.com."))
}

func TestPresentTwiceChangesOnce(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{Name: "example.com"})
	cfg, secrets := staticConfig()
	s := newSolver(t, testProvider(srv), cfg, secrets)
	ch := challenge("example.com", false, "ka")

	require.NoError(t, s.Present(testCtx(t), ch))
	require.NoError(t, s.Present(testCtx(t), ch))

	assert.Equal(t, []string{ch.DNS01Value()}, srv.Records("_acme-challenge.example.com"))
	assert.Equal(t, 1, srv.Calls(route53test.OpChangeResourceRecordSets))
}

func TestCleanUpOneValueUpsertsTheRemainder(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{ID: "ZEX", Name: "example.com"})
	cfg, secrets := staticConfig()
	s := newSolver(t, testProvider(srv), cfg, secrets)
	apex, wild := challenge("example.com", false, "ka-apex"), challenge("example.com", true, "ka-wild")
	require.NoError(t, s.Present(testCtx(t), apex))
	require.NoError(t, s.Present(testCtx(t), wild))

	require.NoError(t, s.CleanUp(testCtx(t), apex))

	assert.Equal(t, []string{wild.DNS01Value()}, srv.Records("_acme-challenge.example.com"))
	ttl, _, ok := srv.RecordSet("ZEX", "_acme-challenge.example.com", "TXT")
	require.True(t, ok)
	assert.EqualValues(t, 60, ttl)
}

func TestCleanUpLastValueDeletesTheSet(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{ID: "ZEX", Name: "example.com"})
	cfg, secrets := staticConfig()
	s := newSolver(t, testProvider(srv), cfg, secrets)
	ch := challenge("example.com", false, "ka")
	require.NoError(t, s.Present(testCtx(t), ch))

	require.NoError(t, s.CleanUp(testCtx(t), ch))

	_, _, ok := srv.RecordSet("ZEX", "_acme-challenge.example.com", "TXT")
	assert.False(t, ok)
	assert.Empty(t, srv.Records("_acme-challenge.example.com"))
}

func TestCleanUpAbsentValueChangesNothing(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{Name: "example.com"})
	cfg, secrets := staticConfig()
	s := newSolver(t, testProvider(srv), cfg, secrets)
	present, other := challenge("example.com", false, "ka"), challenge("example.com", true, "never-presented")

	require.NoError(t, s.CleanUp(testCtx(t), other), "no set at all")
	require.NoError(t, s.Present(testCtx(t), present))
	require.NoError(t, s.CleanUp(testCtx(t), other), "set without the value")

	assert.Equal(t, []string{present.DNS01Value()}, srv.Records("_acme-challenge.example.com"))
	assert.Equal(t, 1, srv.Calls(route53test.OpChangeResourceRecordSets))
}

// Two Solvers from one Provider (the Manager may build one per challenge)
// present and clean up the apex and wildcard values of one name at the same
// time; the per-name lock must keep either from erasing the other's value.
func TestConcurrentApexAndWildcardNeverLoseAValue(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{ID: "ZEX", Name: "example.com"})
	p := testProvider(srv)
	cfg, secrets := staticConfig()
	s1, s2 := newSolver(t, p, cfg, secrets), newSolver(t, p, cfg, secrets)
	ctx := testCtx(t)

	for i := range 20 {
		apex := challenge("example.com", false, "ka-apex-"+string(rune('a'+i)))
		wild := challenge("example.com", true, "ka-wild-"+string(rune('a'+i)))
		var wg sync.WaitGroup
		var errA, errW error
		wg.Go(func() { errA = s1.Present(ctx, apex) })
		wg.Go(func() { errW = s2.Present(ctx, wild) })
		wg.Wait()
		require.NoError(t, errA)
		require.NoError(t, errW)
		require.ElementsMatch(t, []string{apex.DNS01Value(), wild.DNS01Value()}, srv.Records("_acme-challenge.example.com"), "round %d", i)

		wg.Go(func() { errA = s1.CleanUp(ctx, apex) })
		wg.Go(func() { errW = s2.CleanUp(ctx, wild) })
		wg.Wait()
		require.NoError(t, errA)
		require.NoError(t, errW)
		_, _, ok := srv.RecordSet("ZEX", "_acme-challenge.example.com", "TXT")
		require.False(t, ok, "round %d: set left behind", i)
	}
}

func TestChangesArePublishedToTheSink(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{Name: "example.com"})
	sink := &recordingSink{last: map[string][]string{}}
	srv.PublishTo(sink)
	cfg, secrets := staticConfig()
	s := newSolver(t, testProvider(srv), cfg, secrets)
	ch := challenge("example.com", false, "ka")

	require.NoError(t, s.Present(testCtx(t), ch))
	assert.Equal(t, []string{ch.DNS01Value()}, sink.last["_acme-challenge.example.com."])

	require.NoError(t, s.CleanUp(testCtx(t), ch))
	assert.Empty(t, sink.last["_acme-challenge.example.com."])
	assert.Contains(t, sink.last, "_acme-challenge.example.com.")
}

// A set another tool wrote (other TTL, a foreign value) keeps the foreign
// value through Present and CleanUp, and a DELETE of a set with an unusual
// TTL still matches it exactly.
func TestForeignValuesAndTTLAreRespected(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{ID: "ZEX", Name: "example.com"})
	require.NoError(t, srv.Seed("ZEX", "_acme-challenge.example.com", "TXT", 300, `"foreign"`))
	cfg, secrets := staticConfig()
	s := newSolver(t, testProvider(srv), cfg, secrets)
	ch := challenge("example.com", false, "ka")

	require.NoError(t, s.Present(testCtx(t), ch))
	assert.ElementsMatch(t, []string{"foreign", ch.DNS01Value()}, srv.Records("_acme-challenge.example.com"))
	require.NoError(t, s.CleanUp(testCtx(t), ch))
	assert.Equal(t, []string{"foreign"}, srv.Records("_acme-challenge.example.com"))

	require.NoError(t, srv.Seed("ZEX", "_acme-challenge.example.com", "TXT", 3600, `"`+ch.DNS01Value()+`"`))
	require.NoError(t, s.CleanUp(testCtx(t), ch))
	_, _, ok := srv.RecordSet("ZEX", "_acme-challenge.example.com", "TXT")
	assert.False(t, ok)
}
