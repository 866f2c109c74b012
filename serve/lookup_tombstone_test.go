package serve

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLookupServesWildcardPastRemovedExactName: a name whose exact
// certificate was removed keeps its slot as a tombstone (and its sketch
// bits) until a rebuild; lookup must find the key there, serve nothing
// for it, and go on to the wildcard that covers the name, for names and
// parents of every length around lookup's own 17–32 bytes.
func TestLookupServesWildcardPastRemovedExactName(t *testing.T) {
	for n := 12; n <= 40; n++ {
		parent := strings.Repeat("p", n-len("www.x.")) + ".x" // n-4 bytes
		name := "www." + parent
		ix := newCertIndex()
		exact, wild := &certEntry{cert: &tls.Certificate{}}, &certEntry{cert: &tls.Certificate{}}
		ix.exact.claim(name, exact)
		ix.exact.elect(name)
		ix.wild.claim(parent, wild)
		ix.wild.elect(parent)
		require.Same(t, exact.cert, ix.lookup(name), "len %d: exact before removal", len(name))
		ix.exact.release(name, exact)
		ix.exact.elect(name) // a tombstone now; no tidy, so no rebuild
		require.Same(t, wild.cert, ix.lookup(name), "len %d: wildcard after removal", len(name))
		require.Same(t, wild.cert, ix.lookup(strings.ToUpper(name)), "len %d: wildcard after removal, upper case", len(name))
	}
}
