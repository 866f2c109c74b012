package file

import (
	"path"
	"strings"
	"testing"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/internal/objects"
)

// FuzzObjectPathStaysInside checks that every reference the store accepts
// maps to a file inside its objects directory, reached by plain names.
func FuzzObjectPathStaysInside(f *testing.F) {
	for _, seed := range [][3]string{
		{"Widget", "ns", "a"}, {"Widget", "..", "a"}, {"Widget", "ns", "../../x"},
		{"..", "ns", "a"}, {"ClusterIssuer", "", "x"}, {"Widget", "ns", "a\\..\\b"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, kind, ns, name string) {
		ref := meta.Ref{Kind: meta.Kind(kind), Namespace: ns, Name: name}
		if objects.ValidateRef(ref) != nil {
			return
		}
		dir, file := objectLocation(ref)
		p := path.Join(dir, file)
		if path.Clean(p) != p || !strings.HasPrefix(p, objectsDir+"/") {
			t.Fatalf("%q maps to %q, outside %q", ref, p, objectsDir)
		}
		if strings.Contains(file, "/") || strings.Contains(file, `\`) || file == ".json" {
			t.Fatalf("%q maps to file name %q", ref, file)
		}
		// tree.open walks dir one name at a time: each must be a plain name.
		parts := strings.Split(dir, "/")
		if len(parts) != 3 {
			t.Fatalf("%q maps to %q: want objects/kind/namespace", ref, dir)
		}
		for _, part := range parts {
			if part == "" || part == "." || part == ".." || strings.Contains(part, `\`) {
				t.Fatalf("%q maps to %q: element %q", ref, dir, part)
			}
		}
	})
}
