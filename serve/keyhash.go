package serve

import "github.com/certflow/certflow/internal/dnsname"

// The two tables of a certIndex hash their keys with dnsname.HashFolded,
// which ignores case as it reads, so a server name in any case is hashed
// in one pass with no fold before it. A name served by a wildcard costs a
// second, shorter pass: the hash of its parent "b.c", under which the
// wildcard table files "*.b.c", taken only once the exact probe missed.
// (Chaining the exact hash on the parent's, so that one pass gives both,
// was measured at 1k names: exact hits went from 1.3× to 1.6× a map lookup
// and wildcards gained nothing, as the dot search and the parent's hash
// then stand in line before every probe instead of beside it.)
//
// Measured again against the same floor, side by side with this code
// (x-map, medians of 3, 2 shared cores): chaining the exact hash on the
// parent's took exact names from 1.2× to 1.5× at 1k, wildcards unchanged
// (1.67× → 1.7×); hashing both in one inlined pass with both first control
// words loaded before either is looked at took exact names to 1.6× at 1k
// and 1.57× at 100k, wildcards unchanged (1.71× → 1.67× at 1k, 1.49× →
// 1.6× at 100k); inlining the exact table's miss changed nothing. A
// wildcard's extra cost is not its second hash, nor calls, nor waiting for
// the exact probe to miss, so none of these is kept.

// wildHash is the hash under which the wildcard table files parent, the
// "b.c" of "*.b.c".
func wildHash(seed uint64, parent string) uint64 { return dnsname.HashFolded(seed, parent) }

// exactHash is the hash under which the exact table files name.
func exactHash(seed uint64, name string) uint64 { return dnsname.HashFolded(seed, name) }
