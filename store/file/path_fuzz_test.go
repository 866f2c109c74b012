package file

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/internal/objects"
)

// FuzzObjectPathStaysInside checks that every reference the store accepts
// maps to a file inside its objects directory.
func FuzzObjectPathStaysInside(f *testing.F) {
	for _, seed := range [][3]string{
		{"Widget", "ns", "a"}, {"Widget", "..", "a"}, {"Widget", "ns", "../../x"},
		{"..", "ns", "a"}, {"ClusterIssuer", "", "x"}, {"Widget", "ns", "a\\..\\b"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	s := &Store{objDir: filepath.Join("/store", "objects")}
	f.Fuzz(func(t *testing.T, kind, ns, name string) {
		ref := meta.Ref{Kind: meta.Kind(kind), Namespace: ns, Name: name}
		if objects.ValidateRef(ref) != nil {
			return
		}
		path := s.objectPath(ref)
		rel, err := filepath.Rel(s.objDir, path)
		if err != nil || strings.HasPrefix(rel, "..") || filepath.Clean(path) != path {
			t.Fatalf("%q maps to %q, outside %q", ref, path, s.objDir)
		}
		if got := strings.Count(rel, string(filepath.Separator)); got != 2 {
			t.Fatalf("%q maps to %q: %d separators, want kind/namespace/name", ref, rel, got)
		}
	})
}
