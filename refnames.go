package certflow

import (
	"encoding/binary"
	"slices"
)

// refNames holds the names a refTable interns as bytes in chunks, each
// name its length (a uvarint) then its bytes, so that an entry places its
// name by a 4-byte number and holds no pointer. At 100k certificates the
// owner index interns ~700k objects: as strings, its entries were ~28 MB
// the collector scanned at every cycle (each word of a name's header is a
// pointer to follow), for names the Store holds anyway.
//
// A chunk is only ever appended to, and a released name's bytes stay until
// the dead bytes outweigh the live ones; then each release takes a
// compaction step (compact), until they are down to a quarter: the live
// names of the few chunks with the most dead bytes move to the chunk being
// filled and those chunks are dropped, so the bytes held stay within about
// twice the names'. A step visits refNameScan entries and copies at most
// refNameStep bytes: copying every live name at once held the index's lock
// 19 ms (52 ms at worst) at 100k certificates.
type refNames struct {
	// chunks are appended to, one at a time (cur); chunk i holds the
	// places [i<<refNameShift, (i+1)<<refNameShift). A name too long for a
	// chunk has one to itself, at its start. A dropped chunk is nil and
	// its number in free, to be reused.
	chunks [][]byte
	use    []refChunkUse // by chunk
	free   []uint32
	cur    int // the chunk being filled; -1 (or the zero arena) for none yet
	// live and dead count the bytes of the names placed and released.
	live, dead int
	// compacting holds from a step until the dead bytes are down to a
	// quarter of the live ones, so the arena does not sit at twice its
	// names stepping once a release.
	compacting bool
	// emptying counts the chunks compact is emptying; cursor is the
	// entry its next step visits from.
	emptying, cursor int
}

// refChunkUse counts the bytes of a chunk's names still placed and
// released, and marks one compact empties.
type refChunkUse struct {
	live, dead int32
	emptying   bool
}

const (
	refNameShift = 16
	refNameChunk = 1 << refNameShift // the most a chunk holds, but for one long name
	refNameFirst = 512               // a new arena's first chunk; each next one doubles, up to refNameChunk
	// refNameStep bounds the live bytes one round of compaction steps
	// moves (at least one chunk's): about 0.1 ms of copying.
	refNameStep = 4 * refNameChunk
	// refNameScan is how many entries a compaction step visits (about
	// 0.1-0.3 ms at 350k live names, where 1<<14 took about four times that).
	refNameScan = 1 << 12
	// refNameFree is the place of no name (a released entry's): a name
	// never starts this close to a chunk's end.
	refNameFree = ^uint32(0)
)

// put places name and returns its place.
func (a *refNames) put(name string) uint32 { return placeName(a, name) }

func placeName[S string | []byte](a *refNames, name S) uint32 {
	need := binary.MaxVarintLen64 + len(name)
	if len(a.chunks) == 0 || len(a.chunks[a.cur])+need > cap(a.chunks[a.cur]) {
		size := refNameFirst
		if len(a.chunks) > 0 {
			size = min(max(2*cap(a.chunks[a.cur]), refNameFirst), refNameChunk)
		}
		c := make([]byte, 0, max(size, need))
		if n := len(a.free); n > 0 {
			a.cur = int(a.free[n-1])
			a.free = a.free[:n-1]
			a.chunks[a.cur] = c
		} else {
			if len(a.chunks) == 1<<(32-refNameShift) {
				panic("certflow: refNames: more chunks than a 4-byte place can number")
			}
			a.cur = len(a.chunks)
			a.chunks = append(a.chunks, c)
			a.use = append(a.use, refChunkUse{})
		}
	}
	c := &a.chunks[a.cur]
	at := uint32(a.cur)<<refNameShift | uint32(len(*c))
	*c = binary.AppendUvarint(*c, uint64(len(name)))
	*c = append(*c, name...)
	if cap(*c) > refNameChunk { // a long name's own chunk: the next name starts a new one
		*c = (*c)[:len(*c):len(*c)]
	}
	a.live += len(name)
	a.use[a.cur].live += int32(len(name))
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
	u := &a.use[at>>refNameShift]
	u.live -= int32(n)
	u.dead += int32(n)
}

// wasteful reports whether the released names hold more bytes than the
// live ones (or compacting goes on), and more than a chunk: time for a
// compaction step.
func (a *refNames) wasteful() bool {
	return a.dead > refNameChunk && (a.dead > a.live || a.compacting)
}

// compact takes a compaction step. With no chunks being emptied, it picks
// the chunks with the most dead bytes, as many as hold at most refNameStep
// live bytes (at least one). Their live names are moved, a step at a
// time, to the chunk being filled: each step has scan visit the places of
// the next refNameScan entries from a cursor (scan returns where it
// stopped, -1 at the end) and moves those in the picked chunks. The picked
// chunks are dropped together, once none of them holds a live name (at
// once when none held one when picked). No new name goes into a picked
// chunk, so the places visited before the cursor stay moved.
func (a *refNames) compact(scan func(from int, visit func(*uint32)) int) {
	if a.emptying == 0 && !a.pick() {
		a.compacting = false
		return
	}
	a.drop() // the picked chunks, once none holds a live name
	if a.emptying > 0 {
		next := scan(a.cursor, func(at *uint32) {
			if *at == refNameFree || !a.use[*at>>refNameShift].emptying {
				return
			}
			name := a.name(*at)
			a.use[*at>>refNameShift].live -= int32(len(name))
			a.live -= len(name)
			*at = placeName(a, name)
		})
		a.cursor = max(next, 0) // at the end: round again, though nothing should be left
	}
	a.drop()
	a.compacting = a.emptying > 0 || 4*a.dead > a.live
}

// pick marks the chunks compact empties next, reporting whether any.
func (a *refNames) pick() bool {
	var order []uint32
	for i, u := range a.use {
		if u.dead > 0 {
			order = append(order, uint32(i))
		}
	}
	slices.SortFunc(order, func(x, y uint32) int { return int(a.use[y].dead) - int(a.use[x].dead) })
	budget := 0
	for _, c := range order {
		if budget += int(a.use[c].live); budget > refNameStep && a.emptying > 0 {
			break
		}
		a.use[c].emptying = true
		a.emptying++
		if int(c) == a.cur {
			// Its names move to a fresh chunk: none comes after them.
			cc := a.chunks[c]
			a.chunks[c] = cc[:len(cc):len(cc)]
		}
	}
	a.cursor = 0
	return a.emptying > 0
}

// drop drops the picked chunks once none holds a live name.
func (a *refNames) drop() {
	for _, u := range a.use {
		if u.emptying && u.live > 0 {
			return
		}
	}
	for c, u := range a.use {
		if u.emptying {
			a.dead -= int(u.dead)
			a.chunks[c], a.use[c] = nil, refChunkUse{}
			a.free = append(a.free, uint32(c))
		}
	}
	a.emptying = 0
}
