package objects

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

func TestPrepareCreate(t *testing.T) {
	m := &meta.ObjectMeta{Name: "a", UID: "caller-set", ResourceVersion: "7"}
	local := time.Date(2026, 1, 1, 12, 0, 0, 5, time.FixedZone("X", 3600))
	require.NoError(t, PrepareCreate(m, 42, local))
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`), m.UID)
	assert.Equal(t, "42", m.ResourceVersion)
	assert.Equal(t, int64(1), m.Generation)
	assert.Equal(t, local.UTC(), *m.CreationTime)
}

func TestPrepareUpdate(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	stored := meta.ObjectMeta{Name: "a", UID: "u1", ResourceVersion: "5", Generation: 3, CreationTime: &created}
	ref := meta.Ref{Kind: "W", Namespace: "ns", Name: "a"}
	for _, tc := range []struct {
		name    string
		in      meta.ObjectMeta
		wantErr error
		wantGen int64
	}{
		{"current", meta.ObjectMeta{UID: "u1", ResourceVersion: "5", Generation: 4}, nil, 4},
		{"no uid keeps stored", meta.ObjectMeta{ResourceVersion: "5"}, nil, 3},
		{"stale", meta.ObjectMeta{UID: "u1", ResourceVersion: "4"}, store.ErrConflict, 0},
		{"empty resourceVersion", meta.ObjectMeta{UID: "u1"}, store.ErrConflict, 0},
		{"other uid", meta.ObjectMeta{UID: "u2", ResourceVersion: "5"}, store.ErrConflict, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.in
			err := PrepareUpdate(ref, &m, &stored, 6)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "6", m.ResourceVersion)
			assert.Equal(t, "u1", m.UID)
			assert.Equal(t, tc.wantGen, m.Generation)
			require.NotNil(t, m.CreationTime)
			assert.Equal(t, created, *m.CreationTime)
			assert.NotSame(t, stored.CreationTime, m.CreationTime, "no shared pointer")
		})
	}
}

func TestCheckDelete(t *testing.T) {
	ref := meta.Ref{Kind: "W", Namespace: "ns", Name: "a"}
	assert.NoError(t, CheckDelete(ref, "", "5"), "unconditional")
	assert.NoError(t, CheckDelete(ref, "5", "5"))
	assert.ErrorIs(t, CheckDelete(ref, "4", "5"), store.ErrConflict)
}

func TestSaveRestore(t *testing.T) {
	m := &meta.ObjectMeta{Name: "a", ResourceVersion: "3"}
	before := *m
	saved := Save(m)
	require.NoError(t, PrepareCreate(m, 9, time.Now()))
	saved.Restore(m)
	assert.Equal(t, before, *m)
}

type obj struct {
	Metadata meta.ObjectMeta   `json:"metadata"`
	Data     map[string]string `json:"data"`
}

func (o *obj) GetKind() meta.Kind        { return "W" }
func (o *obj) GetMeta() *meta.ObjectMeta { return &o.Metadata }

func TestDecodeZeroesTarget(t *testing.T) {
	into := &obj{Data: map[string]string{"stale": "1"}, Metadata: meta.ObjectMeta{Labels: map[string]string{"stale": "1"}}}
	require.NoError(t, Decode([]byte(`{"metadata":{"name":"a"},"data":{"k":"v"}}`), into))
	assert.Equal(t, &obj{Metadata: meta.ObjectMeta{Name: "a"}, Data: map[string]string{"k": "v"}}, into)
	assert.ErrorIs(t, Decode([]byte(`{"metadata":`), into), store.ErrCorrupt)
}

func TestCloneMetaIsDeep(t *testing.T) {
	ts := time.Now()
	m := meta.ObjectMeta{Labels: map[string]string{"a": "1"}, Annotations: map[string]string{"b": "2"},
		OwnerRefs: []meta.Ref{{Name: "o"}}, CreationTime: &ts, DeletionTime: &ts}
	c := meta.CloneMeta(&m)
	assert.Equal(t, m, c)
	c.Labels["a"] = "x"
	c.Annotations["b"] = "x"
	c.OwnerRefs[0].Name = "x"
	*c.CreationTime = ts.Add(time.Hour)
	*c.DeletionTime = ts.Add(time.Hour)
	assert.Equal(t, "1", m.Labels["a"])
	assert.Equal(t, "2", m.Annotations["b"])
	assert.Equal(t, "o", m.OwnerRefs[0].Name)
	assert.Equal(t, ts, *m.CreationTime)
	assert.Equal(t, ts, *m.DeletionTime)
}
