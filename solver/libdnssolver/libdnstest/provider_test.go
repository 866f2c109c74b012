package libdnstest_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/libdns/libdns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/solver/libdnssolver/libdnstest"
)

type sink map[string][]string

func (s sink) SetTXT(name string, values ...string) { s[name] = values }

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func seeded(t *testing.T) *libdnstest.Provider {
	t.Helper()
	p := libdnstest.New("example.com")
	_, err := p.AppendRecords(testCtx(t), "example.com.", []libdns.Record{
		libdns.TXT{Name: "_acme-challenge", TTL: time.Minute, Text: "a"},
		libdns.TXT{Name: "_acme-challenge", TTL: time.Hour, Text: "b"},
		libdns.Address{Name: "www", TTL: time.Hour, IP: mustAddr("192.0.2.1")},
	})
	require.NoError(t, err)
	return p
}

func TestDeleteRecordsMatchesAsLibdnsSpecifies(t *testing.T) {
	tests := []struct {
		name string
		del  libdns.Record
		want []string
	}{
		{"exact", libdns.TXT{Name: "_acme-challenge", TTL: time.Minute, Text: "a"}, []string{"b"}},
		{"TTL wildcard", libdns.TXT{Name: "_acme-challenge", Text: "b"}, []string{"a"}},
		{"TTL mismatch", libdns.TXT{Name: "_acme-challenge", TTL: time.Hour, Text: "a"}, []string{"a", "b"}},
		{"value wildcard", libdns.RR{Name: "_acme-challenge", Type: "TXT"}, nil},
		{"other name", libdns.TXT{Name: "other", Text: "a"}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := seeded(t)
			_, err := p.DeleteRecords(testCtx(t), "example.com", []libdns.Record{tt.del})
			require.NoError(t, err)
			assert.Equal(t, tt.want, p.TXT("_acme-challenge.example.com."))
		})
	}
}

func TestAppendRecordsRefusesDuplicatesAndAbsoluteNames(t *testing.T) {
	p := seeded(t)

	_, err := p.AppendRecords(testCtx(t), "example.com", []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "a"}})
	assert.ErrorIs(t, err, libdnstest.ErrExists)
	_, err = p.AppendRecords(testCtx(t), "example.com", []libdns.Record{libdns.TXT{Name: "_acme-challenge.example.com.", Text: "c"}})
	assert.Error(t, err)
	_, err = p.AppendRecords(testCtx(t), "example.net", []libdns.Record{libdns.TXT{Name: "x", Text: "c"}})
	assert.ErrorIs(t, err, libdnstest.ErrNoZone)

	assert.Equal(t, []string{"a", "b"}, p.TXT("_acme-challenge.example.com"))
}

func TestGetRecordsReturnsTypedRecords(t *testing.T) {
	p := seeded(t)

	recs, err := p.GetRecords(testCtx(t), "EXAMPLE.com")
	require.NoError(t, err)

	require.Len(t, recs, 3)
	assert.IsType(t, libdns.TXT{}, recs[0])
	assert.IsType(t, libdns.Address{}, recs[2])
}

func TestTXTChangesAreMirroredToTheSink(t *testing.T) {
	p := libdnstest.New("example.com")
	got := sink{}
	p.PublishTo(got)
	ctx := testCtx(t)

	_, err := p.AppendRecords(ctx, "example.com", []libdns.Record{libdns.TXT{Name: "@", Text: "apex"}, libdns.TXT{Name: "x", Text: "1"}, libdns.TXT{Name: "x", Text: "2"}})
	require.NoError(t, err)
	assert.Equal(t, sink{"example.com.": {"apex"}, "x.example.com.": {"1", "2"}}, got)

	_, err = p.DeleteRecords(ctx, "example.com", []libdns.Record{libdns.TXT{Name: "x", Text: "1"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"2"}, got["x.example.com."])
}

func TestCancelledContextIsHonoured(t *testing.T) {
	p := libdnstest.New("example.com")
	ctx, cancel := context.WithCancel(testCtx(t))
	cancel()

	_, err := p.AppendRecords(ctx, "example.com", []libdns.Record{libdns.TXT{Name: "x", Text: "1"}})

	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, p.TXT("x.example.com"))
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
