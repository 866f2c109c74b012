package serve

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWildcardNeedsAFirstLabel: "*.b.c" stands for one label, and an empty
// label is none, so ".b.c" is not served by it, whatever the parent's
// length: lookup finds the first dot itself for a parent of 17 to 32
// bytes and hands other lengths to lookupWild, so both must refuse a dot
// at index 0. The names two labels deep check the wildcard does not span
// them, and the one-label names that it is there to be found.
func TestWildcardNeedsAFirstLabel(t *testing.T) {
	for m := 1; m <= 40; m++ {
		parent := strings.Repeat("p", m)
		c := NewCache(Options{})
		e := fakeEntry("s", time.Now(), "*."+parent)
		c.update([]*certEntry{e}, nil)
		for _, asked := range []string{"www." + parent, "W." + strings.ToUpper(parent), "abcdefg." + parent} {
			cert, err := c.GetCertificate(hello(asked))
			require.NoError(t, err, "%q", asked)
			assert.Same(t, e.cert, cert, "%q", asked)
		}
		for _, asked := range []string{"." + parent, ".." + parent, "a..." + parent, "a.b." + parent, "abcdefgh.b." + parent, parent} {
			cert, err := c.GetCertificate(hello(asked))
			assert.ErrorIs(t, err, ErrUnknownName, "%q: not one label under *.%s", asked, parent)
			assert.Nil(t, cert, "%q", asked)
		}
	}
}
