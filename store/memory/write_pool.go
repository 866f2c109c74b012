package memory

import (
	"sync"

	"github.com/certflow/certflow/internal/canon"
)

// writers are slabWriters between writes: every write of a slab kind
// fills one (a few KB for a request or a Secret), and sealSlab copies out
// what it keeps, so the buffers are garbage the moment the write ends.
//
// One pool serves every Store of the process, as objectCodecs does: a
// writer holds nothing of a Store once released (release clears it), so
// Stores share only spare buffers, and a pool per Store would keep one set
// of them per Store for no gain.
var writers = sync.Pool{New: func() any { return &slabWriter{buf: make([]byte, 0, 512)} }}

// maxPooledWriter bounds the buffer a pooled writer keeps: a rare huge
// object (a CA bundle) does not pin its size in the pool.
const maxPooledWriter = 64 << 10

// release returns w to the pool, holding nothing of the write it served.
func (w *slabWriter) release() {
	if w == nil {
		return
	}
	// The copies a write made and did not store (it failed, or another
	// write of the same string failed) would stay in the table for ever.
	canon.ForgetUnheld(w.strs)
	if cap(w.buf) > maxPooledWriter || cap(w.scratch) > maxPooledWriter {
		return
	}
	*w = slabWriter{buf: w.buf[:0], strs: w.strs[:0], scratch: w.scratch[:0], fields: w.fields[:0]}
	clear(w.strs[:cap(w.strs)]) // handles keep their strings alive
	writers.Put(w)
}
