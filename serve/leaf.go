package serve

import (
	"unique"
	"unsafe"

	"github.com/certflow/certflow/internal/canon"
)

// sharedLeaf returns a canonical copy of a leaf certificate's DER, to
// serve in place of der: the copy the memory store holds (internal/canon,
// which its slabs share a certificate's DER through), when it holds one,
// with no handle (the bytes keep the copy alive; the table only finds it);
// else the process's canonical copy from unique.Make, and the handle that
// keeps it canonical: the unique map drops a value at the first GC after
// its last handle is gone, and a later unique.Make of equal bytes makes a
// new copy, so the entry serving the bytes keeps the handle
// (certEntry.leaf).
//
// A Manager on the memory store so holds each leaf once instead of once in
// the Store and once here: ~450 bytes a certificate, 45 MB at 100,000
// (docs/memory.md), and none of unique's ~7 heap objects a copy.
// Elsewhere nothing else holds the copy, and it costs what a canonical
// copy costs besides its content while the entry lives:
// the unique map's entry and trie nodes, the weak pointer's record and
// the handle's own allocation (~180 bytes, docs/memory.md), and the
// handle's 8 bytes in certEntry.
//
// The bytes are read-only, as a served chain is: crypto/tls never writes
// to a tls.Certificate's DER. They are shared with the memory store, the
// unique map and every Cache serving an equal leaf, and GetCertificate
// hands them out (the returned certificate's Certificate[0]), which is
// why its documentation says a returned certificate must not be modified.
func sharedLeaf(der []byte) (unique.Handle[string], []byte) {
	if len(der) == 0 {
		return unique.Handle[string]{}, der
	}
	if b, ok := canon.Lookup(der); ok {
		return unique.Handle[string]{}, b
	}
	h := unique.Make(unsafe.String(unsafe.SliceData(der), len(der)))
	s := h.Value()
	return h, unsafe.Slice(unsafe.StringData(s), len(s))
}
