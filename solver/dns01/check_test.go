package dns01

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/bindtest"
)

// world is two authoritative stubs on 127.0.0.1:port (ns1, also the
// resolver) and 127.0.0.2:port (ns2) serving example.test, plus other.test
// served by ns1 only.
type world struct {
	port     int
	ns1, ns2 *bindtest.Stub
	cfg      Config
}

const fqdn = "_acme-challenge.host.example.test."

func newWorld(t *testing.T) *world {
	t.Helper()
	port := bindtest.FreePort(t, "127.0.0.1", "127.0.0.2")
	p := strconv.Itoa(port)
	common := []string{
		"example.test. 60 IN NS ns1.example.test.",
		"example.test. 60 IN NS ns2.example.test.",
		"ns1.example.test. 60 IN A 127.0.0.1",
		"ns2.example.test. 60 IN A 127.0.0.2",
		"host.example.test. 60 IN A 127.0.0.1",
		"other.test. 60 IN NS ns1.other.test.",
		"ns1.other.test. 60 IN A 127.0.0.1",
	}
	zones := []string{"example.test", "other.test"}
	w := &world{
		port: port,
		ns1:  bindtest.StartStub(t, "127.0.0.1:"+p, zones, common...),
		ns2:  bindtest.StartStub(t, "127.0.0.2:"+p, zones, common...),
	}
	w.cfg = Config{Resolvers: []string{w.ns1.Addr}, NameserverPort: port, QueryTimeout: 500 * time.Millisecond}
	return w
}

func (w *world) checker(t *testing.T) *Checker {
	t.Helper()
	c, err := New(w.cfg)
	require.NoError(t, err)
	return c
}

func txt(name, value string) string { return fmt.Sprintf("%s 60 IN TXT %q", name, value) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestNew_RequiresResolvers(t *testing.T) {
	_, err := New(Config{})
	require.ErrorIs(t, err, ErrNoResolvers)
	c, err := New(Config{Resolvers: []string{"127.0.0.1"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"127.0.0.1:53"}, c.cfg.Resolvers)
	assert.Equal(t, DefaultNameserverPort, c.cfg.NameserverPort)
	assert.Equal(t, DefaultMaxCNAMEHops, c.cfg.MaxCNAMEHops)
}

func TestCheck_PassesWhenEveryNameserverServesTheValue(t *testing.T) {
	w := newWorld(t)
	w.ns1.Add(t, txt(fqdn, "other"))
	w.ns1.Add(t, txt(fqdn, "v1"))
	w.ns2.Add(t, txt(fqdn, "v1"))
	require.NoError(t, w.checker(t).Check(testCtx(t), "_ACME-challenge.HOST.example.test", "v1"))
}

func TestCheck_ErrorNamesTheNameserverThatLacksTheRecord(t *testing.T) {
	w := newWorld(t)
	w.ns1.Add(t, txt(fqdn, "v1"))
	err := w.checker(t).Check(testCtx(t), fqdn, "v1")
	require.ErrorIs(t, err, ErrNotPropagated)
	var pe *PropagationError
	require.ErrorAs(t, err, &pe)
	want := fmt.Sprintf("dns01: %s not propagated: ns2.example.test (127.0.0.2:%d): NXDOMAIN; ns1.example.test (127.0.0.1:%d): found", fqdn, w.port, w.port)
	assert.Equal(t, want, err.Error())
}

func TestCheck_ClassifiesEachAnswer(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T, w *world)
		want   string // ns2's part of the message
		isProp bool   // errors.Is ErrNotPropagated
		isFail bool   // errors.Is ErrServerFailure
	}{
		{name: "other value", setup: func(t *testing.T, w *world) { w.ns2.Add(t, txt(fqdn, "old")) }, want: "1 other TXT value(s)", isProp: true},
		{name: "NODATA", setup: func(t *testing.T, w *world) { w.ns2.Add(t, fqdn+" 60 IN A 127.0.0.9") }, want: "NODATA", isProp: true},
		{name: "SERVFAIL", setup: func(t *testing.T, w *world) { w.ns2.SetRcode(dns.RcodeServerFailure) }, want: "SERVFAIL", isFail: true},
		{name: "REFUSED", setup: func(t *testing.T, w *world) { w.ns2.SetRcode(dns.RcodeRefused) }, want: "REFUSED", isFail: true},
		{name: "timeout", setup: func(t *testing.T, w *world) { w.ns2.SetDrop(true) }, want: "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.cfg.QueryTimeout = 200 * time.Millisecond
			w.ns1.Add(t, txt(fqdn, "v1"))
			tt.setup(t, w)
			err := w.checker(t).Check(testCtx(t), fqdn, "v1")
			require.Error(t, err)
			assert.Contains(t, err.Error(), fmt.Sprintf("ns2.example.test (127.0.0.2:%d): %s;", w.port, tt.want))
			assert.Equal(t, tt.isProp, errors.Is(err, ErrNotPropagated))
			assert.Equal(t, tt.isFail, errors.Is(err, ErrServerFailure))
			if !tt.isProp {
				var qe *QueryError
				require.ErrorAs(t, err, &qe, "a failed server keeps its query error")
				assert.Equal(t, "127.0.0.2:"+strconv.Itoa(w.port), qe.Server)
			}
		})
	}
}

