package canon

import (
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

func held(s string) bool { _, ok := Lookup([]byte(s)); return ok }

func same(a, b Handle) bool { return unsafe.StringData(a.Value()) == unsafe.StringData(b.Value()) }

// Equal strings get one copy while a holder counts it; the table forgets
// a copy no holder counts (released, or never retained), and a later
// equal string gets a new copy, while the forgotten one still reads back.
func TestMake_OneCopyWhileHeld(t *testing.T) {
	s := strings.Repeat("TestMake_OneCopyWhileHeld ", 4)
	a := Make(s)
	assert.Equal(t, s, a.Value())
	assert.NotSame(t, unsafe.StringData(s), unsafe.StringData(a.Value()), "a copy, not the caller's bytes")
	assert.True(t, same(a, Make(strings.Clone(s))), "one copy for equal strings")

	ForgetUnheld([]Handle{a})
	assert.False(t, held(s), "made, never retained: forgotten")
	b := Make(s)
	assert.False(t, same(a, b), "a new copy after it was forgotten")
	assert.Equal(t, s, a.Value(), "the forgotten copy still reads back")

	Retain([]Handle{b})
	Retain([]Handle{b})
	ForgetUnheld([]Handle{b})
	assert.True(t, held(s), "retained copies are not forgotten")
	Release([]Handle{b})
	assert.True(t, held(s), "one holder left")
	ForgetUnheld([]Handle{a}) // the old copy, forgotten before: the newer one stays
	assert.True(t, held(s))
	Release([]Handle{b})
	assert.False(t, held(s), "no holder left")
}

// Concurrent makers of one string get one copy, and counting is exact
// under concurrency (run with -race).
func TestMake_Concurrent(t *testing.T) {
	s := strings.Repeat("TestMake_Concurrent ", 4)
	first := Make(s)
	Retain([]Handle{first})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				h := Make(s)
				if !same(h, first) {
					t.Error("another copy")
					return
				}
				Retain([]Handle{h})
				Release([]Handle{h})
			}
		})
	}
	wg.Wait()
	assert.True(t, held(s))
	Release([]Handle{first})
	assert.False(t, held(s))
}

// A copy of a short string is neither packed by the tiny allocator at an
// address its head's fields cannot be read from, nor so small that its
// content starts past its allocation (an empty string's did: checkptr,
// under -race, threw in Value).
func TestShortCopiesAreAligned(t *testing.T) {
	for n := 0; n < 8; n++ {
		for i := 0; i < 64; i++ {
			h := newCopy(strings.Repeat("x", n), 0)
			if a := uintptr(unsafe.Pointer(h.c)) % unsafe.Alignof(head{}); a != 0 {
				t.Fatalf("a copy of %d bytes at offset %d from its alignment", n, a)
			}
			if h.Value() != strings.Repeat("x", n) {
				t.Fatalf("copy of %d bytes reads %q", n, h.Value())
			}
		}
	}
}
