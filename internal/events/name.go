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
// Every process derives the same name, so replicas aggregate into one Event
// (and the name must never change between releases: TestRef_NamesAreStable).
//
// It hashes the key in one call over one buffer, on the stack for a key of
// up to keyBuf bytes, and hex-encodes only the digits the name keeps: the
// name is its one allocation.
func Ref(obj meta.Ref, typ meta.EventType, reason meta.Reason, message, clusterNamespace string) meta.Ref {
	var buf [keyBuf]byte
	key := buf[:0]
	for _, part := range [...]string{string(obj.Kind), obj.Namespace, obj.Name, string(typ), string(reason), message} {
		key = append(append(key, part...), 0)
	}
	sum := sha256.Sum256(key)
	var digits [hashLen]byte
	hex.Encode(digits[:], sum[:hashLen/2])
	prefix := obj.Name
	if len(prefix) > maxNameLen-hashLen-1 {
		prefix = prefix[:maxNameLen-hashLen-1]
	}
	return meta.Ref{Kind: meta.KindEvent, Namespace: namespace(obj, clusterNamespace), Name: prefix + "." + string(digits[:])}
}

// keyBuf is the size of the key Ref hashes without allocating: an
// issuance's keys are ~100-200 bytes.
const keyBuf = 512

// namespace is where the events of obj live.
func namespace(obj meta.Ref, clusterNamespace string) string {
	if obj.Kind.ClusterScoped() {
		return clusterNamespace
	}
	return obj.Namespace
}
