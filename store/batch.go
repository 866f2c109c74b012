package store

import (
	"context"

	"github.com/certflow/certflow/meta"
)

// BatchCreator is a Writer that can create many objects in one call. The
// Manager's event writer stores a burst of new Events at once: created one
// Create at a time, each taking the store's lock and waking its watchers,
// the writer's goroutine queued behind the reconcilers' reads on the lock
// once an Event and fell behind an issuance of 2,000 certificates a second
// (some 8,000 Events a second), losing a quarter of them.
//
// CreateBatch does what a Create of each of objs, in order, would do, and
// sets errs[i] (len(errs) == len(objs)) to what that Create returned: it
// is no transaction, each object is created or not on its own (an
// ErrAlreadyExists fails that object only), each change takes its own
// revision, one after the other, and watches see them in that order, as
// any other changes. Once ctx ends, the objects not yet created fail with
// ctx's error. An implementation need only do less work per object than
// Create (one turn of a lock for many), never more. A wrapper of a Store
// implements it by calling CreateBatchOf on what it wraps, with the
// bookkeeping its Create does for each object.
type BatchCreator interface {
	CreateBatch(ctx context.Context, objs []meta.Object, errs []error)
}

// CreateBatchOf creates objs through w's CreateBatch when w is a
// BatchCreator, and else with a Create each; errs[i] is objs[i]'s result.
func CreateBatchOf(ctx context.Context, w Writer, objs []meta.Object, errs []error) {
	if bc, ok := w.(BatchCreator); ok {
		bc.CreateBatch(ctx, objs, errs)
		return
	}
	for i, obj := range objs {
		errs[i] = w.Create(ctx, obj)
	}
}

// InTurns hands objs and errs to create turn of them at a time, in order:
// how a BatchCreator bounds how long one call holds its lock.
func InTurns(objs []meta.Object, errs []error, turn int, create func(objs []meta.Object, errs []error)) {
	for len(objs) > 0 {
		n := min(len(objs), turn)
		create(objs[:n], errs[:n])
		objs, errs = objs[n:], errs[n:]
	}
}
