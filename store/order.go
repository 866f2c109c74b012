package store

import (
	"strings"

	"github.com/certflow/certflow/meta"
)

// CompareRefs orders refs as List returns its items: by namespace, then
// name, then kind (so a List across kinds is deterministic too).
func CompareRefs(a, b meta.Ref) int {
	if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
		return c
	}
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return strings.Compare(string(a.Kind), string(b.Kind))
}
