// Package file is a store.Store kept in one directory that several processes
// may share. Layout, all directories 0700 and all files 0600:
//
//	<dir>/store.lock                            flock target for every write
//	<dir>/changes.log                           the change log (JSON lines)
//	<dir>/objects/<Kind>/<namespace>/<name>.json one file per object
//	<dir>/leases/<name>.json                    one file per held lock
//
// Cluster-scoped objects live under the namespace directory "_cluster"
// (namespaces may not start with '_'). An object file holds the object's
// kind, its metadata and the object's own JSON, so List can filter without
// knowing Go types. Every file is replaced atomically: temporary file in the
// same directory, write, fsync, rename, fsync of the directory.
//
// Writes run under an exclusive flock of store.lock (and a mutex within the
// process), so Update's compare-and-swap is atomic across processes. Each
// write first appends one line {rev,type,ref,meta} to changes.log, then
// writes the object file; the store revision is the last line's rev. List and
// the watch pollers read under a shared flock, so they never see a logged
// change whose object file is not yet written. Get reads without a lock:
// rename makes every file it can see complete.
//
// The first line of changes.log is a header {"rev":N}: changes up to N are
// forgotten. When more than twice the configured history has accumulated the
// writer rewrites the log keeping the newest history entries.
//
// Watch polls changes.log at a configurable interval (real time, since it is
// an I/O cadence and not a decision). A fromRevision older than the log's
// header makes Watch return an error wrapping store.ErrCompacted; a watcher
// that falls behind a trim gets a last event with that error.
//
// List returns every object it can decode and, if some files are corrupt, a
// non-nil error as well: errors.Join of one error per bad file, each naming
// the file and wrapping store.ErrCorrupt. Callers that can continue with
// partial results (the Manager) log the error and use the items.
//
// The package needs flock(2) and builds on Unix systems only.
package file
