package issuer

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

func memoFixture(t testing.TB) (*storecount.Store, *memory.Store, meta.Ref) {
	t.Helper()
	st := memory.New()
	iss := &Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "acme"},
		Spec: Spec{ACME: &ACMEIssuer{
			Server: "https://ca.example/dir", Email: "a@example.com",
			PrivateKeySecretRef: meta.LocalRef{Name: "acme-account"},
			Solvers:             []solver.Config{{HTTP01: &solver.HTTP01Config{}}},
		}},
	}
	require.NoError(t, st.Create(context.Background(), iss))
	return storecount.New(st), st, meta.RefOf(iss)
}

func memoGet(t *testing.T, m *Memo, r store.Reader, ref meta.Ref) *Issuer {
	t.Helper()
	obj, err := m.Get(context.Background(), r, ref)
	require.NoError(t, err)
	return obj.(*Issuer)
}

// A read of an unchanged issuer is a metadata read: the issuer is decoded
// once a version.
func TestMemo_UnchangedIssuerIsDecodedOnce(t *testing.T) {
	counted, _, ref := memoFixture(t)
	m := &Memo{}
	first := memoGet(t, m, counted, ref)
	second := memoGet(t, m, counted, ref)
	assert.Same(t, first, second)
	assert.Equal(t, int64(1), counted.Counts().Of(storecount.Get), "only the first read decodes")
	assert.Equal(t, int64(2), counted.Counts().Of(storecount.GetMeta))
}

// An issuer changed behind the memo (by another writer or replica) is read
// as stored at the next read: no visit decides on a replaced issuer.
func TestMemo_UpdatedIssuerIsReadAtOnce(t *testing.T) {
	counted, st, ref := memoFixture(t)
	m := &Memo{}
	old := memoGet(t, m, counted, ref)

	upd := &Issuer{}
	require.NoError(t, st.Get(context.Background(), ref, upd))
	upd.Spec.ACME.Email = "b@example.com"
	upd.Spec.ACME.Solvers = append(upd.Spec.ACME.Solvers, solver.Config{TLSALPN01: &solver.TLSALPN01Config{}})
	require.NoError(t, st.Update(context.Background(), upd))

	got := memoGet(t, m, counted, ref)
	assert.Equal(t, upd.ObjectMeta.ResourceVersion, got.ObjectMeta.ResourceVersion)
	assert.Equal(t, "b@example.com", got.Spec.ACME.Email)
	assert.Len(t, got.Spec.ACME.Solvers, 2)
	assert.Equal(t, "a@example.com", old.Spec.ACME.Email, "a reader's earlier version is not changed under it")
}

// uidBlind reports every version as "1", as a Store reusing version
// strings across a delete and a create could.
type uidBlind struct{ *memory.Store }

func (s uidBlind) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	err := s.Store.Get(ctx, ref, into)
	into.GetMeta().ResourceVersion = "1"
	return err
}

func (s uidBlind) GetMeta(ctx context.Context, ref meta.Ref, newObject func() meta.Object) (meta.ObjectMeta, error) {
	md, err := s.Store.GetMeta(ctx, ref, newObject)
	md.ResourceVersion = "1"
	return md, err
}

// An issuer deleted is not found, and one made again under the same name
// (with no read between) is not answered with the old one, even when its
// version string is the old one's: the UID tells them apart.
func TestMemo_DeletedAndRemadeIssuerIsNotTheOldOne(t *testing.T) {
	_, st, ref := memoFixture(t)
	r, m := uidBlind{st}, &Memo{}
	old := memoGet(t, m, r, ref)
	require.NoError(t, st.Delete(context.Background(), ref, ""))
	require.NoError(t, st.Create(context.Background(), &Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "acme"},
		Spec: Spec{SelfSigned: &SelfSignedIssuer{}}}))
	got := memoGet(t, m, r, ref)
	assert.NotEqual(t, old.ObjectMeta.UID, got.ObjectMeta.UID)
	assert.Nil(t, got.Spec.ACME)
	assert.NotNil(t, got.Spec.SelfSigned)

	require.NoError(t, st.Delete(context.Background(), ref, ""))
	_, err := m.Get(context.Background(), r, ref)
	require.ErrorIs(t, err, store.ErrNotFound)
}

// A nil memo, and a Reader without metadata reads, read every time.
func TestMemo_NilMemoAndPlainReaderReadEveryTime(t *testing.T) {
	counted, st, ref := memoFixture(t)
	var none *Memo
	a, b := memoGet(t, none, counted, ref), memoGet(t, none, counted, ref)
	assert.NotSame(t, a, b)
	assert.Equal(t, int64(2), counted.Counts().Of(storecount.Get))

	plain := struct{ store.Reader }{st}
	m := &Memo{}
	assert.NotSame(t, memoGet(t, m, plain, ref), memoGet(t, m, plain, ref))
}

// BenchmarkMemoGet prices a visit's read of an unchanged issuer: decoded
// by the Store, and through the memo.
func BenchmarkMemoGet(b *testing.B) {
	_, st, ref := memoFixture(b)
	ctx := context.Background()
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = Get(ctx, st, ref)
		}
	})
	m := &Memo{}
	b.Run("memo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = m.Get(ctx, st, ref)
		}
	})
}
