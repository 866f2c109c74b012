package memory

import (
	"math/bits"
	"reflect"
	"slices"
	"sync"
	"unique"
	"unsafe"
)

// An entry, its slab's handles and its content (the name, then the slab:
// entry.named) are one allocation: each allocation is an object the
// garbage collector marks at every cycle (the runtime forces one every 2
// minutes however idle the process), and a certificate keeps ~8 entries
// (its Certificate, request, Secret and five Events). With the content an
// allocation of its own beside the entry and its handles, the store held
// 23.4 objects a certificate, 8 of them the entries' content (the whole
// process ~32 at 100,000).
//
// The allocation's type is made at run time (reflect.StructOf): the entry,
// then the handles, then the content as a byte array, so the collector
// scans the entry and the handles and not the content, as when the content
// was a []byte of its own. named and p point into the allocation itself;
// an entry is immutable, so nothing ever points them elsewhere. Sizes are
// rounded up (entryLayoutOf) so a few hundred types serve every object.
// A slab with more than maxInlineHandles keeps its handles in an array of
// their own: each count of handles is a type per size, and objects with
// many shared strings (labels by the dozen) are rare.
const maxInlineHandles = 8

// entryLayout is the type of an allocation holding an entry, h handles
// and up to size bytes of content, and where the handles and content lie.
type entryLayout struct {
	typ            reflect.Type
	handles, bytes uintptr // offsets
	size           int     // content capacity
}

type layoutKey struct{ handles, size int }

var entryLayouts sync.Map // layoutKey -> *entryLayout

var handleType = reflect.TypeFor[strHandle]()

// entryLayoutOf returns the layout for h handles (at most
// maxInlineHandles) and at least size bytes of content.
func entryLayoutOf(h, size int) *entryLayout {
	// Round the whole allocation up by at most an eighth (a sixteenth
	// above 128 bytes, about as the runtime's size classes do), so sizes
	// share a type.
	head := int(unsafe.Sizeof(entry{})) + h*int(unsafe.Sizeof(strHandle{}))
	total := head + size
	step := max(8, 1<<max(0, bits.Len(uint(total))-4))
	size = (total+step-1)/step*step - head
	key := layoutKey{h, size}
	if l, ok := entryLayouts.Load(key); ok {
		return l.(*entryLayout)
	}
	fields := []reflect.StructField{{Name: "E", Type: reflect.TypeFor[entry]()}}
	if h > 0 {
		fields = append(fields, reflect.StructField{Name: "H", Type: reflect.ArrayOf(h, handleType)})
	}
	fields = append(fields, reflect.StructField{Name: "B", Type: reflect.ArrayOf(size, reflect.TypeFor[byte]())})
	t := reflect.StructOf(fields)
	l := &entryLayout{typ: t, bytes: t.Field(len(fields) - 1).Offset, size: size}
	if h > 0 {
		l.handles = t.Field(1).Offset
	}
	got, _ := entryLayouts.LoadOrStore(key, l)
	return got.(*entryLayout)
}

// newSlabEntry returns an entry of scope in one allocation with a copy of
// strs and room for size bytes of content, and that room, which the caller
// fills and then sets e.named to (the content is immutable thereafter).
func newSlabEntry(scope unique.Handle[entryScope], strs []strHandle, size int) (e *entry, content []byte) {
	inline := len(strs)
	if inline > maxInlineHandles {
		inline = 0
	}
	l := entryLayoutOf(inline, size)
	base := reflect.New(l.typ).UnsafePointer()
	e = (*entry)(base)
	e.scope = scope
	switch {
	case inline > 0:
		h := unsafe.Slice((*strHandle)(unsafe.Add(base, l.handles)), inline)
		copy(h, strs)
		e.p = unsafe.Pointer(&h[0])
	case len(strs) > 0:
		e.p = unsafe.Pointer(&slices.Clone(strs)[0])
	}
	return e, unsafe.Slice((*byte)(unsafe.Add(base, l.bytes)), l.size)[:0:size]
}
