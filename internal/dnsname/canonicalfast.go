package dnsname

// isCanonical reports whether n, a name without its trailing dot, is
// already what Normalize makes of it: lower-case ASCII labels that
// validASCIILabel accepts, an optional leading "*" label, at most
// MaxNameLen octets. Names certflow has stored or written itself are, so
// Normalize and Canonical check them in one pass without splitting,
// joining or copying (every issuance canonicalises its names several
// times).
func isCanonical(n string) bool {
	if n == "" || len(n) > MaxNameLen {
		return false
	}
	if n == "*" { // Normalize keeps a lone wildcard label; ParseIdentifier refuses it
		return true
	}
	start := 0
	if len(n) >= 2 && n[0] == '*' && n[1] == '.' {
		start = 2
	}
	label := start // where the current label begins
	for i := start; i <= len(n); i++ {
		if i < len(n) && n[i] != '.' {
			c := n[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
			continue
		}
		l := n[label:i]
		if l == "" || len(l) > maxLabelLen || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		label = i + 1
	}
	return true
}
