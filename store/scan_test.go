package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// lister is a Reader without Scan: its List answers res and err.
type lister struct {
	store.Reader
	res   store.ListResult
	err   error
	lists int
}

func (l *lister) List(context.Context, store.ListOptions) (store.ListResult, error) {
	l.lists++
	return l.res, l.err
}

// ScanOf hands over a List's items, in its order, when the Reader cannot
// Scan, with the List's revision and error; a failed List hands over
// nothing, and fn's error stops it.
func TestScanOfFallsBackToList(t *testing.T) {
	ctx := context.Background()
	items := []store.Raw{
		{Ref: meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "a"}, ResourceVersion: "1", Data: []byte(`{}`)},
		{Ref: meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "a"}, ResourceVersion: "2", Data: []byte(`{}`)},
		{Ref: meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "b"}, ResourceVersion: "3", Data: []byte(`{}`)},
	}
	corrupt := &store.CorruptError{Ref: meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "bad"}}
	collect := func(r store.Reader, fn func(store.Raw) error) ([]store.Raw, uint64, error) {
		var got []store.Raw
		rev, err := store.ScanOf(ctx, r, store.ListOptions{}, func(raw store.Raw) error {
			got = append(got, raw)
			return fn(raw)
		})
		return got, rev, err
	}
	ok := func(store.Raw) error { return nil }

	l := &lister{res: store.ListResult{Items: append([]store.Raw(nil), items...), Revision: 9}, err: corrupt}
	got, rev, err := collect(l, ok)
	assert.Equal(t, items, got, "every item, in the List's order")
	assert.Equal(t, uint64(9), rev)
	assert.ErrorIs(t, err, corrupt, "the List's report of what it left out")
	assert.Equal(t, 1, l.lists)

	down := errors.New("store down")
	got, rev, err = collect(&lister{res: store.ListResult{Items: items}, err: down}, ok)
	assert.Empty(t, got, "a List that failed hands over nothing")
	assert.Zero(t, rev)
	assert.ErrorIs(t, err, down)

	stop := errors.New("enough")
	got, rev, err = collect(&lister{res: store.ListResult{Items: append([]store.Raw(nil), items...), Revision: 9}}, func(raw store.Raw) error {
		if raw.ResourceVersion == "2" {
			return stop
		}
		return nil
	})
	assert.Len(t, got, 2, "nothing after fn failed")
	assert.Zero(t, rev)
	assert.Equal(t, stop, err, "fn's error as it is")
}
