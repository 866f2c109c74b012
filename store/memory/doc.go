// Package memory is the reference store.Store: every object lives in process
// memory, guarded by one RWMutex. A write keeps exactly what a store of JSON
// would give back: a typed deep copy that changes what a JSON round trip
// changes (normalise.go; times lose their monotonic reading, invalid UTF-8
// becomes U+FFFD, empty omitempty slices become nil, ...), made before the
// lock is taken, with no JSON on the way; objects a normaliser does not
// reproduce (a time JSON cannot encode, a type with its own JSON methods)
// are encoded and decoded instead, which also gives a bad object its typed
// error. What it keeps of every kind certflow stores is a slab (slab.go):
// the object in a compact binary form, PEM texts as DER, with what other
// objects repeat (map keys, certificates, common messages) shared through
// unique handles; Get decodes it without parsing, List encodes it. A type a
// slab cannot keep is kept decoded, its string maps packed in sorted
// slices (packed.go), and Get deep-copies it; types a deep copy cannot
// reproduce (holding an interface) are kept as JSON and decoded on every
// Get. Writes wake the watchers without ever waiting for them.
//
// Every change goes into a history of recent changes, and each Watch is a
// cursor into it, fed to its channel by its own goroutine. The history keeps
// the newest changes (WithHistory) for watches that resume, and beyond them
// every change a live watcher has still to read, up to WithWatchBuffer
// changes behind: a slow reader catches up and loses nothing, and writers
// never wait for it. A fromRevision older than the history makes Watch
// itself return store.ErrCompacted (never a first event); a watcher that
// falls further behind than the watch buffer gets the changes it had taken,
// then a last event wrapping store.ErrCompacted, and its channel is closed.
package memory
