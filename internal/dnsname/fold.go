package dnsname

import (
	"slices"
	"strings"
)

// Canonical is Normalize without the trailing dot: the form an ACME
// identifier or a certificate SAN carries.
func Canonical(name string) (string, error) {
	n, err := Normalize(name)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(n, "."), nil
}

// Fold lower-cases the ASCII letters of name and drops one trailing dot,
// without validating it. It allocates only when name has an upper-case
// letter, so the TLS handshake path can use it.
func Fold(name string) string {
	name = strings.TrimSuffix(name, ".")
	upper := false
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			upper = true
			break
		}
	}
	if !upper {
		return name
	}
	b := []byte(name)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Set returns names folded, sorted and without duplicates, so two lists of
// names compare equal when they name the same set in any order or case.
func Set(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n = Fold(strings.TrimSpace(n)); n != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
