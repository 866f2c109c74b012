package file

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// Sessions tell Open whether a process may have died in the middle of a
// write, leaving a temporary file (which may hold a private key) behind.
// Only writeTemp (for writeAtomic and CreateBatch) creates temporary
// files, always under the exclusive lock; before its first one a process
// creates a session file in sessions/ and holds an exclusive lock on it
// until Close removes it. The operating system releases the lock of a
// process that dies, so at Open, under the exclusive lock (no write in
// flight anywhere), a session file nobody holds is a process that died
// after it began writing. A live process has no write in flight then, so
// it has left nothing behind.

const (
	sessionsDir   = "sessions"
	sessionPrefix = "s-"
)

// session is this Store's session file, once it has begun writing.
type session struct {
	file *os.File
	name string
}

// abandonSession releases this Store's session file, left in place, when
// a temporary file could not be removed after a failed write: from then on
// it is a dead session, so the next Open, by this process or another one
// already running, looks at every file. A later write joins a new session.
// An error says the lock may still be held (another process's quick Open
// would then not look at every file until this process ends).
func (t *tree) abandonSession() error {
	s := t.session
	if s == nil {
		return nil
	}
	t.session = nil
	if err := releaseSession(s.file); err != nil {
		return fmt.Errorf("release session %s after a temporary file was left behind: %w", s.name, err)
	}
	return nil
}

// releaseSession unlocks a session file, then closes it. Closing alone
// releases an flock at once, but a LockFileEx lock (Windows) only "when
// the system has the resources": a session released without the unlock
// could stay live to other processes for a while.
func releaseSession(f *os.File) error {
	return errors.Join(unlockFile(f), f.Close())
}

// joinSessions creates and locks this Store's session file unless it has
// one; the caller holds the exclusive lock and is about to create a
// temporary file. The file and its directory entry are made durable first,
// so that a machine crash cannot keep the temporary file and lose the
// session.
func (t *tree) joinSessions() error {
	if t.session != nil {
		return nil
	}
	d, err := t.open(sessionsDir, true)
	if err != nil {
		return err
	}
	defer d.close()
	for {
		name := sessionPrefix + strconv.FormatUint(rand.Uint64(), 36)
		f, err := d.openFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if held, err := tryLockFile(f); err != nil || held {
			_ = f.Close()
			_ = d.Remove(name)
			if err == nil {
				err = errors.New("a new session file is locked by another process")
			}
			return err
		}
		if err := d.sync(); err != nil {
			_ = f.Close()
			_ = d.Remove(name)
			return err
		}
		t.session = &session{file: f, name: name}
		return nil
	}
}

// leaveSessions removes this Store's session file, if it has one, and
// releases its lock.
func (t *tree) leaveSessions() error {
	s := t.session
	if s == nil {
		return nil
	}
	t.session = nil
	// Removed while still locked, so no Open takes it for a dead one; not
	// made durable: should the removal be lost, the next Open looks at
	// every file, which is only slower.
	rerr := t.root.Remove(sessionsDir + "/" + s.name)
	err := releaseSession(s.file)
	if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		// A platform that refuses to remove an open file: again, now
		// that it is closed. (On Windows os.Root opens files sharing
		// delete and removes them with POSIX semantics where the volume
		// has them; where it has not, the removal succeeds and the name
		// goes at the close.)
		if rerr = t.root.Remove(sessionsDir + "/" + s.name); errors.Is(rerr, fs.ErrNotExist) {
			rerr = nil
		}
	}
	return errors.Join(err, rerr)
}

// sessionsState is what Open found in sessions/: tracked says the
// directory exists, so every write since the store was last looked at in
// full had a session; dead lists the session files of processes that died
// after they began writing.
type sessionsState struct {
	tracked bool
	dead    []string
}

// clean says no process may have left a temporary file behind.
func (st sessionsState) clean() bool { return st.tracked && len(st.dead) == 0 }

// readSessions runs at Open under the exclusive lock.
func (s *Store) readSessions() (sessionsState, error) {
	var st sessionsState
	d, err := s.tree.open(sessionsDir, false)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	defer d.close()
	st.tracked = true
	names, err := d.names()
	if err != nil {
		return st, err
	}
	for _, name := range names {
		if !strings.HasPrefix(name, sessionPrefix) {
			continue // a temporary file or a stranger: Open's look covers it
		}
		f, err := d.openFile(name, os.O_RDONLY, 0)
		if errors.Is(err, fs.ErrNotExist) {
			continue // its process closed the store meanwhile
		}
		if err != nil {
			return st, err
		}
		held, err := tryLockFile(f)
		_ = f.Close() // releases the lock if it was taken
		if err != nil {
			return st, err
		}
		if !held {
			st.dead = append(st.dead, name)
		}
	}
	return st, nil
}

// forgetSessions runs at Open under the exclusive lock, after a full look
// found nothing to refuse and removed what dead processes left behind: it
// removes their session files and makes sure writes from now on are
// tracked.
func (s *Store) forgetSessions(st sessionsState) error {
	d, err := s.tree.open(sessionsDir, true)
	if err != nil {
		return err
	}
	defer d.close()
	for _, name := range st.dead {
		if err := d.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		s.log.Info("file: looked at every file after a process that was writing ended without closing the store",
			slog.String("session", d.path(name)))
	}
	if len(st.dead) > 0 {
		return d.sync()
	}
	return nil
}
