package events

import "encoding/binary"

// nameChunkSize is the size of one chunk of queued names: a name's place
// is its chunk (16 bits) and its offset in it (16 bits).
const nameChunkSize = 1 << 16

// maxQueuedName is the longest name a chunk holds: its length is 16 bits.
const maxQueuedName = nameChunkSize - 2

// nameChunkMin is the capacity a chunk starts with.
const nameChunkMin = 512

// maxNameChunks is how many chunks a nameArena can address: 4 GiB of
// names, some 100 million Events queued by one writer.
const maxNameChunks = 1 << 16

// nameArena holds the names of the queued Events as bytes, in chunks of
// 64 KiB, so that a queued entry is pointer-free (its name's place, 4
// bytes): at 100,000 certificates the queue holds ~500,000 Events for an
// hour, and a string each cost its own allocation (~32 bytes) and a
// pointer the collector marks at every cycle, where a chunk of bytes is
// neither scanned nor split. A chunk is dropped once every name in it left
// the queue: the Events a writer writes are queued about in the order they
// expire, so chunks empty in turn. The Events a sweep finds are queued in
// list order, so after a restart a chunk of them stays until its latest
// name expires (at most MaxAge, and no more bytes than the names).
type nameArena struct {
	chunks []nameChunk
	// free are chunks whose names all left (their bytes dropped); cur is
	// the chunk being filled, -1 for none.
	free []uint16
	cur  int32
}

type nameChunk struct {
	buf  []byte // len(buf) bytes written; each name is a 2-byte length, then its bytes
	live int32  // names still queued
}

// put stores name and returns its place.
func (a *nameArena) put(name string) uint32 {
	need := 2 + len(name)
	if len(a.chunks) == 0 {
		a.cur = -1
	}
	if a.cur < 0 || len(a.chunks[a.cur].buf)+need > nameChunkSize {
		a.cur = int32(a.newChunk())
	}
	c := &a.chunks[a.cur]
	off := len(c.buf)
	if cap(c.buf)-off < need {
		// A chunk starts small (a Manager with few Events queues little)
		// and doubles up to its size.
		buf := make([]byte, off, min(nameChunkSize, max(2*cap(c.buf), off+need)))
		copy(buf, c.buf)
		c.buf = buf
	}
	c.buf = binary.LittleEndian.AppendUint16(c.buf, uint16(len(name)))
	c.buf = append(c.buf, name...)
	c.live++
	return uint32(a.cur)<<16 | uint32(off)
}

func (a *nameArena) newChunk() uint16 {
	buf := make([]byte, 0, nameChunkMin)
	if n := len(a.free); n > 0 {
		i := a.free[n-1]
		a.free = a.free[:n-1]
		a.chunks[i] = nameChunk{buf: buf}
		return i
	}
	if len(a.chunks) == maxNameChunks {
		panic("events: more than 4 GiB of Event names queued to expire")
	}
	a.chunks = append(a.chunks, nameChunk{buf: buf})
	return uint16(len(a.chunks) - 1)
}

// name returns the name at place p, as a string of its own.
func (a *nameArena) name(p uint32) string {
	buf := a.chunks[p>>16].buf[p&0xffff:]
	n := int(binary.LittleEndian.Uint16(buf))
	return string(buf[2 : 2+n])
}

// release notes that the name at place p left the queue, dropping its
// chunk with the chunk's last name (the chunk being filled is kept, and
// filled again from its start).
func (a *nameArena) release(p uint32) {
	i := int32(p >> 16)
	c := &a.chunks[i]
	if c.live--; c.live > 0 {
		return
	}
	if i == a.cur {
		c.buf = c.buf[:0]
		return
	}
	*c = nameChunk{}
	a.free = append(a.free, uint16(i))
}
