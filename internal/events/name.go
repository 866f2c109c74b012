package events

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/certflow/certflow/meta"
)

// maxNameLen is the longest object name every Store accepts.
const maxNameLen = 253

// hashLen is how many hex digits of the key's hash an Event's name carries.
const hashLen = 16

// Ref returns the reference of the Event that aggregates every occurrence
// of (typ, reason, message) on obj: in obj's namespace (clusterNamespace
// for a cluster-scoped obj), named "<obj name>.<hash of the whole key>".
// Every process derives the same name, so replicas aggregate into one Event.
func Ref(obj meta.Ref, typ meta.EventType, reason meta.Reason, message, clusterNamespace string) meta.Ref {
	h := sha256.New()
	for _, part := range []string{string(obj.Kind), obj.Namespace, obj.Name, string(typ), string(reason), message} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	sum := hex.EncodeToString(h.Sum(nil))[:hashLen]
	prefix := obj.Name
	if len(prefix) > maxNameLen-hashLen-1 {
		prefix = prefix[:maxNameLen-hashLen-1]
	}
	return meta.Ref{Kind: meta.KindEvent, Namespace: namespace(obj, clusterNamespace), Name: prefix + "." + sum}
}

// namespace is where the events of obj live.
func namespace(obj meta.Ref, clusterNamespace string) string {
	if obj.Kind.ClusterScoped() {
		return clusterNamespace
	}
	return obj.Namespace
}
