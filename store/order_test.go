package store

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/meta"
)

func TestCompareRefs(t *testing.T) {
	refs := []meta.Ref{
		{Kind: "B", Namespace: "a", Name: "x"},
		{Kind: "A", Namespace: "a", Name: "x"},
		{Kind: "A", Namespace: "", Name: "z"},
		{Kind: "A", Namespace: "a", Name: "w"},
	}
	assert.Equal(t, 1, CompareRefs(refs[0], refs[1]), "kind breaks ties")
	assert.Equal(t, -1, CompareRefs(refs[2], refs[3]), "namespace first")
	assert.Equal(t, 1, CompareRefs(refs[1], refs[3]), "then name")
	assert.Equal(t, 0, CompareRefs(refs[1], refs[1]))
}
