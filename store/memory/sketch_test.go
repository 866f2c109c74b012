package memory

import (
	"fmt"
	"hash/maphash"
	"testing"
)

// The sketch shares a string from its repeatShared+2nd offer on, with a
// handle to its own content; a string offered once costs no allocation.
func TestRepeats_SharesRepeatsWithoutCopyingTheRest(t *testing.T) {
	r := newRepeats()
	s := "Issuing certificate as Secret does not exist"
	for i := range repeatShared + 1 {
		if _, ok := r.shared(s); ok {
			t.Fatalf("shared at offer %d, want from offer %d", i+1, repeatShared+2)
		}
	}
	for range 2 {
		h, ok := r.shared(s)
		if !ok || h.Value() != s {
			t.Fatalf("shared(%q) = %q, %v; want its own copy", s, h.Value(), ok)
		}
	}
	once := make([]string, 1000)
	for i := range once {
		once[i] = fmt.Sprintf("order-%08d-of-one", i)
	}
	i := 0
	if n := testing.AllocsPerRun(len(once)-1, func() { r.shared(once[i]); i++ }); n != 0 {
		t.Errorf("offering a new string allocates %v times, want 0", n)
	}
}

// A slot whose handle is another string's (writers racing on it, or a
// collision of hashes) never gives that handle for s.
func TestRepeats_HandleIsTheStringsOwn(t *testing.T) {
	r := newRepeats()
	a, b := "first string offered", "second string offered"
	for range repeatShared + 2 {
		r.shared(a)
	}
	ia := maphash.String(r.seed, a) & (repeatSlots - 1)
	hb := maphash.String(r.seed, b)
	ib := hb & (repeatSlots - 1)
	r.handles[ib].Store(r.handles[ia].Load()) // a's handle
	r.slots[ib].Store(hb&^repeatCount | repeatShared + 5)
	if h, ok := r.shared(b); !ok || h.Value() != b {
		t.Fatalf("shared(%q) = %q, %v; want its own copy", b, h.Value(), ok)
	}
}
