package file

import (
	"os"
	"path"
	"runtime"
	"sync"
)

// holdDirs is false where an open directory handle may stop other
// processes renaming or removing the directory (Windows): there every
// open walks the path as it always did.
const holdDirs = runtime.GOOS != "windows"

// maxHeldDirs bounds the directories a tree keeps open (two descriptors
// each at most: its os.Root and, once read from, its dirFile). A Manager's
// visit reads a few kinds in one namespace, so a handful are hot at a time.
const maxHeldDirs = 64

// heldDirs keeps the directories tree.open walked to open, so that the
// next open of the same path need not walk it again: a Manager restarting
// on 100k certificates Gets 100k objects, and opening objects/Kind/ns one
// name at a time (an lstat, an openat, an fstat and a close each, and an
// os.Root) was a third of each Get.
//
// A held directory is used again only after the same one-step look that a
// walk makes, from its parent, not following a link (folder.enter): the
// name must still be a directory other users cannot write, and the very
// one held. So a directory replaced, removed, moved away or swapped for a
// link since is never read through its old handle; it is dropped and the
// path walked again, which refuses or fails as it did before.
type heldDirs struct {
	mu     sync.Mutex
	byRel  map[string]*folder
	closed bool
}

// take returns the folder held for rel, if any, with one more use on it.
func (h *heldDirs) take(rel string) *folder {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.byRel[rel]
	if f != nil {
		f.uses++
	}
	return f
}

// keep holds f, just opened and checked, and returns it with one use on
// it; f stays the caller's alone (and closes with its use) when the tree
// is closed or every held folder is in use.
func (h *heldDirs) keep(f *folder) *folder {
	if h == nil {
		return f
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || h.byRel[f.rel] != nil {
		return f // another use opened it meanwhile and holds its own
	}
	if len(h.byRel) >= maxHeldDirs && !h.evictIdleLocked() {
		return f
	}
	if h.byRel == nil {
		h.byRel = map[string]*folder{}
	}
	f.held, f.uses = true, 1
	h.byRel[f.rel] = f
	return f
}

// evictIdleLocked closes one held folder not in use, if there is one.
func (h *heldDirs) evictIdleLocked() bool {
	for rel, f := range h.byRel {
		if f.uses == 0 {
			delete(h.byRel, rel)
			f.closeHandles()
			return true
		}
	}
	return false
}

// release ends one use of f, held; a folder dropped meanwhile closes with
// its last use.
func (h *heldDirs) release(f *folder) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f.uses--
	if f.uses == 0 && h.byRel[f.rel] != f {
		f.closeHandles()
	}
}

// drop stops holding f (no longer what its path names) and ends the use
// the caller had on it.
func (h *heldDirs) drop(f *folder) {
	h.mu.Lock()
	if h.byRel[f.rel] == f {
		delete(h.byRel, f.rel)
	}
	h.mu.Unlock()
	h.release(f)
}

// close stops holding anything: folders not in use close now, the others
// with their last use.
func (h *heldDirs) close() {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for rel, f := range h.byRel {
		delete(h.byRel, rel)
		if f.uses == 0 {
			f.closeHandles()
		}
	}
}

// enter opens the directory name in f, as child does, taking the folder
// held for it when the look from f finds the same directory there.
func (f *folder) enter(name string, create bool) (*folder, error) {
	if held := f.t.dirs.take(path.Join(f.rel, name)); held != nil {
		fi, err := f.Lstat(name)
		if err == nil && checkDir(held.abs, fi) == nil && os.SameFile(fi, held.opened) {
			return held, nil
		}
		// Gone, replaced, made a link or writable by others: walk
		// again, which reports it as a first open would.
		f.t.dirs.drop(held)
	}
	next, err := f.child(name, create)
	if err != nil {
		return nil, err
	}
	return f.t.dirs.keep(next), nil
}
