package file

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// minRecordLen is no longer than any change record line encodeLine writes
// (TestMinRecordLen); it bounds how many changes damaged bytes can have held.
const minRecordLen = 40

// revRange is the revisions from first to last, both included.
type revRange struct{ first, last uint64 }

func (r revRange) String() string {
	if r.first == r.last {
		return strconv.FormatUint(r.first, 10)
	}
	return fmt.Sprintf("%d-%d", r.first, r.last)
}

// logRepair is what repairLog changed.
type logRepair struct {
	droppedLines int // complete lines that did not decode or went backwards
	droppedBytes int
	madeHeader   bool       // the log had no header line
	forgotten    []revRange // revisions whose changes are not in the log; each got a marker
}

func (r logRepair) changed() bool {
	return r.droppedLines > 0 || r.madeHeader || len(r.forgotten) > 0
}

// repairLog returns the change log data with every complete line that does
// not decode as a record, or does not raise the revision, dropped, and with
// a marker line {"rev":N} (the header's shape) wherever revisions may have
// been lost, so that a watcher from before them gets store.ErrCompacted
// instead of silently missing a change. floor is a revision the log must
// reach (the highest ResourceVersion of the object files): a revision is
// never reused.
//
// Lost revisions are known exactly between two good lines. Damage at the
// end may have held any changes, deletions included, which leave no object
// file behind; they are bounded by its length (no change record is shorter
// than minRecordLen), assuming the damage is no shorter than the lines it
// replaced, as with zeroed or overwritten blocks. Bytes after the last
// newline are a write that never completed and committed nothing; they are
// left out without a marker.
func repairLog(data []byte, floor uint64) ([]byte, logRepair) {
	var (
		out     []byte
		rep     logRepair
		last    uint64
		started bool // a header has been written to out
		records bool // and a line after it
		damage  int  // bytes dropped since the last good line
	)
	mark := func(rev uint64) {
		if rev <= last {
			return
		}
		rep.forgotten = append(rep.forgotten, revRange{last + 1, rev})
		line, _ := encodeLine(logRecord{Rev: rev})
		if !records {
			out = out[:0] // raise the header rather than follow it with a marker
		}
		out = append(out, line...)
		last = rev
	}
	for {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			break
		}
		line := data[:nl+1]
		data = data[nl+1:]
		r, ok := goodLine(line[:nl])
		if !ok || (started && r.Rev <= last) {
			rep.droppedLines++
			rep.droppedBytes += len(line)
			damage += len(line)
			continue
		}
		switch {
		case !started && r.Type == "":
			last = r.Rev
		case !started:
			// The header is lost: what came before r is forgotten.
			rep.madeHeader = true
			header, _ := encodeLine(logRecord{Rev: r.Rev - 1})
			out = append(out, header...)
			last = r.Rev - 1
		case r.Type != "" && r.Rev > last+1:
			mark(r.Rev - 1)
		}
		records = records || started || r.Type != ""
		started = true
		out = append(out, line...)
		last = r.Rev
		damage = 0
	}
	if !started {
		rep.madeHeader = true
		header, _ := encodeLine(logRecord{Rev: 0})
		out = append(out, header...)
	}
	if damage > 0 {
		mark(max(last, floor) + uint64((damage+minRecordLen-1)/minRecordLen))
	}
	mark(floor)
	return out, rep
}

// goodLine decodes a line that is a change record or a header/marker.
func goodLine(line []byte) (logRecord, bool) {
	var r logRecord
	if json.Unmarshal(line, &r) != nil {
		return r, false
	}
	switch r.Type {
	case "":
		return r, true
	case store.Added, store.Modified, store.Deleted:
		return r, r.Ref != nil && r.Meta != nil && r.Rev > 0
	default:
		return r, false
	}
}

// checkLog runs at Open under the exclusive lock: it reads the whole change
// log and repairs it if any line is damaged.
func (s *Store) checkLog() error {
	data, err := s.tree.top().readFile(logName)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if _, rep := repairLog(data, 0); rep.changed() {
		if err := s.repairLog(); err != nil {
			return err
		}
	}
	lf, st, err := s.openLog()
	if err != nil {
		return err
	}
	s.lastRev = st.rev
	return lf.Close()
}

// checkLogEnd is checkLog reading only the log's first and last lines,
// which is all a crash can damage (see WithFullOpen).
func (s *Store) checkLogEnd() error {
	lf, st, err := s.openLog() // repairs a damaged end
	if err != nil {
		return err
	}
	s.lastRev = st.rev
	return lf.Close()
}

// repairLogIfDamaged repairs the log if its end does not decode; the caller
// holds the exclusive lock.
func (s *Store) repairLogIfDamaged() error {
	lf, _, err := s.openLog() // repairs what it must
	if err != nil {
		return err
	}
	return lf.Close()
}

// repairLog rewrites the change log as repairLog says, above every stored
// object's revision, and reports what it did. The caller holds the
// exclusive lock. The new log is a new file, so watchers start over on it
// and meet its markers.
func (s *Store) repairLog() error {
	top := s.tree.top()
	data, err := top.readFile(logName)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	floor, err := s.maxObjectRevision()
	if err != nil {
		return err
	}
	out, rep := repairLog(data, max(floor, s.lastRev))
	if err := top.writeAtomic(logName, out); err != nil {
		return err
	}
	if len(data) == 0 && rep.forgotten == nil {
		return nil // a new store's first log
	}
	forgotten := make([]string, len(rep.forgotten))
	for i, r := range rep.forgotten {
		forgotten[i] = r.String()
	}
	s.log.Warn("file: repaired the change log; watchers from before forgotten revisions will list again",
		slog.String("path", top.path(logName)),
		slog.Int("dropped_lines", rep.droppedLines),
		slog.Int("dropped_bytes", rep.droppedBytes),
		slog.Bool("header_rebuilt", rep.madeHeader),
		slog.String("forgotten_revisions", strings.Join(forgotten, ",")))
	return nil
}

// maxObjectRevision returns the highest ResourceVersion among stored
// objects, ignoring files it cannot read.
func (s *Store) maxObjectRevision() (uint64, error) {
	var top uint64
	_, err := s.eachObjectDir("", "", func(_ meta.Kind, _ string, d *folder) error {
		names, err := d.names()
		if err != nil {
			return err
		}
		for _, name := range names {
			if !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
				continue
			}
			data, err := d.readFile(name)
			if err != nil {
				continue
			}
			var r record
			if json.Unmarshal(data, &r) == nil {
				if rev, err := strconv.ParseUint(r.Metadata.ResourceVersion, 10, 64); err == nil {
					top = max(top, rev)
				}
			}
		}
		return nil
	})
	return top, err
}
