// Package memory is the reference store.Store: every object lives in process
// memory, decoded, guarded by one RWMutex. A write keeps a copy of the
// object that is exactly what a store of JSON would give back: a typed deep
// copy that changes what a JSON round trip changes (normalise.go; times
// lose their monotonic reading, invalid UTF-8 becomes U+FFFD, empty
// omitempty slices become nil, ...), made before the lock is taken, with no
// JSON on the way; objects a normaliser does not reproduce (a time JSON
// cannot encode, a type with its own JSON methods) are encoded and decoded
// instead, which also gives a bad object its typed error. Get deep-copies
// the kept object outside the lock, without parsing; List encodes it. Its
// string maps (labels, annotations, a Secret's data) are kept packed in
// sorted slices, a fraction of a Go map's size, and rebuilt for each reader
// (packed.go). An update reuses the strings of the version it replaces. Types
// a deep copy cannot reproduce (holding an interface) are kept as JSON and
// decoded on every Get instead. Writes wake the watchers without ever
// waiting for them.
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
