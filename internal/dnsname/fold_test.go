package dnsname

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"example.com":     "example.com",
		"Example.COM.":    "example.com",
		"*.Example.com":   "*.example.com",
		"bücher.EXAMPLE":  "bücher.example",
		"":                "",
		"already.folded.": "already.folded",
	} {
		assert.Equal(t, want, Fold(in), in)
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = Fold("www.example.com") }))
}

func TestSet(t *testing.T) {
	assert.Equal(t, Set([]string{"b.example", "A.example"}), Set([]string{"a.example.", "b.example", "a.example"}))
	assert.NotEqual(t, Set([]string{"a.example"}), Set([]string{"a.example", "b.example"}))
	assert.Equal(t, []string{"a.example", "b.example"}, Set([]string{" B.example ", "a.example", "", "b.example."}))
}

func TestCanonical(t *testing.T) {
	got, err := Canonical("Bücher.Example.")
	assert.NoError(t, err)
	assert.Equal(t, "xn--bcher-kva.example", got)
	_, err = Canonical("a..b")
	assert.ErrorIs(t, err, ErrInvalidName)
}

// lowerASCII is the plain byte-by-byte fold the word-at-a-time code must
// agree with.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// isFoldedPlain is when IsFolded must report true: no byte that it may
// flag, that is none with bit 0x40 set and bit 0x20 clear.
func isFoldedPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i]&0x60 == 0x40 {
			return false
		}
	}
	return true
}

// TestFoldIntoEveryByteEveryPosition: each byte value, at each position
// of names of every length up to three words, folds as the plain loop does,
// and IsFolded never misses an upper-case letter nor flags a byte it need not.
func TestFoldIntoEveryByteEveryPosition(t *testing.T) {
	for n := 1; n <= 24; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := []byte(strings.Repeat("a", n))
				b[pos] = byte(c)
				name := string(b)
				want := lowerASCII(name)
				if got := foldInto(name); got != want {
					t.Fatalf("FoldInto(%q) = %q, want %q", name, got, want)
				}
				if IsFolded(name) && want != name {
					t.Fatalf("IsFolded(%q) but it folds to %q", name, want)
				}
				if isFoldedPlain(name) && !IsFolded(name) {
					t.Fatalf("IsFolded(%q) = false", name)
				}
			}
		}
	}
}

// foldInto folds name with FoldInto into a buffer that has bytes to spare,
// checking it writes exactly len(name) of them.
func foldInto(name string) string {
	buf := []byte(strings.Repeat("#", len(name)+8))
	n := FoldInto(buf, name)
	if n != len(name) || string(buf[n:]) != "########" {
		return fmt.Sprintf("wrote %d bytes: %q", n, buf)
	}
	return string(buf[:n])
}

func TestFoldInto(t *testing.T) {
	assert.Equal(t, "www.example.com", foldInto("WWW.Example.COM"))
	assert.Equal(t, "", foldInto(""))
	assert.True(t, IsFolded(""))
	assert.True(t, IsFolded("www.tenant-000042.example.com"))
	assert.False(t, IsFolded("www.tenant-000042.Example.com"))
	var buf [MaxNameLen]byte
	name := strings.Clone("WWW.Tenant-000042.EXAMPLE.com")
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		if IsFolded(name) || FoldInto(buf[:], name) != len(name) {
			t.Fatal("fold")
		}
	}))
}

func FuzzFoldInto(f *testing.F) {
	for _, s := range []string{"WWW.Example.COM", "a", "", "\xff\xc3\x9cA", strings.Repeat("aB.", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		want := lowerASCII(name)
		if got := foldInto(name); got != want {
			t.Fatalf("FoldInto(%q) = %q, want %q", name, got, want)
		}
		if IsFolded(name) && want != name {
			t.Fatalf("IsFolded(%q) but it folds to %q", name, want)
		}
		if isFoldedPlain(name) && !IsFolded(name) {
			t.Fatalf("IsFolded(%q) = false", name)
		}
	})
}
