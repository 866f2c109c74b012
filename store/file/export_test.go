package file

// WithPlacing tells f the path of every file the store is about to rename
// into place: a test's child process dies there, as a crash would.
func WithPlacing(f func(path string)) Option { return func(o *options) { o.placing = f } }

// BatchTurn is how many objects CreateBatch creates per turn of the lock.
const BatchTurn = batchTurn

// MaxHeldDirs bounds the directories a Store keeps open between reads.
const MaxHeldDirs = maxHeldDirs

// OpenDescriptors counts this process's descriptors on dir and below it
// (-1 where /proc does not tell).
var OpenDescriptors = openDescriptors
