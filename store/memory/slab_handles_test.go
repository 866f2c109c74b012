package memory

import (
	"encoding/binary"
	"unique"
	"unsafe"
)

// handles returns the slab's shared strings, for tests to see what a slab
// shares: their count follows the byte count at the head of its content.
func (s slab) handles() []unique.Handle[string] {
	if s.strs == nil {
		return nil
	}
	_, n := binary.Uvarint(unsafe.Slice(unsafe.StringData(s.data), len(s.data)))
	count, _ := binary.Uvarint(unsafe.Slice(unsafe.StringData(s.data[n:]), len(s.data)-n))
	return unsafe.Slice(s.strs, count)
}
