// Package file is a store.Store kept in one directory that several processes
// may share. Layout, all directories 0700 and all files 0600:
//
//	<dir>/store.lock                            lock target for every write
//	<dir>/changes.log                           the change log (JSON lines)
//	<dir>/objects/<Kind>/<namespace>/<name>.json one file per object
//	<dir>/leases/<name>.json                    one file per held lock
//	<dir>/sessions/s-<random>                   one per Store that is writing
//
// Cluster-scoped objects live under the namespace directory "_cluster"
// (namespaces may not start with '_'). An object file holds the object's
// kind, its metadata and the object's own JSON, so List can filter without
// knowing Go types. Every file is replaced atomically: temporary file
// (".tmp-…") in the same directory, write, fsync, rename, fsync of the
// directory. A directory the store creates is fsynced in its parent.
//
// Writes run under an exclusive lock of store.lock (flock(2) on Unix,
// LockFileEx on Windows; other systems cannot open a store) and a mutex
// within the process, so Update's compare-and-swap is atomic across
// processes. Each write first appends one line {rev,type,ref,meta} to
// changes.log, then writes the object file; the store revision is the last
// line's rev. List and the watch pollers read under a shared lock, so they
// never see a logged change whose object file is not yet written. Get reads
// without a lock: rename makes every file it can see complete.
//
// CreateBatch (store.BatchCreator) shares that work among up to 64
// objects per turn of the exclusive lock: it writes each object's
// temporary file, appends all their lines to changes.log in one write,
// fsyncs the log and the temporary files together (sixteen at a time),
// then renames each file into place and fsyncs each directory once, where
// Create makes three fsyncs one after the other per object. Nothing is
// weakened: each object's line is durable before its file is in place,
// and each object is durable when CreateBatch reports it created. A crash
// in a turn leaves what a crash in a Create leaves, for up to 64 objects
// at once: temporary files (the next Open removes them, see Crashes) and
// lines whose files never took their place (a watcher gets their Added
// events, Get and List do not find them; as after a Create whose file
// write fails).
//
// The first line of changes.log is a header {"rev":N}: changes up to N are
// forgotten. When more than twice the configured history has accumulated the
// writer rewrites the log keeping the newest history entries.
//
// Watch polls changes.log at a configurable interval (real time, since it is
// an I/O cadence and not a decision). A fromRevision older than the log's
// header makes Watch return an error wrapping store.ErrCompacted; a watcher
// that falls behind a trim, or reaches revisions a repair forgot (below),
// gets a last event with that error after the changes before it.
//
// List returns every object it can decode and, if some files are corrupt or
// unsafe, a non-nil error as well: errors.Join of one error per bad path,
// each naming it and wrapping store.ErrCorrupt or ErrUnsafePath. Callers that
// can continue with partial results (the Manager) log the error and use the
// items.
//
// # A hostile or damaged directory
//
// The directory holds private keys, so the store trusts nothing it finds
// in it beyond the directory itself, which may be a symbolic link the
// operator made.
//
// Links. Every path is walked from a handle on the store directory one name
// at a time (os.Root, which opens each step without following links on
// Unix and Windows and cannot leave the directory), and every step must be
// a real directory, every file a regular file. A symbolic link, a Windows
// junction or a special file anywhere below the directory is refused, never
// followed, with an *UnsafePathError (errors.Is ErrUnsafePath) naming it:
// by the operation that meets it, by List among its per-path errors, and by
// Open. What is checked is compared with what is opened, so a link swapped
// in between is refused too. A directory walked to is kept open for the
// next walk (a few dozen at most, none on Windows), and taken again only
// after the same look at its name from its parent: one replaced, removed
// or made a link since is walked to afresh. (On Linux an object file is read with one
// openat(O_NOFOLLOW|O_NONBLOCK) relative to its directory's handle, and
// checked from the descriptor before a byte of it is read: the same
// refusals, in a third of the system calls. Only what the directory
// listing, or an fstatat when there is none, calls a regular file is
// opened: a device node is refused unopened, since opening one can act.)
//
// Modes (Unix). A directory or file that other users can write (mode &
// 0o022) is refused, by Open and by every operation that meets it: another
// user could have planted or altered objects, and only the operator can
// judge that, so the store changes nothing and says which path and mode. One
// that other users can only read (say a Secret at 0644) is made private
// (0700 or 0600), and each path is logged with its former mode: the key may
// have been read and the operator decides whether to rotate it; refusing
// would stop renewals for something a chmod fixes. Directories, leases and
// the store's own files are made private by Open; an object file by Open
// only when it looks at every file (below), and otherwise when the store
// first reads it, from the file it opened (fchmod), before a byte of it is
// used. A Manager lists every object as it starts, so every object file is
// private within seconds of Open; a program that never reads an object
// leaves its file as it was, unless it opens the store WithFullOpen.
//
// Leftovers. Open, under the exclusive lock (so no write is in flight),
// removes the temporary files of interrupted writes, which may hold private
// keys (in the object directories, where only the writes of a process
// that died leave them, when it looks at every file: see Crashes), and the
// files of expired leases, and logs each path.
//
// Crashes. A Store creates a session file, and holds a lock on it, before
// its first write and removes it at Close; the lock of a process that dies
// is released. A session file nobody holds is a process that died after
// it began writing: Open looks at every file only then (or when the store
// has no sessions directory yet, or WithFullOpen asks it to) and otherwise
// only at the directories, the leases and the change log's first and last
// lines. At 100k certificates, some 700k files, the full look takes
// seconds. Links and files other users can write among the object files
// are then refused by the operation that meets them rather than by Open.
//
// A damaged change log. An Open that looks at every file reads the whole log
// (one that does not reads its ends, where a crash cuts a line short, and
// leaves damage in the middle, which is not a crash's doing, to the watchers
// that meet it: they get store.ErrCompacted and list again); a line that
// does not decode, or does not raise the revision, is dropped, and where
// revisions may have been lost a marker line {"rev":N} (the header's shape)
// is put in, so a watcher from before them gets store.ErrCompacted and lists
// again rather than silently missing a change. Revisions then continue above
// every stored object's ResourceVersion and above what the damage can have
// held, so none is reused. Object files are never touched. The repair is
// logged (WithLogger); a writer that meets a damaged log end later repairs
// it the same way. Bytes after the last newline are a write that never
// completed and are cut without a marker, as before.
package file
