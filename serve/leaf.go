package serve

import (
	"unique"
	"unsafe"
)

// sharedLeaf returns the process's canonical copy of a leaf certificate's
// DER (unique.Make), to serve in place of der. The memory store keeps
// every certificate's DER so (store/memory's slabs), so a Manager on it
// holds each leaf once instead of once in the Store and once here: ~450
// bytes a certificate, 45 MB at 100,000 (docs/memory.md). Elsewhere it
// costs the canonical map's entry (~100 bytes).
//
// The bytes are read-only, as a served chain is: crypto/tls never writes
// to a tls.Certificate's DER, and the Cache builds this chain itself
// (parseSecret), so no caller holds it.
func sharedLeaf(der []byte) []byte {
	if len(der) == 0 {
		return der
	}
	s := unique.Make(unsafe.String(unsafe.SliceData(der), len(der))).Value()
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
