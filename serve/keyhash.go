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
//
// Measured later the same way (1k/10k/100k, throughput mode, medians of
// 3–6 alternating runs of main's binary and the variant, 2 shared cores at
// load 12–17, so ±0.1 is noise; instructions per lookup from cachegrind,
// ~24 of the benchmark's loop included, the map's ~190), none kept either:
//   - keys stored with a letter mask (0x20 under each lower-case letter,
//     after the key in the same string) and compared as (x|mask)^key, word
//     by word without branches: mixed case then costs what lower case does
//     (329 → 257 instructions, wildcard+mixed 527 → 412) and gained ~0.1–0.2
//     (wildcard+mixed 1.72–1.90 → 1.47–1.67), but lower-case names load the
//     mask too: exact 1.17–1.19 → 1.30–1.44, wildcards 0.1 worse. Loading
//     the mask only for words that differ left exact 0.04–0.2 worse
//     (1.18–1.46, main 1.14–1.26) for mixed-case gains of 0–0.2 at 1k and
//     none at 10k–100k, and the table's masked copies cost ~50 bytes a name.
//     The mask computed from the key instead: +40 instructions on every
//     lower-case lookup.
//   - fewer instructions around the probe: HashFolded straight-line for
//     17–32 bytes, IndexDot's first word inline, find's match mask as
//     (x-lowBits)&^x (its false hits are bytes tag^1, so published slots),
//     the length compared before EqualFolded; or everything fused into one
//     function with no calls: −18 instructions for exact names, −43 for
//     wildcards, and no change beyond the noise in time.
//   - as a bound only (wrong for exact names starting with "w"): not probing
//     the exact table at all for wildcard names took them from 1.6–1.7 to
//     1.45–1.5, so no cheaper exact miss can give more than that; the rest
//     is the parent's own chain (dot, hash, the second table's lines).
// These lookups are bound by the cache lines and dependent loads they
// touch, not by their instruction count.
//
// Measured later again (h-serving, 1k–100k, 2–3 alternating rounds of the
// branch's base and the variant, same benchmark binary layout, 2 shared
// cores at load 12–21), none kept:
//   - a hash read from the name's end, 16 bytes at a time, so that the
//     parent's hash is finished from a state the exact hash passed through
//     (one multiplication after an exact miss instead of a second pass):
//     wildcards 1.59–1.68 → 1.57–1.63 at 1k, unchanged at 10k–100k.
//   - each slot one cache line holding its key's bytes (up to 40) beside
//     the certificate, so a hit reads the control word and one line, where
//     a map reads three: no change at 100k (exact 1.21–1.32 → 1.20–1.23,
//     wildcards 1.44–1.59 → 1.47–1.52, latency 1.0 → 1.05–1.09), for 64
//     bytes a slot instead of 24. The dense control words mostly hit a near
//     cache already, and the hello's own lines and the name's bytes, which
//     every side reads, dominate at 100k.
//   - groups of one cache line (a control word and seven pointers to
//     per-name records of one line with the key inline): worse, the groups
//     no longer fit a near cache as the control words alone do (100k
//     latency 1.0 → 1.1–1.35).
//   - the map floor made to check ALPN too (the hello's second cache line,
//     which GetCertificate reads and the floor does not): no change, so
//     that line is not what the gap is made of.
//   - the runtime's hash (hash/maphash, AES-based, as Go's maps use) of
//     the name folded first into a stack buffer when IsFolded says it may
//     have upper case: better at 100k (wildcard 1.30–1.54 → 1.17,
//     wildcard+mixed 1.50–1.62 → 1.21–1.30, exact unchanged) but worse at
//     1k, where nothing misses the caches (exact 0.95–1.02 → 1.19–1.29,
//     mixed case 1.15 → 1.72–1.92, even with the fold and its buffer in a
//     function of their own). The calls into the runtime and the fold
//     pass cost more than HashFolded's multiplications when the tables
//     are in a near cache; a hash whose first probe's address is known
//     sooner pays when they are not.
// Measured later again (h-serving, instructions per lookup from cachegrind
// at 1k with the benchmark's loop, the map ~207; times as x-map medians of
// 3 alternating rounds of main's binary and the branch's, 2 shared cores at
// load 29–34):
//   - kept: a plain key compared by equalPlainKey (keymatch.go) and the
//     exact probe written out in lookup: mixed case 378 → 361, wildcard
//     529 → 523, wildcard+mixed 585 → 560; at 1k wildcard+mixed 1.68 →
//     1.45, wildcard 1.37 → 1.15, mixed case 1.29 → 1.22 (throughput);
//     10k–100k and latency mode unchanged within the noise.
//   - hash/maphash over the name folded into a stack buffer costs more
//     instructions than HashFolded, not fewer: 400 for an exact name
//     (main 337), 758 for wildcard+mixed; the wrappers (maphash.String,
//     rthashString, memhash) and IsFolded's pass take what AES saves.
//   - a hash of 8-byte words read from the name's end, so that the exact
//     pass also yields the parent's state (one finishing multiplication
//     for the wildcard probe): 443 for an exact name, 582 for a wildcard,
//     and slower (1k wildcard 1.45 → 1.54); one multiplication per 8
//     bytes, and the registers MULQ pins, cost more than the pass saved.
//   - at 100k, throughput, a mixed-case name still costs ~0.2–0.4× more
//     than the same name in lower case, with the same instructions; giving
//     the mixed-case hellos' names the allocation neighbours the lower-case
//     ones have did not change that, so it is not the benchmark's layout.
// Measured later again (h-serving, instructions per lookup inside
// GetCertificate from callgrind at 1k, the map floor's closure ~180; times
// as x-map medians of 5 alternating rounds of main's binary and the
// branch's, throughput mode, 2 shared cores at load 10–24, so ±0.15 is
// noise):
//   - kept: the exact table's sketch (sketch.go), which lets a name served
//     by a wildcard skip the exact hash and probe (8–15% still pass it):
//     exact 262 → 313 instructions, mixed case 289 → 339, wildcard
//     446 → 387, wildcard+mixed 482 → 424; wildcard+mixed 1.56 → 1.43 at
//     10k and 1.70 → 1.61 at 100k, wildcard 1.25 → 1.11 and 1.59 → 1.50;
//     exact 1.02 → 1.14 at 10k, 1.14 → 1.12 at 100k, mixed case
//     1.28 → 1.20 and 1.32 → 1.40; at 1k (3 rounds) exact 0.94 → 1.11,
//     mixed case 1.17 → 1.32, wildcard+mixed 1.42 → 1.38; latency mode
//     unchanged within the noise (0.8–1.1 at every size, both builds).
//     A sketch reading every word of the name (straight-line up to 32
//     bytes, a loop beyond) cost exact names 77 instructions and saved
//     wildcards only 36.
//   - as a bound again: not probing the exact table for wildcard names at
//     all gave 100k wildcard+mixed 1.52–1.55 (main 1.61–1.75), so the
//     remaining gap at 100k is the parent's own chain (dot, hash, the wild
//     table's control word, slot and key bytes) and the mixed-case penalty
//     recorded above, not the exact miss.
// Against a map server doing GetCertificate's work (BenchmarkGetCertificate's
// "mapserver": the ALPN check, the fold into a stack buffer, a second map
// for the parent) the Cache costs 0.65–0.85× at 1k and 0.82–1.13× at
// 10k–100k, the most for wildcard+mixed-case names in throughput mode,
// where the map server's one fold beats folding word by word in the hash
// and the comparison.

// wildHash is the hash under which the wildcard table files parent, the
// "b.c" of "*.b.c".
func wildHash(seed uint64, parent string) uint64 { return dnsname.HashFolded(seed, parent) }

// exactHash is the hash under which the exact table files name.
func exactHash(seed uint64, name string) uint64 { return dnsname.HashFolded(seed, name) }
