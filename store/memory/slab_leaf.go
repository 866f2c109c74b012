package memory

import (
	"reflect"
	"time"
	"unsafe"
)

// Most fields of certflow's objects are leaves: strings, booleans,
// integers, times, and pointers to them. A struct's codec (slab_codec.go)
// and direct encoder (slab_direct.go) used to reach each through
// reflect.Value.Field and a codec function of its own, reflection that
// cost a write or a Get more than writing or reading the leaf itself
// (Field alone checks the field is exported, every time). A struct whose
// value is addressable (an object, a slice element, a map value the
// codec copied into a variable of its own) now reads and writes its
// leaves at their offsets, as the plan of the struct's fields, made once,
// says: exactly what the leaf's codec does, without the reflection.
//
// A leaf's codec exists only for a type normalisation accepts: the
// builders still build it (so a struct declines what it declined), and
// use the plan only where the codec is the plain one of its kind.

// leafKind is a leaf's representation in memory.
type leafKind uint8

const (
	leafNone leafKind = iota
	leafString
	leafBool
	leafInt
	leafInt8
	leafInt16
	leafInt32
	leafInt64
	leafUint
	leafUint8
	leafUint16
	leafUint32
	leafUint64
	leafUintptr
	leafTime
)

// leaf is how a field is read and written at its offset: a leaf, or a
// pointer to one (elem, to allocate it on reading).
type leaf struct {
	kind leafKind
	ptr  bool
	elem reflect.Type
}

// leafOf returns the leaf of t, or kind leafNone when t is none.
func leafOf(t reflect.Type) leaf {
	if t.Kind() == reflect.Pointer {
		if k := leafKindOf(t.Elem()); k != leafNone {
			return leaf{kind: k, ptr: true, elem: t.Elem()}
		}
		return leaf{}
	}
	return leaf{kind: leafKindOf(t)}
}

func leafKindOf(t reflect.Type) leafKind {
	if t == timeType {
		return leafTime
	}
	switch t.Kind() {
	case reflect.String:
		return leafString
	case reflect.Bool:
		return leafBool
	case reflect.Int:
		return leafInt
	case reflect.Int8:
		return leafInt8
	case reflect.Int16:
		return leafInt16
	case reflect.Int32:
		return leafInt32
	case reflect.Int64:
		return leafInt64
	case reflect.Uint:
		return leafUint
	case reflect.Uint8:
		return leafUint8
	case reflect.Uint16:
		return leafUint16
	case reflect.Uint32:
		return leafUint32
	case reflect.Uint64:
		return leafUint64
	case reflect.Uintptr:
		return leafUintptr
	}
	return leafNone
}

// addrOf returns where v (a struct) is, or nil when it is not addressable.
func addrOf(v reflect.Value) unsafe.Pointer {
	if !v.CanAddr() {
		return nil
	}
	return v.Addr().UnsafePointer()
}

// encLeaf writes the leaf at p as its codec does; direct, as its direct
// encoder does (strings made valid UTF-8, times as JSON gives them back,
// false for one it cannot carry).
func (l leaf) enc(w *slabWriter, p unsafe.Pointer, direct bool) bool {
	if l.ptr {
		p = *(*unsafe.Pointer)(p)
		if p == nil {
			w.byte1(0)
			return true
		}
		w.byte1(1)
	}
	switch l.kind {
	case leafString:
		s := *(*string)(p)
		if direct {
			s = validUTF8(s)
		}
		w.string(s, sharedStringLen)
	case leafBool:
		if *(*bool)(p) {
			w.byte1(1)
		} else {
			w.byte1(0)
		}
	case leafInt:
		w.varint(int64(*(*int)(p)))
	case leafInt8:
		w.varint(int64(*(*int8)(p)))
	case leafInt16:
		w.varint(int64(*(*int16)(p)))
	case leafInt32:
		w.varint(int64(*(*int32)(p)))
	case leafInt64:
		w.varint(*(*int64)(p))
	case leafUint:
		w.uvarint(uint64(*(*uint)(p)))
	case leafUint8:
		w.uvarint(uint64(*(*uint8)(p)))
	case leafUint16:
		w.uvarint(uint64(*(*uint16)(p)))
	case leafUint32:
		w.uvarint(uint64(*(*uint32)(p)))
	case leafUint64:
		w.uvarint(*(*uint64)(p))
	case leafUintptr:
		w.uvarint(uint64(*(*uintptr)(p)))
	case leafTime:
		t := *(*time.Time)(p)
		if direct {
			var ok bool
			if t, ok = jsonTime(t); !ok {
				return false
			}
		}
		writeTime(w, t)
	}
	return true
}

// dec reads the leaf into p (zero) as its codec does.
func (l leaf) dec(r *slabReader, p unsafe.Pointer) {
	if l.ptr {
		if r.byte1() == 0 {
			return
		}
		var n unsafe.Pointer
		if l.kind == leafTime {
			n = unsafe.Pointer(new(time.Time))
		} else {
			n = reflect.New(l.elem).UnsafePointer()
		}
		*(*unsafe.Pointer)(p) = n
		p = n
	}
	switch l.kind {
	case leafString:
		*(*string)(p) = r.string()
	case leafBool:
		*(*bool)(p) = r.byte1() != 0
	case leafInt:
		*(*int)(p) = int(r.varint())
	case leafInt8:
		*(*int8)(p) = int8(r.varint())
	case leafInt16:
		*(*int16)(p) = int16(r.varint())
	case leafInt32:
		*(*int32)(p) = int32(r.varint())
	case leafInt64:
		*(*int64)(p) = r.varint()
	case leafUint:
		*(*uint)(p) = uint(r.uvarint())
	case leafUint8:
		*(*uint8)(p) = uint8(r.uvarint())
	case leafUint16:
		*(*uint16)(p) = uint16(r.uvarint())
	case leafUint32:
		*(*uint32)(p) = uint32(r.uvarint())
	case leafUint64:
		*(*uint64)(p) = r.uvarint()
	case leafUintptr:
		*(*uintptr)(p) = uintptr(r.uvarint())
	case leafTime:
		*(*time.Time)(p) = readTime(r)
	}
}
