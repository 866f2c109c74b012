package route53test

import (
	"slices"
	"strconv"
	"strings"
)

// canonical lower-cases name, decodes Route 53's \ddd octal escapes and
// appends the trailing dot, so that names compare as Route 53 compares them.
func canonical(name string) string {
	name = strings.ToLower(unescapeOctal(name))
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

// unescapeOctal decodes \ddd escapes (Route 53 returns "*" as "\052").
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// sortKey is the name with its labels reversed and a trailing dot
// ("com.example.www."): Route 53 sorts zones and record sets by comparing
// these strings, so "-" (before ".") can reorder siblings, as its docs warn.
func sortKey(name string) string {
	labels := strings.Split(strings.TrimSuffix(name, "."), ".")
	slices.Reverse(labels)
	return strings.Join(labels, ".") + "."
}

// compareNames orders canonical names as Route 53 lists them.
func compareNames(a, b string) int {
	return strings.Compare(sortKey(a), sortKey(b))
}

// inZone reports whether canonical name is zone or below it.
func inZone(name, zone string) bool {
	return name == zone || strings.HasSuffix(name, "."+zone)
}
