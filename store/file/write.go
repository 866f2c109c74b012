package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// Create stores a new object and sets obj's UID, ResourceVersion,
// CreationTime and (if zero) Generation. On error obj is left unchanged.
func (s *Store) Create(ctx context.Context, obj meta.Object) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file: create: %w", err)
	}
	ref := meta.RefOf(obj)
	if err := objects.ValidateRef(ref); err != nil {
		return fmt.Errorf("file: create: %w", err)
	}
	dir, name := objectLocation(ref)
	m := obj.GetMeta()
	saved := objects.Save(m)
	err := s.exclusive(func() error {
		d, err := s.tree.open(dir, true)
		if err != nil {
			return err
		}
		defer d.close()
		if err := checkAbsent(d, name); err != nil {
			return err
		}
		return s.commit(ref, d, name, store.Added, func(rev uint64) error {
			return objects.PrepareCreate(m, rev, s.clock.Now())
		}, obj)
	})
	if err != nil {
		saved.Restore(m)
		return fmt.Errorf("file: create %s: %w", ref, err)
	}
	return nil
}

// checkAbsent returns nil if d holds no name, store.ErrAlreadyExists if it
// holds the object file, and an *UnsafePathError if what it holds is not a
// file the store would have written.
func checkAbsent(d *folder, name string) error {
	fi, err := d.Lstat(name)
	switch {
	case err == nil:
		if err := checkFile(d.path(name), fi); err != nil {
			return err
		}
		return store.ErrAlreadyExists
	case errors.Is(err, fs.ErrNotExist):
		return nil
	default:
		return err
	}
}

// Update replaces the object if obj's ResourceVersion (and UID, if set) match
// the stored ones, else returns store.ErrConflict. It keeps the stored UID and
// CreationTime and sets obj's new ResourceVersion. On error obj is unchanged.
func (s *Store) Update(ctx context.Context, obj meta.Object) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file: update: %w", err)
	}
	ref := meta.RefOf(obj)
	if err := objects.ValidateRef(ref); err != nil {
		return fmt.Errorf("file: update: %w", err)
	}
	dir, name := objectLocation(ref)
	m := obj.GetMeta()
	saved := objects.Save(m)
	err := s.exclusive(func() error {
		d, err := s.tree.open(dir, false)
		if errors.Is(err, fs.ErrNotExist) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		defer d.close()
		old, err := readRecord(d, name, false, ref, nil, nil)
		if errors.Is(err, fs.ErrNotExist) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		return s.commit(ref, d, name, store.Modified, func(rev uint64) error {
			return objects.PrepareUpdate(ref, m, &old.Metadata, rev)
		}, obj)
	})
	if err != nil {
		saved.Restore(m)
		return fmt.Errorf("file: update %s: %w", ref, err)
	}
	return nil
}

// Delete removes the object; a non-empty resourceVersion must match the
// stored one (else store.ErrConflict). A corrupt object file can be deleted
// unconditionally only.
func (s *Store) Delete(ctx context.Context, ref meta.Ref, resourceVersion string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file: delete: %w", err)
	}
	if err := objects.ValidateRef(ref); err != nil {
		return fmt.Errorf("file: delete: %w", err)
	}
	dir, name := objectLocation(ref)
	err := s.exclusive(func() error {
		d, err := s.tree.open(dir, false)
		if errors.Is(err, fs.ErrNotExist) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		defer d.close()
		old, err := readRecord(d, name, false, ref, nil, nil)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return store.ErrNotFound
		case errors.Is(err, store.ErrCorrupt) && resourceVersion == "":
			old = &record{Metadata: meta.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name}}
		case err != nil:
			return err
		}
		if err := objects.CheckDelete(ref, resourceVersion, old.Metadata.ResourceVersion); err != nil {
			return err
		}
		lf, st, err := s.openLog()
		if err != nil {
			return err
		}
		defer func() { _ = lf.Close() }()
		st, err = s.appendLog(lf, st, logRecord{Rev: st.rev + 1, Type: store.Deleted, Ref: &ref, Meta: &old.Metadata})
		if err != nil {
			return err
		}
		s.lastRev = st.rev
		if err := d.remove(name); err != nil {
			return err
		}
		s.afterCommit(st)
		return nil
	})
	if err != nil {
		return fmt.Errorf("file: delete %s: %w", ref, err)
	}
	return nil
}

// commit runs under the exclusive lock: prepare sets obj's metadata for the
// next revision, then the change is logged and the object file name in d
// replaced.
func (s *Store) commit(ref meta.Ref, d *folder, name string, typ store.EventType, prepare func(rev uint64) error, obj meta.Object) error {
	lf, st, err := s.openLog()
	if err != nil {
		return err
	}
	defer func() { _ = lf.Close() }()
	rev := st.rev + 1
	if err := prepare(rev); err != nil {
		return err
	}
	content, err := encodeRecord(ref, obj)
	if err != nil {
		return err
	}
	m := obj.GetMeta()
	st, err = s.appendLog(lf, st, logRecord{Rev: rev, Type: typ, Ref: &ref, Meta: m})
	if err != nil {
		return err
	}
	s.lastRev = st.rev
	if err := d.writeAtomic(name, content); err != nil {
		return err
	}
	s.afterCommit(st)
	return nil
}

// encodeRecord returns the content of obj's object file.
func encodeRecord(ref meta.Ref, obj meta.Object) ([]byte, error) {
	data, err := objects.Encode(ref, obj)
	if err != nil {
		return nil, err
	}
	content, err := json.Marshal(record{Kind: ref.Kind, Metadata: *obj.GetMeta(), Object: data})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	return content, nil
}

// afterCommit trims the change log when it has grown too long. A failed trim
// does not fail the write that is already durable; the next write retries.
func (s *Store) afterCommit(st logState) {
	if trimmed, err := s.trimLog(st); err == nil {
		s.lastRev = trimmed.rev
	}
}
