package file

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// errLogDamaged marks a change log whose last complete line does not
// decode, or that has no header: a writer repairs it (repairLog).
var errLogDamaged = errors.New("change log damaged")

// logRecord is one line of changes.log. A line without Type is the header:
// revisions up to Rev are forgotten.
type logRecord struct {
	Rev  uint64           `json:"rev"`
	Type store.EventType  `json:"type,omitempty"`
	Ref  *meta.Ref        `json:"ref,omitempty"`
	Meta *meta.ObjectMeta `json:"meta,omitempty"`
}

// logState is what a writer knows about changes.log: how many bytes of
// complete lines, the latest and the compacted revision.
type logState struct {
	size      int64
	rev       uint64
	compacted uint64
	header    bool // the file starts with a header line
}

// tailChunk is how much of the log's end is read at a time to find its last
// line; lines are a few hundred bytes.
const tailChunk = 4096

// readLogState reads the header and the last complete line of the log.
// Bytes after the last newline (a write cut short by a crash) are not counted
// in size.
func readLogState(f *os.File, fi os.FileInfo) (logState, error) {
	var st logState
	pos := fi.Size()
	var tail []byte
	for pos > 0 {
		start := max(0, pos-tailChunk)
		chunk := make([]byte, pos-start)
		if _, err := f.ReadAt(chunk, start); err != nil && err != io.EOF {
			return st, err
		}
		tail = append(chunk, tail...)
		pos = start
		end := bytes.LastIndexByte(tail, '\n')
		if end < 0 {
			continue
		}
		begin := bytes.LastIndexByte(tail[:end], '\n')
		if begin < 0 && pos > 0 {
			continue
		}
		last, err := decodeLine(tail[begin+1 : end])
		if err != nil {
			return st, fmt.Errorf("%w: %w", errLogDamaged, err)
		}
		st.size = pos + int64(end) + 1
		st.rev = last.Rev
		if last.Type == "" && pos+int64(begin)+1 == 0 {
			st.header, st.compacted = true, last.Rev
			return st, nil
		}
		break
	}
	if st.size == 0 {
		return st, nil
	}
	head := make([]byte, min(st.size, tailChunk))
	if _, err := f.ReadAt(head, 0); err != nil && err != io.EOF {
		return st, err
	}
	if nl := bytes.IndexByte(head, '\n'); nl >= 0 {
		if first, err := decodeLine(head[:nl]); err == nil && first.Type == "" {
			st.header, st.compacted = true, first.Rev
		}
	}
	return st, nil
}

func decodeLine(line []byte) (logRecord, error) {
	var r logRecord
	if err := json.Unmarshal(line, &r); err != nil {
		return r, fmt.Errorf("%w: change log line %.80q: %v", store.ErrCorrupt, line, err)
	}
	return r, nil
}

func encodeLine(r logRecord) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// openLog opens changes.log for appending under the exclusive lock and
// returns its state, always read from disk: another process may have written
// or trimmed it, and an inode number plus size could repeat after two trims.
// A torn last line (no newline: a write that never completed, so committed
// nothing) is cut off; a damaged log, or one without its header, is
// repaired first. Once it returns, the file ends at the state's size.
//
// The file is not opened O_APPEND: on Windows that grants FILE_APPEND_DATA
// without FILE_WRITE_DATA, and Truncate, which both the torn-tail cut and
// CreateBatch's cut-back need, is then refused. Appends are positional
// writes at the state's size instead (writeLog), which is the end as long
// as the exclusive lock is held: every writer of every process holds it.
func (s *Store) openLog() (*os.File, logState, error) {
	for repaired := false; ; repaired = true {
		f, err := s.tree.top().openFile(logName, os.O_RDWR|os.O_CREATE, filePerm)
		if err != nil {
			return nil, logState{}, err
		}
		st, err := s.logStateOf(f)
		if err == nil {
			return f, st, nil
		}
		_ = f.Close()
		if !errors.Is(err, errLogDamaged) || repaired {
			return nil, logState{}, err
		}
		if err := s.repairLog(); err != nil {
			return nil, logState{}, err
		}
	}
}

func (s *Store) logStateOf(f *os.File) (logState, error) {
	fi, err := f.Stat()
	if err != nil {
		return logState{}, err
	}
	st, err := readLogState(f, fi)
	if err != nil {
		return st, fmt.Errorf("%s: %w", s.tree.top().path(logName), err)
	}
	if !st.header {
		return st, fmt.Errorf("%w: no header", errLogDamaged)
	}
	if st.size < fi.Size() {
		if err := f.Truncate(st.size); err != nil {
			return st, err
		}
	}
	return st, nil
}

// appendLog writes one change and makes it durable before the object file
// changes, so a crash never reuses a revision.
func (s *Store) appendLog(f *os.File, st logState, r logRecord) (logState, error) {
	line, err := encodeLine(r)
	if err != nil {
		return st, err
	}
	if err := writeLog(f, st, line); err != nil {
		return st, err
	}
	if s.tree.durable {
		if err := f.Sync(); err != nil {
			return st, err
		}
	}
	st.size += int64(len(line))
	st.rev = r.Rev
	return st, nil
}

// writeLog appends lines to the log f opened by openLog, whose state st
// is, under the exclusive lock that was held since. A write cut short
// leaves a torn tail that the next openLog cuts off, or CreateBatch cuts
// back at once.
func writeLog(f *os.File, st logState, lines []byte) error {
	_, err := f.WriteAt(lines, st.size)
	return err
}

// trimLog rewrites the log to its newest s.history entries once more than
// twice that many have accumulated. The new header records what was cut.
func (s *Store) trimLog(st logState) (logState, error) {
	if st.rev-st.compacted <= uint64(2*s.history) {
		return st, nil
	}
	top := s.tree.top()
	data, err := top.readFile(logName)
	if err != nil {
		return st, err
	}
	if int64(len(data)) < st.size {
		return st, nil // changed under the lock: leave it alone
	}
	data = data[:st.size]
	// Walk back over s.history complete lines from the end.
	cut := len(data) - 1
	for range s.history {
		cut = bytes.LastIndexByte(data[:cut], '\n')
		if cut < 0 {
			return st, nil // fewer lines than counted: leave the log alone
		}
	}
	kept := data[cut+1:]
	nl := bytes.IndexByte(kept, '\n')
	first, err := decodeLine(kept[:nl])
	if err != nil {
		return st, err
	}
	header, _ := encodeLine(logRecord{Rev: first.Rev - 1})
	out := append(header, kept...)
	if err := top.writeAtomic(logName, out); err != nil {
		return st, err
	}
	return logState{size: int64(len(out)), rev: st.rev, compacted: first.Rev - 1, header: true}, nil
}