func TestCheck_TruncatedUDPFallsBackToTCP(t *testing.T) {
	w := newWorld(t)
	w.ns1.Add(t, txt(fqdn, "v1"))
	w.ns2.Add(t, txt(fqdn, "v1"))
	w.ns2.SetTruncateUDP(true)
	var mu sync.Mutex
	protos := map[string]int{}
	w.cfg.OnQuery = func(server, proto string, q dns.Question, r *dns.Msg, err error) {
		mu.Lock()
		defer mu.Unlock()
		protos[proto]++
	}
	c := w.checker(t)
	require.NoError(t, c.Check(testCtx(t), fqdn, "v1"))
	assert.Equal(t, uint64(1), c.Stats().TCPRetries)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 1, protos["tcp"])
	assert.Equal(t, c.Stats().Queries, uint64(protos["udp"]+protos["tcp"]), "Stats and OnQuery count the same queries")
}

func TestCheck_FollowsCNAMEIntoAnotherZone(t *testing.T) {
	w := newWorld(t)
	alias := "_acme-challenge.alias.example.test."
	target := "_acme-challenge.Target.other.test."
	for _, s := range []*bindtest.Stub{w.ns1, w.ns2} {
		s.Add(t, alias+" 60 IN CNAME "+target)
	}
	c := w.checker(t)
	err := c.Check(testCtx(t), alias, "v1")
	require.ErrorIs(t, err, ErrNotPropagated)
	var pe *PropagationError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "_acme-challenge.target.other.test.", pe.FQDN, "checked at the target")
	require.Len(t, pe.Results, 1, "other.test has one nameserver")
	assert.Equal(t, "ns1.other.test.", pe.Results[0].Host)

	w.ns1.Add(t, txt(target, "v1"))
	require.NoError(t, c.Check(testCtx(t), alias, "v1"))
}

func TestCheck_CNAMEOnOnlyOneServerIsNotPropagated(t *testing.T) {
	w := newWorld(t)
	alias := "_acme-challenge.alias.example.test."
	w.ns1.Add(t, alias+" 60 IN CNAME _acme-challenge.other.test.")
	err := w.checker(t).Check(testCtx(t), alias, "v1")
	require.ErrorIs(t, err, ErrNotPropagated)
	assert.Contains(t, err.Error(), "): CNAME _acme-challenge.other.test")
	assert.Contains(t, err.Error(), "ns2.example.test (127.0.0.2:")
}

