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
// (x-map, medians of 3–4, 2 shared cores under load): chaining the exact
// hash on the parent's took exact names from 1.2× to 1.5× at 1k,
// wildcards unchanged (1.67× → 1.7×); computing both hashes first and
// loading both tables' first control words before looking at either took
// exact names to 1.5× at 1k and 1.6× at 100k, wildcards unchanged or worse
// (1.5× → 1.6× at 100k); the same in one inlined pass, with no calls, took
// exact names to 1.6× and wildcards 1.71× → 1.67× at 1k. Deciding the
// exact table's miss inline (one control word, no call into find, whose
// loop the wildcard probe then has to itself) removed, in cachegrind's
// model, ~27 of the ~430 instructions a wildcard lookup takes (the map
// ~160, an exact hit ~260) and the one branch it mispredicted per lookup,
// but measured wildcards 1.72× → 1.65× and exact names 1.19× → 1.26× at
// 1k. None of these is kept.

// wildHash is the hash under which the wildcard table files parent, the
// "b.c" of "*.b.c".
func wildHash(seed uint64, parent string) uint64 { return dnsname.HashFolded(seed, parent) }

// exactHash is the hash under which the exact table files name.
func exactHash(seed uint64, name string) uint64 { return dnsname.HashFolded(seed, name) }
