// Package memory is the reference store.Store: every object lives in process
// memory as its JSON encoding plus a decoded copy of its ObjectMeta, guarded by
// one RWMutex. Reads decode outside the lock; writes encode under it and fan
// the change out to watchers without ever waiting for them.
//
// Watch replays from a bounded history of recent changes. A fromRevision older
// than that history makes Watch itself return store.ErrCompacted (never a
// first event); a watcher whose buffer fills up gets a last event with Err
// wrapping store.ErrCompacted and its channel is closed.
package memory
