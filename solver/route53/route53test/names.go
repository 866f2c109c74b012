package route53test

import (
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

// reversedLabels returns the labels of a canonical name, TLD first: the key
// by which Route 53 sorts hosted zones and record sets.
func reversedLabels(name string) []string {
	labels := strings.Split(strings.TrimSuffix(name, "."), ".")
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return labels
}

// compareNames orders canonical names as Route 53 lists them.
func compareNames(a, b string) int {
	la, lb := reversedLabels(a), reversedLabels(b)
	for i := 0; i < len(la) && i < len(lb); i++ {
		if c := strings.Compare(la[i], lb[i]); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}

// inZone reports whether canonical name is zone or below it.
func inZone(name, zone string) bool {
	return name == zone || strings.HasSuffix(name, "."+zone)
}
