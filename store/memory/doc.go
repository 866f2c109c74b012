// Package memory is the reference store.Store: every object lives in process
// memory, decoded, guarded by one RWMutex. A write encodes the object to JSON
// and decodes it again under the lock, so what is kept is exactly what a
// store of JSON would give back, and then keeps only the decoded copy (not
// the encoding too). Get deep-copies it outside the lock, without parsing;
// List encodes it. Types a deep copy cannot reproduce (holding an interface)
// are kept as JSON and decoded on every Get instead. Writes wake the
// watchers without ever waiting for them.
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
