package certflow

import "encoding/binary"

// refNames holds the names a refTable interns as bytes in chunks, each
// name its length (a uvarint) then its bytes, so that an entry places its
// name by a 4-byte number and holds no pointer. At 100k certificates the
// owner index interns ~700k objects: as strings, its entries were ~28 MB
// the collector scanned at every cycle (each word of a name's header is a
// pointer to follow), for names the Store holds anyway.
//
// A chunk is only ever appended to, and a released name's bytes stay until
// the dead bytes outweigh the live ones; then compact copies the live names
// into fresh chunks, so the bytes held stay within about twice the names'.
type refNames struct {
	// chunks are appended to in turn; chunk i holds the places
	// [i<<refNameShift, (i+1)<<refNameShift). A name too long for a chunk
	// has one to itself, at its start.
	chunks [][]byte
	// live and dead count the bytes of the names placed and released.
	live, dead int
}

const (
	refNameShift = 16
	refNameChunk = 1 << refNameShift // the most a chunk holds, but for one long name
	refNameFirst = 512               // a new arena's first chunk; each next one doubles, up to refNameChunk
)

// put places name and returns its place.
func (a *refNames) put(name string) uint32 { return placeName(a, name) }

func placeName[S string | []byte](a *refNames, name S) uint32 {
	need := binary.MaxVarintLen64 + len(name)
	n := len(a.chunks)
	if n == 0 || len(a.chunks[n-1])+need > cap(a.chunks[n-1]) {
		size := refNameFirst
		if n > 0 {
			size = min(2*cap(a.chunks[n-1]), refNameChunk)
		}
		if n == 1<<(32-refNameShift) {
			panic("certflow: refNames: more chunks than a 4-byte place can number")
		}
		a.chunks = append(a.chunks, make([]byte, 0, max(size, need)))
		n++
	}
	c := &a.chunks[n-1]
	at := uint32(n-1)<<refNameShift | uint32(len(*c))
	*c = binary.AppendUvarint(*c, uint64(len(name)))
	*c = append(*c, name...)
	if cap(*c) > refNameChunk { // a long name's own chunk: the next name starts a new one
		*c = (*c)[:len(*c):len(*c)]
	}
	a.live += len(name)
	return at
}

// name returns the bytes of the name placed at at, which stay as they are
// (a chunk is never written over) but must not be kept: compact drops them.
func (a *refNames) name(at uint32) []byte {
	c := a.chunks[at>>refNameShift][at&(refNameChunk-1):]
	n, k := binary.Uvarint(c)
	return c[k : k+int(n)]
}

// release counts the name at at as dead; compacting is the caller's, when
// wasteful says so.
func (a *refNames) release(at uint32) {
	n := len(a.name(at))
	a.live -= n
	a.dead += n
}

// wasteful reports whether the released names hold more bytes than the
// live ones, and more than a chunk: time to compact.
func (a *refNames) wasteful() bool { return a.dead > a.live && a.dead > refNameChunk }

// compact copies the names placed at the places places lists into fresh
// chunks and rewrites each place (a nil place is skipped).
func (a *refNames) compact(places func(yield func(*uint32) bool)) {
	var fresh refNames
	for at := range places {
		*at = placeName(&fresh, a.name(*at))
	}
	*a = fresh
}
