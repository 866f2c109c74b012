package etcd

import (
	"strings"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/internal/objects"
)

// keys is the key layout under one prefix (see the package doc).
type keys struct{ prefix string }

func (k keys) objects() string { return k.prefix + "objects/" }

func (k keys) kind(kind meta.Kind) string { return k.objects() + string(kind) + "/" }

// namespace is the range of one namespace of a kind; for a cluster-scoped
// kind the namespace is empty, so its objects sit at <kind>//<name>.
func (k keys) namespace(kind meta.Kind, namespace string) string {
	return k.kind(kind) + namespace + "/"
}

func (k keys) object(ref meta.Ref) string { return k.namespace(ref.Kind, ref.Namespace) + ref.Name }

func (k keys) lock(name string) string { return k.prefix + "locks/" + name }

// parseObject returns the reference an object key names, or false for a key
// this layout never writes.
func (k keys) parseObject(key []byte) (meta.Ref, bool) {
	rest, ok := strings.CutPrefix(string(key), k.objects())
	if !ok {
		return meta.Ref{}, false
	}
	kind, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return meta.Ref{}, false
	}
	namespace, name, ok := strings.Cut(rest, "/")
	if !ok {
		return meta.Ref{}, false
	}
	ref := meta.Ref{Kind: meta.Kind(kind), Namespace: namespace, Name: name}
	if objects.ValidateRef(ref) != nil {
		return meta.Ref{}, false
	}
	return ref, true
}
