package serve

import (
	"strings"
	"testing"
	"unsafe"
)

// A name of 17 to 32 bytes matches a key's midWords exactly when it folds
// to the key: every byte counts, at every length, and case does not.
func TestMidWordsCoverEveryByte(t *testing.T) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-."
	for n := 17; n <= 32; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[(i*7+n)%len(alphabet)]
		}
		key := string(b)
		m := midWordsOf(key)
		if !m.is(nameWords(key)) {
			t.Fatalf("%q does not match its own words", key)
		}
		if upper := strings.ToUpper(key); !m.is(nameWords(upper)) {
			t.Errorf("%q does not match %q", upper, key)
		}
		for i := range b {
			other := []byte(key)
			other[i] = 'z'
			if other[i] == key[i] {
				other[i] = 'y'
			}
			if m.is(nameWords(string(other))) {
				t.Errorf("%q matches %q (byte %d of %d differs)", other, key, i, n)
			}
		}
	}
	for _, n := range []int{1, 8, 16, 33, 64} {
		if m := midWordsOf(strings.Repeat("a", n)); m != (midWords{}) {
			t.Errorf("a key of %d bytes has words %x, want none", n, m)
		}
	}
}

// nameWords returns a name's four words as lookup folds them.
func nameWords(name string) (x0, x1, x2, x3 uint64) {
	n := len(name)
	return foldWord(load8(name, 0)), foldWord(load8(name, 8)), foldWord(load8(name, n-16)), foldWord(load8(name, n-8))
}

// A slot fills one cache line, so a hit reads one line past the control
// word (slotmid.go); a field added to it must be paid for in the padding.
func TestSlotIsOneCacheLine(t *testing.T) {
	if s := unsafe.Sizeof(slot{}); s != 64 {
		t.Fatalf("a slot has %d bytes, want 64", s)
	}
}
