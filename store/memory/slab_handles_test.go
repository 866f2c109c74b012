package memory

import (
	"encoding/binary"
	"unsafe"
)

// handles returns the slab's shared strings, for tests to see what a slab
// shares: their count follows the byte count at the head of its content.
func (s slab) handles() []strHandle {
	if s.strs == nil {
		return nil
	}
	_, n := binary.Uvarint(unsafe.Slice(unsafe.StringData(s.data), len(s.data)))
	count, _ := binary.Uvarint(unsafe.Slice(unsafe.StringData(s.data[n:]), len(s.data)-n))
	return unsafe.Slice(s.strs, count)
}

// handleValues is what each handle refers to: writers without a Store
// make a copy of each shared string of their own, so two writers' handles
// to equal strings differ.
func handleValues(hs []strHandle) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Value()
	}
	return out
}
