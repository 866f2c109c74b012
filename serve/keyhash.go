package serve

import "github.com/certflow/certflow/internal/dnsname"

// The two tables of a certIndex hash their keys with dnsname.HashFolded,
// which ignores case as it reads, so a server name in any case is hashed
// in one pass with no fold before it. A name served by a wildcard costs a
// second, shorter pass: the hash of its parent "b.c", under which the
// wildcard table files "*.b.c", taken only once the exact probe missed.
// Every other hash and probe layout tried so far measured no better; the
// measurements (what was tried, at which sizes and load, and why it lost)
// are in docs/serving.md, so as not to try them again.

// wildHash is the hash under which the wildcard table files parent, the
// "b.c" of "*.b.c".
func wildHash(seed uint64, parent string) uint64 { return dnsname.HashFolded(seed, parent) }

// exactHash is the hash under which the exact table files name.
func exactHash(seed uint64, name string) uint64 { return dnsname.HashFolded(seed, name) }
