//go:build amd64 || arm64

package serve

import "unsafe"

// On these processors a word load need not be aligned, and the byte order
// is little-endian, so load8 and load4 are one load each. The portable
// forms (load_other.go) check s[i:i+8]'s bounds at every call, which for a
// lookup is ~40 instructions (two strings of four words and the sketch's
// three; docs/serving.md); every caller already knows the bytes are there.

// load8 reads s[i:i+8] as a little-endian word. i+8 must be ≤ len(s).
func load8(s string, i int) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i))
}

// load4 reads s[i:i+4] as a little-endian word. i+4 must be ≤ len(s).
func load4(s string, i int) uint64 {
	return uint64(*(*uint32)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i)))
}
