package file

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

func TestMinRecordLen(t *testing.T) {
	shortest, err := encodeLine(logRecord{Rev: 1, Type: store.Added, Ref: &meta.Ref{}, Meta: &meta.ObjectMeta{}})
	require.NoError(t, err)
	assert.LessOrEqual(t, minRecordLen, len(shortest), "%s", shortest)
}

func TestRepairLog(t *testing.T) {
	ref := &meta.Ref{Kind: "W", Namespace: "ns", Name: "a"}
	rec := func(rev uint64) string {
		b, err := encodeLine(logRecord{Rev: rev, Type: store.Modified, Ref: ref, Meta: &meta.ObjectMeta{Namespace: "ns", Name: "a"}})
		require.NoError(t, err)
		return string(b)
	}
	mark := func(rev uint64) string {
		b, err := encodeLine(logRecord{Rev: rev})
		require.NoError(t, err)
		return string(b)
	}
	garbage := strings.Repeat("\xff", 2*minRecordLen-1) + "\n" // two records' worth at most
	for _, tc := range []struct {
		name      string
		in        string
		floor     uint64
		want      string
		forgotten []revRange
		dropped   int
		header    bool
	}{
		{name: "clean", in: mark(4) + rec(5) + rec(6), want: mark(4) + rec(5) + rec(6)},
		{name: "unfinished last write", in: mark(4) + rec(5) + `{"rev":6,"ty`, want: mark(4) + rec(5)},
		{name: "empty", in: "", want: mark(0), header: true},
		{name: "empty above stored objects", in: "", floor: 9, want: mark(9), header: true,
			forgotten: []revRange{{1, 9}}},
		{name: "junk between consecutive revisions loses nothing", in: mark(4) + rec(5) + garbage + rec(6),
			want: mark(4) + rec(5) + rec(6), dropped: 1},
		{name: "damaged line in the middle", in: mark(4) + rec(5) + garbage + rec(7) + rec(8),
			want: mark(4) + rec(5) + mark(6) + rec(7) + rec(8), dropped: 1, forgotten: []revRange{{6, 6}}},
		{name: "damage right after the header raises it", in: mark(4) + garbage + rec(7),
			want: mark(6) + rec(7), dropped: 1, forgotten: []revRange{{5, 6}}},
		{name: "damaged tail", in: mark(4) + rec(5) + garbage, want: mark(4) + rec(5) + mark(7),
			dropped: 1, forgotten: []revRange{{6, 7}}},
		{name: "damaged tail below stored objects", in: mark(4) + rec(5) + garbage, floor: 20,
			want: mark(4) + rec(5) + mark(22), dropped: 1, forgotten: []revRange{{6, 22}}},
		{name: "going backwards", in: mark(4) + rec(5) + rec(6) + rec(5) + rec(7),
			want: mark(4) + rec(5) + rec(6) + rec(7), dropped: 1},
		{name: "no header", in: rec(5) + rec(6), want: mark(4) + rec(5) + rec(6), header: true},
		{name: "header damaged", in: garbage + rec(5) + rec(6), want: mark(4) + rec(5) + rec(6), dropped: 1, header: true},
		{name: "all garbage", in: garbage + garbage, floor: 6, want: mark(10), dropped: 2, header: true,
			forgotten: []revRange{{1, 10}}},
		{name: "markers of an earlier repair are kept", in: mark(4) + rec(5) + mark(7) + rec(8),
			want: mark(4) + rec(5) + mark(7) + rec(8)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, rep := repairLog([]byte(tc.in), tc.floor)
			assert.Equal(t, tc.want, string(out))
			assert.Equal(t, tc.forgotten, rep.forgotten)
			assert.Equal(t, tc.dropped, rep.droppedLines)
			assert.Equal(t, tc.header, rep.madeHeader)
			again, rep := repairLog(out, tc.floor)
			assert.Equal(t, string(out), string(again), "a repaired log needs no repair")
			assert.False(t, rep.changed())
		})
	}
}
