package metrics

import (
	"encoding/binary"
	"hash/maphash"

	"github.com/certflow/certflow/meta"
)

// dirtySet is the set of objects changed since the last scrape. A Manager
// nobody scrapes marks every Certificate it writes, so the set holds them
// all: as a map keyed by meta.Ref it cost ~136 bytes a Certificate, three
// strings in each key for the collector to scan at every cycle. Here a
// member is its kind, namespace and name written into one byte slice,
// found by a hash in a map of 12-byte slots, neither holding a pointer.
// Not safe for concurrent use: objectIndex.dirtyMu guards it.
type dirtySet struct {
	seed maphash.Seed
	// at finds a member by its hash: its place in members.
	at      map[uint64]uint32
	members []byte
	// clash holds the members whose hash an earlier member has.
	clash []meta.Ref
}

func (s *dirtySet) len() int { return len(s.at) + len(s.clash) }

// add makes ref a member.
func (s *dirtySet) add(ref meta.Ref) {
	if s.at == nil {
		s.at = map[uint64]uint32{}
		s.seed = maphash.MakeSeed()
	}
	h := s.hash(ref)
	p, taken := s.at[h]
	switch {
	case !taken:
		s.at[h] = uint32(len(s.members))
		for _, part := range [...]string{string(ref.Kind), ref.Namespace, ref.Name} {
			s.members = binary.AppendUvarint(s.members, uint64(len(part)))
			s.members = append(s.members, part...)
		}
	case s.is(p, ref):
	default:
		for _, c := range s.clash {
			if c == ref {
				return
			}
		}
		s.clash = append(s.clash, ref)
	}
}

// all yields every member.
func (s *dirtySet) all(yield func(meta.Ref) bool) {
	for _, p := range s.at {
		if !yield(s.member(p)) {
			return
		}
	}
	for _, ref := range s.clash {
		if !yield(ref) {
			return
		}
	}
}

// member reads the member written at p.
func (s *dirtySet) member(p uint32) meta.Ref {
	b := s.members[p:]
	var parts [3]string
	for i := range parts {
		n, k := binary.Uvarint(b)
		parts[i] = string(b[k : k+int(n)])
		b = b[k+int(n):]
	}
	return meta.Ref{Kind: meta.Kind(parts[0]), Namespace: parts[1], Name: parts[2]}
}

// is reports whether the member written at p is ref, reading no string out.
func (s *dirtySet) is(p uint32, ref meta.Ref) bool {
	b := s.members[p:]
	for _, part := range [...]string{string(ref.Kind), ref.Namespace, ref.Name} {
		n, k := binary.Uvarint(b)
		if string(b[k:k+int(n)]) != part {
			return false
		}
		b = b[k+int(n):]
	}
	return true
}

func (s *dirtySet) hash(ref meta.Ref) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteString(string(ref.Kind))
	h.WriteByte(0)
	h.WriteString(ref.Namespace)
	h.WriteByte(0)
	h.WriteString(ref.Name)
	return h.Sum64()
}
