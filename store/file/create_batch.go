package file

import (
	"context"
	"fmt"
	"os"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

var _ store.BatchCreator = (*Store)(nil)

// batchTurn is how many objects CreateBatch creates per turn of the
// exclusive lock, which every write, List and watch poll of every process
// sharing the store waits for: a burst of Events shares one log append
// and one round of fsyncs, but no turn holds the lock for more than some
// 64 creates.
const batchTurn = 64

// CreateBatch creates each of objs as Create does, up to batchTurn of them
// per turn of the exclusive lock; errs[i] is objs[i]'s result. Create
// fsyncs the change log, the object file and its directory one after the
// other for each object (3–6 ms here, BenchmarkCreateBurst); a turn writes
// every object's temporary file and appends all their change records,
// fsyncs the log and the files together, renames the files into place and
// fsyncs each directory once.
//
// Each object keeps Create's guarantees: its record is durable before its
// file is in place, and it is durable when its errs[i] is nil. A crash
// during a turn leaves what a crash during Create leaves, for up to a
// turn's objects at once: temporary files (removed by the next Open) and
// records whose files never took their place.
//
// One difference from a Create each: when a name comes twice in a turn
// and its first object fails once staged (its file could not be renamed
// into place), the second fails with ErrAlreadyExists too, where a second
// Create would have stored it. The Manager's event writer, its only caller,
// never names one Event twice in a batch.
func (s *Store) CreateBatch(ctx context.Context, objs []meta.Object, errs []error) {
	store.InTurns(objs, errs, batchTurn, func(objs []meta.Object, errs []error) {
		s.createTurn(ctx, objs, errs)
	})
}

// creation is one object of a turn on its way into the store.
type creation struct {
	i     int // in the turn's objs and errs
	obj   meta.Object
	ref   meta.Ref
	saved objects.Saved
	err   error // why it failed; nil while it goes on, and once created

	// Set once its temporary file is written.
	d    *folder // shared by the turn
	name string
	tmp  string
	file *os.File // open until renamed or removed
}

// turn is one turn of the exclusive lock of a CreateBatch.
type turn struct {
	s       *Store
	cs      []creation
	folders map[string]*folder // the directories opened, by path
	claimed map[string]bool    // object paths staged by this turn
}

// createTurn creates objs (at most batchTurn) in one turn of the lock.
func (s *Store) createTurn(ctx context.Context, objs []meta.Object, errs []error) {
	t := turn{s: s, cs: make([]creation, 0, len(objs)), folders: map[string]*folder{}, claimed: map[string]bool{}}
	for i, obj := range objs {
		ref := meta.RefOf(obj)
		err := ctx.Err()
		if err == nil {
			err = objects.ValidateRef(ref)
		}
		if err != nil {
			errs[i] = fmt.Errorf("file: create: %w", err)
			continue
		}
		errs[i] = nil
		t.cs = append(t.cs, creation{i: i, obj: obj, ref: ref, saved: objects.Save(obj.GetMeta())})
	}
	if len(t.cs) == 0 {
		return
	}
	err := s.exclusive(func() error { return t.run(ctx) })
	for k := range t.cs {
		c := &t.cs[k]
		if c.err == nil {
			c.err = err
		}
		if c.err != nil {
			c.saved.Restore(c.obj.GetMeta())
			errs[c.i] = fmt.Errorf("file: create %s: %w", c.ref, c.err)
		}
	}
}

// run creates the turn's objects under the exclusive lock. Its error,
// which fails every object not failed already, comes before any change
// was logged.
func (t *turn) run(ctx context.Context) error {
	defer t.closeFolders()
	lf, st, err := t.s.openLog()
	if err != nil {
		return err
	}
	defer func() { _ = lf.Close() }()
	var (
		lines  []byte
		staged []*creation
	)
	for k := range t.cs {
		c := &t.cs[k]
		if c.err = ctx.Err(); c.err != nil {
			continue
		}
		line, err := t.stage(c, st.rev+uint64(len(staged))+1)
		if err != nil {
			c.err = err
			continue
		}
		lines = append(lines, line...)
		staged = append(staged, c)
	}
	if len(staged) == 0 {
		return nil
	}
	return t.commit(lf, st, lines, staged)
}

// stage checks that c's object does not exist, sets its metadata for rev
// and writes its temporary file; it returns its change record.
func (t *turn) stage(c *creation, rev uint64) ([]byte, error) {
	dir, name := objectLocation(c.ref)
	d, err := t.folder(dir)
	if err != nil {
		return nil, err
	}
	key := dir + "/" + name
	if t.claimed[key] {
		return nil, store.ErrAlreadyExists // an object before it in the batch
	}
	if err := checkAbsent(d, name); err != nil {
		return nil, err
	}
	m := c.obj.GetMeta()
	if err := objects.PrepareCreate(m, rev, t.s.clock.Now()); err != nil {
		return nil, err
	}
	content, err := encodeRecord(c.ref, c.obj)
	if err != nil {
		return nil, err
	}
	line, err := encodeLine(logRecord{Rev: rev, Type: store.Added, Ref: &c.ref, Meta: m})
	if err != nil {
		return nil, err
	}
	tmp, file, err := d.writeTemp(content)
	if err != nil {
		return nil, err
	}
	t.claimed[key] = true
	c.d, c.name, c.tmp, c.file = d, name, tmp, file
	return line, nil
}

// commit appends the staged objects' records (lines) to the log lf, makes
// the log and their temporary files durable together, then puts each file
// in place and makes the renames durable, one fsync per directory. If the
// log cannot be written, nothing is committed: the records are cut off
// again (no reader has seen them, the lock being held), the temporary
// files removed, and the error returned. Should the cut fail too, the
// complete records written stay, as after a Create whose log fsync fails:
// watchers see them, their objects are not stored. Past that, an object
// whose file fails to sync or rename fails alone, its record kept, as
// Create's does.
func (t *turn) commit(lf *os.File, st logState, lines []byte, staged []*creation) error {
	logErr := writeLog(lf, st, lines)
	var synced []error
	if logErr == nil && t.s.tree.durable {
		files := make([]*os.File, 0, len(staged)+1)
		files = append(files, lf) // first: every rename waits for it
		for _, c := range staged {
			files = append(files, c.file)
		}
		synced = syncAll(files)
		logErr = synced[0]
	}
	if logErr != nil {
		_ = lf.Truncate(st.size)
	}
	renamed := map[*folder][]*creation{}
	for k, c := range staged {
		err := logErr
		if err == nil && synced != nil {
			err = synced[k+1]
		}
		if c.err = c.d.renameTemp(c.tmp, c.file, err, c.name); c.err == nil {
			renamed[c.d] = append(renamed[c.d], c)
		}
	}
	if logErr != nil {
		return logErr
	}
	for d, cs := range renamed {
		if err := d.sync(); err != nil {
			for _, c := range cs {
				c.err = err // in place, maybe not durably: Create fails it too
			}
		}
	}
	st.size += int64(len(lines))
	st.rev += uint64(len(staged))
	t.s.lastRev = st.rev
	t.s.afterCommit(st)
	return nil
}

// folder returns the directory at dir, opened (and made) once a turn.
func (t *turn) folder(dir string) (*folder, error) {
	if d, ok := t.folders[dir]; ok {
		return d, nil
	}
	d, err := t.s.tree.open(dir, true)
	if err != nil {
		return nil, err
	}
	t.folders[dir] = d
	return d, nil
}

func (t *turn) closeFolders() {
	for _, d := range t.folders {
		d.close()
	}
}
