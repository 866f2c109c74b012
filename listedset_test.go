package certflow

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// The listed reads' set finds each listed object, tells a dropped one
// from one never listed, and answers a ref listed twice with the later
// version, whatever order the Store listed them in.
func TestListedSet_FindsWhatWasListed(t *testing.T) {
	ref := func(kind meta.Kind, name string) meta.Ref { return meta.Ref{Kind: kind, Namespace: "ns", Name: name} }
	a, b, c := ref(meta.KindCertificate, "a"), ref(meta.KindSecret, "b"), ref(meta.KindCertificate, "c")
	s := newListedSet([]store.Raw{
		{Ref: b, ResourceVersion: "1", Data: []byte("b1")},
		{Ref: a, ResourceVersion: "2", Data: []byte("a2")},
		{Ref: c, ResourceVersion: "3"},
		{Ref: b, ResourceVersion: "4", Data: []byte("b4")},
	})
	raw, listed, dropped := s.get(b)
	assert.Equal(t, store.Raw{Ref: b, ResourceVersion: "4", Data: []byte("b4")}, raw, "the later of two")
	assert.True(t, listed)
	assert.False(t, dropped)
	raw, listed, _ = s.get(a)
	assert.Equal(t, "2", raw.ResourceVersion)
	assert.True(t, listed)
	raw, listed, _ = s.get(c)
	assert.Equal(t, store.Raw{Ref: c, ResourceVersion: "3"}, raw)
	assert.True(t, listed)

	s.drop(a)
	raw, listed, dropped = s.get(a)
	assert.Equal(t, store.Raw{}, raw)
	assert.True(t, listed, "dropped, not unlisted")
	assert.True(t, dropped)
	_, listed, dropped = s.get(ref(meta.KindCertificate, "b"))
	assert.False(t, listed, "never listed")
	assert.False(t, dropped)
	s.drop(ref(meta.KindSecret, "z")) // not listed: nothing to drop

	var left []meta.Ref
	for raw := range s.all {
		left = append(left, raw.Ref)
	}
	assert.ElementsMatch(t, []meta.Ref{c, b}, left, "without the dropped")
}

// An object read once from the list is read from the Store afterwards,
// not taken for one that never existed.
func TestListedReads_ReadOnceThenTheStores(t *testing.T) {
	var l listedReads
	ref := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "a"}
	l.load([]store.Raw{{Ref: ref, ResourceVersion: "1", Data: []byte(`{}`)}}, nil)
	_, _, answer := l.take(ref)
	assert.Equal(t, answerListed, answer)
	_, _, answer = l.take(ref)
	assert.Equal(t, answerStore, answer, "read once: the Store's")
	_, _, answer = l.take(meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "b"})
	assert.Equal(t, answerAbsent, answer, "not listed: absent")
}
