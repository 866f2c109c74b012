package dnsname

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"example.com":     "example.com",
		"Example.COM.":    "example.com",
		"*.Example.com":   "*.example.com",
		"bücher.EXAMPLE":  "bücher.example",
		"":                "",
		"already.folded.": "already.folded",
	} {
		assert.Equal(t, want, Fold(in), in)
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = Fold("www.example.com") }))
}

func TestSet(t *testing.T) {
	assert.Equal(t, Set([]string{"b.example", "A.example"}), Set([]string{"a.example.", "b.example", "a.example"}))
	assert.NotEqual(t, Set([]string{"a.example"}), Set([]string{"a.example", "b.example"}))
	assert.Equal(t, []string{"a.example", "b.example"}, Set([]string{" B.example ", "a.example", "", "b.example."}))
}

func TestCanonical(t *testing.T) {
	got, err := Canonical("Bücher.Example.")
	assert.NoError(t, err)
	assert.Equal(t, "xn--bcher-kva.example", got)
	_, err = Canonical("a..b")
	assert.ErrorIs(t, err, ErrInvalidName)
}
