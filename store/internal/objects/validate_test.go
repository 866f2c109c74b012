package objects

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

func TestValidateRef(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ref   meta.Ref
		valid bool
	}{
		{"namespaced", meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "web"}, true},
		{"cluster scoped", meta.Ref{Kind: meta.KindClusterIssuer, Name: "le"}, true},
		{"dots inside", meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "example.com.tls"}, true},
		{"longest name", meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: strings.Repeat("a", MaxNameLen)}, true},
		{"no kind", meta.Ref{Namespace: "ns", Name: "a"}, false},
		{"no name", meta.Ref{Kind: meta.KindSecret, Namespace: "ns"}, false},
		{"namespaced without namespace", meta.Ref{Kind: meta.KindSecret, Name: "a"}, false},
		{"cluster scoped with namespace", meta.Ref{Kind: meta.KindClusterIssuer, Namespace: "ns", Name: "a"}, false},
		{"name too long", meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: strings.Repeat("a", MaxNameLen+1)}, false},
		{"slash", meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "a/b"}, false},
		{"backslash", meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: `a\b`}, false},
		{"NUL", meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "a\x00"}, false},
		{"dot", meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "."}, false},
		{"dot dot", meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: ".."}, false},
		{"hidden", meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: ".tmp-1"}, false},
		{"namespace dot dot", meta.Ref{Kind: meta.KindSecret, Namespace: "..", Name: "a"}, false},
		{"namespace underscore", meta.Ref{Kind: meta.KindSecret, Namespace: "_cluster", Name: "a"}, false},
		{"kind with slash", meta.Ref{Kind: "a/b", Namespace: "ns", Name: "a"}, false},
		{"NUL in a long name", meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "example-com-tls\x00"}, false},
		{"backslash ending a long namespace", meta.Ref{Kind: meta.KindSecret, Namespace: "namespace\\", Name: "a"}, false},
		{"slash first", meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "/a"}, false},
		{"not UTF-8", meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "a\xff\xfe"}, true},
		{"multi-byte", meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "zürich-\u2028"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateRef(tc.ref)
			if tc.valid {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, store.ErrInvalid)
			}
		})
	}
}
