package serve

// A table key is a folded name: no ASCII upper-case letter. Comparing a
// server name in any case with it, as dnsname.EqualFolded does, folds every
// word of the name that differs from the key's: for a mixed-case name that
// is each word, ~25 instructions apiece, which made mixed-case lookups
// 0.2–0.3× a map lookup dearer than lower-case ones (issue 11).
//
// Most keys allow a cheaper exact test. Call a key plain when every byte
// with bit 0x40 set is a lower-case letter (DNS names are letters, digits,
// '-' and '.'; IP SAN text adds ':'). A name equals a plain key folded if
// and only if each byte either equals the key's, or differs in the case
// bit 0x20 alone and has bit 0x40 set: that byte and the key's both have
// 0x40 set and differ in 0x20, so the key's is a lower-case letter (the
// key is plain) and the name's is the same letter in upper case. A name's
// byte without 0x40 that differs from the key's in 0x20 alone (a control
// byte against a digit, '-' or '.') is refused, as folding leaves it.
// Keys with other bytes ('_', '@', '`', braces, bytes ≥ 0xC0) are not
// plain: '_' (0x5F) and DEL (0x7F), say, differ in 0x20 alone and both
// have 0x40. So is a key with an upper-case letter, which no server name
// folds to. A table compares those with EqualFolded (nameTable.notPlain).
//
// The test reads both strings eight bytes at a time and needs no fold:
// in a plain key the bytes with 0x40 set are exactly its letters, which
// are lower case, so k>>1&caseBits is 0x20 under each letter of a key word
// k, and a name word x matches it when x with those bits set is k (a
// letter may differ in case, any other byte must be equal). A word equal
// to the key's costs one comparison, as in a plain comparison; one that
// differs (in a mixed-case name, most) three operations and a comparison
// more. (Testing, after x != k, that the difference is the case bit of
// letters of x, as before, took ~9 operations and a branch a word, and at
// 100k names a mixed-case name cost ~0.2–0.3× a map lookup more than the
// same name in lower case in BenchmarkGetCertificate's throughput mode.
// The penalty followed the bytes, not their memory: the same strings
// rewritten in place in the other case swapped it. At 100k the processor
// overlaps consecutive lookups' cache misses only as far as its window of
// instructions reaches, so a few more instructions a lookup cost far more
// than their own time. Dropping the x == k test too, so that every word
// costs the same, made lower-case names as slow as mixed-case ones.)

// plainKey reports whether key can be compared by equalPlainKey.
func plainKey(key string) bool {
	for i := 0; i < len(key); i++ {
		if c := key[i]; c&0x40 != 0 && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// equalPlainKey reports whether name folded equals key, which must be
// plain (plainKey).
func equalPlainKey(key, name string) bool {
	n := len(name)
	if len(key) != n {
		return false
	}
	switch {
	case n >= 8:
		for i := 0; i < n-8; i += 8 {
			if !matchesPlain(load8(name, i), load8(key, i)) {
				return false
			}
		}
		return matchesPlain(load8(name, n-8), load8(key, n-8)) // may overlap the word before
	case n >= 4:
		return matchesPlain(load4(name, 0)|load4(name, n-4)<<32, load4(key, 0)|load4(key, n-4)<<32)
	}
	for i := 0; i < n; i++ {
		if !matchesPlain(uint64(name[i]), uint64(key[i])) {
			return false
		}
	}
	return true
}

// matchesPlain reports whether a word x of a name, folded, is the word k
// of a plain key: x may have an upper-case letter where k has the
// lower-case one, and must equal k elsewhere. Bit 0x40 of each byte of k,
// shifted onto its case bit, marks k's letters (the bit shifted in from
// the next byte falls on bit 0x80, which the mask drops).
func matchesPlain(x, k uint64) bool { return x == k || x|k>>1&caseBits == k }

const (
	// caseBits is the case bit, 0x20, of each byte of a word.
	caseBits = 0x2020202020202020
)