func TestCheck_CNAMELoopAndHopLimit(t *testing.T) {
	w := newWorld(t)
	for _, s := range []*bindtest.Stub{w.ns1, w.ns2} {
		s.Add(t, "a.example.test. 60 IN CNAME b.other.test.")
		s.Add(t, "b.other.test. 60 IN CNAME a.example.test.")
		s.Add(t, "c.example.test. 60 IN CNAME d.example.test.")
		s.Add(t, "d.example.test. 60 IN CNAME e.example.test.")
	}
	err := w.checker(t).Check(testCtx(t), "a.example.test", "v")
	require.ErrorIs(t, err, ErrCNAMELoop)

	w.cfg.MaxCNAMEHops = 1
	err = w.checker(t).Check(testCtx(t), "c.example.test", "v")
	require.ErrorIs(t, err, ErrTooManyCNAMEs)
}

func TestFindZone_WalksSOAAndListsNameservers(t *testing.T) {
	w := newWorld(t)
	c := w.checker(t)
	zone, ns, err := c.FindZone(testCtx(t), "deep.below._acme-challenge.host.example.test")
	require.NoError(t, err)
	assert.Equal(t, "example.test.", zone)
	assert.Equal(t, []string{"ns1.example.test.", "ns2.example.test."}, ns)
	assert.Equal(t, uint64(2), c.Stats().Queries, "the SOA in NXDOMAIN's authority section ends the walk at once; then one NS query")

	zone, err = c.ZoneApex(testCtx(t), "other.test")
	require.NoError(t, err)
	assert.Equal(t, "other.test.", zone)
}

func TestZoneApex_NoZoneWhenEveryoneRefuses(t *testing.T) {
	w := newWorld(t)
	_, err := w.checker(t).ZoneApex(testCtx(t), "x.unknown.invalid")
	require.ErrorIs(t, err, ErrNoZone)
	require.ErrorIs(t, err, ErrServerFailure, "the last REFUSED is kept")
}

func TestCheck_NSResolverOverride(t *testing.T) {
	w := newWorld(t)
	w.ns2.Add(t, txt(fqdn, "v1"))
	ns2 := w.ns2.Addr
	w.cfg.NSResolver = func(ctx context.Context, host string) ([]string, error) {
		return []string{ns2}, nil // both NS hosts at ns2, with its port
	}
	require.NoError(t, w.checker(t).Check(testCtx(t), fqdn, "v1"))
}

func TestEffectiveName(t *testing.T) {
	w := newWorld(t)
	w.ns1.Add(t, "_acme-challenge.a.example.test. 60 IN CNAME hop.example.test.")
	w.ns1.Add(t, "hop.example.test. 60 IN CNAME Final.Other.test.")
	w.ns1.Add(t, "loop1.example.test. 60 IN CNAME loop2.example.test.")
	w.ns1.Add(t, "loop2.example.test. 60 IN CNAME loop1.example.test.")
	c := w.checker(t)
	ctx := testCtx(t)

	got, err := c.EffectiveName(ctx, "_acme-challenge.a.example.test")
	require.NoError(t, err)
	assert.Equal(t, "final.other.test.", got)

	got, err = c.EffectiveName(ctx, fqdn)
	require.NoError(t, err)
	assert.Equal(t, fqdn, got, "no CNAME: the name itself")

	_, err = c.EffectiveName(ctx, "loop1.example.test")
	require.ErrorIs(t, err, ErrCNAMELoop)
}

func TestCheck_TriesTheNextResolverWhenOneFails(t *testing.T) {
	w := newWorld(t)
	w.ns1.Add(t, txt(fqdn, "v1"))
	w.ns2.Add(t, txt(fqdn, "v1"))
	dead := bindtest.StartStub(t, "127.0.0.1:0", nil)
	dead.SetRcode(dns.RcodeServerFailure)
	w.cfg.Resolvers = []string{dead.Addr, w.ns1.Addr}
	require.NoError(t, w.checker(t).Check(testCtx(t), fqdn, "v1"))
	assert.Positive(t, dead.Queries(), "the first resolver was asked")
}

func TestCheck_UnresolvableNameserverIsReported(t *testing.T) {
	w := newWorld(t)
	w.ns1.Add(t, txt(fqdn, "v1"))
	w.ns1.RemoveAll("ns2.example.test.", dns.TypeA)
	err := w.checker(t).Check(testCtx(t), fqdn, "v1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ns2.example.test (unresolved): dns01: resolve ns2.example.test.: no addresses")
}
