package dnsname

import (
	"strings"
	"testing"
)

// Normalize and Canonical answer exactly as the label-by-label path does
// for every string of up to five bytes drawn from the bytes that matter to
// the one-pass check (letters of both cases, digit, '-', '_', '.', '*',
// a non-ASCII letter, a space), and for names at the label and name
// length limits: the shortcut changes no answer, error or not.
func TestCanonicalShortcutAgreesExhaustively(t *testing.T) {
	check := func(in string) {
		want, wantErr := normalizeLabels(in, strings.TrimSuffix(in, "."))
		got, err := Normalize(in)
		if got != want || (err == nil) != (wantErr == nil) {
			t.Fatalf("Normalize(%q) = %q, %v; by labels %q, %v", in, got, err, want, wantErr)
		}
		c, err := Canonical(in)
		if c != strings.TrimSuffix(want, ".") || (err == nil) != (wantErr == nil) {
			t.Fatalf("Canonical(%q) = %q, %v; by labels %q, %v", in, c, err, want, wantErr)
		}
	}
	alphabet := []string{"a", "Z", "0", "-", "_", ".", "*", "ü", " "}
	var all func(prefix string, left int)
	all = func(prefix string, left int) {
		check(prefix)
		if left > 0 {
			for _, a := range alphabet {
				all(prefix+a, left-1)
			}
		}
	}
	all("", 5)
	for _, label := range []int{62, 63, 64} {
		for _, total := range []int{251, 252, 253, 254, 255} {
			var b strings.Builder
			for b.Len() < total {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(strings.Repeat("a", min(label, total-b.Len())))
			}
			s := b.String()
			for _, in := range []string{s, s + ".", s + "..", "*." + s, strings.ToUpper(s), s[:len(s)-1] + "-"} {
				check(in)
			}
		}
	}
}
