package measure

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Copy creates every object of from in to, which should be empty: a Store
// populated in minutes on the memory store becomes a file (or etcd) Store
// to measure a restart on, when issuing 100k certificates on that Store
// itself would take most of an hour. Each copy gets to's UID, revision and
// creation time; everything else is as stored.
func Copy(ctx context.Context, from, to store.Store) (int, error) {
	res, err := from.List(ctx, store.ListOptions{})
	if err != nil {
		return 0, err
	}
	for i, raw := range res.Items {
		if err := copyOne(ctx, raw, to); err != nil {
			return i, err
		}
	}
	return len(res.Items), nil
}

// CopyParallel is Copy with workers Creates in flight at once, for a
// Store whose writes wait for a commit that batches concurrent ones
// (etcd's fsync): 300k objects one after another take most of an hour.
// It returns how many objects were copied.
func CopyParallel(ctx context.Context, from, to store.Store, workers int) (int, error) {
	res, err := from.List(ctx, store.ListOptions{})
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next, copied atomic.Int64
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(res.Items) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				if err := copyOne(ctx, res.Items[i], to); err != nil {
					cancel(err)
					return
				}
				copied.Add(1)
			}
		})
	}
	wg.Wait()
	return int(copied.Load()), context.Cause(ctx)
}

// copyOne creates raw's object in to.
func copyOne(ctx context.Context, raw store.Raw, to store.Store) error {
	obj := &copied{kind: raw.Ref.Kind}
	if err := json.Unmarshal(raw.Data, obj); err != nil {
		return fmt.Errorf("measure: copy %s: %w", raw.Ref, err)
	}
	obj.Metadata.UID, obj.Metadata.ResourceVersion, obj.Metadata.CreationTime = "", "", nil
	if err := to.Create(ctx, obj); err != nil {
		return fmt.Errorf("measure: copy %s: %w", raw.Ref, err)
	}
	return nil
}

// copied is an object of any kind: its metadata, and the rest of its JSON
// as it was.
type copied struct {
	kind     meta.Kind
	Metadata meta.ObjectMeta
	rest     map[string]json.RawMessage
}

func (c *copied) GetKind() meta.Kind        { return c.kind }
func (c *copied) GetMeta() *meta.ObjectMeta { return &c.Metadata }

func (c *copied) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &c.rest); err != nil {
		return err
	}
	return json.Unmarshal(c.rest["metadata"], &c.Metadata)
}

func (c *copied) MarshalJSON() ([]byte, error) {
	m, err := json.Marshal(c.Metadata)
	if err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(c.rest))
	for k, v := range c.rest {
		out[k] = v
	}
	out["metadata"] = m
	return json.Marshal(out)
}
