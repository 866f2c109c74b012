package file_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

const (
	batchRounds = 6  // batches per child
	batchOwn    = 50 // objects of its own per batch, named after the child
)

// createdObject is one object a child's batch created.
type createdObject struct{ Name, ResourceVersion string }

func contestedName(round int) string { return fmt.Sprintf("contested-%d", round) }

// childBatches creates batchRounds batches of batchOwn objects of its own
// and, in the middle of each, one both children try to create.
func childBatches(ctx context.Context, s *file.Store, res *childResult) error {
	pid := strconv.Itoa(os.Getpid())
	for round := range batchRounds {
		var ws []*storetest.Widget
		for i := range batchOwn {
			if i == batchOwn/2 {
				ws = append(ws, storetest.NewWidget("ns", contestedName(round), nil))
			}
			ws = append(ws, storetest.NewWidget("ns", fmt.Sprintf("p%s-%d-%02d", pid, round, i), nil))
		}
		errs := make([]error, len(ws))
		s.CreateBatch(ctx, objectsOf(ws), errs)
		for i, w := range ws {
			switch {
			case errs[i] == nil:
				res.Created = append(res.Created, createdObject{w.Metadata.Name, w.Metadata.ResourceVersion})
			case errors.Is(errs[i], store.ErrAlreadyExists):
				res.Taken = append(res.Taken, w.Metadata.Name)
			default:
				return errs[i]
			}
		}
	}
	return nil
}

// Two processes creating batches in one store at once take distinct
// revisions, each in its batches' order; a name both try is created by
// one of them, the other told it exists; and the log holds every
// creation once, in revision order, without a gap, each with the
// revision its object is stored with.
func TestTwoProcessesCreateBatchesConcurrently(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s := openStore(t, dir, file.WithPollInterval(testPoll))

	results := runChildren(ctx, t, "batch", dir, 2)
	nameAt := map[uint64]string{}
	revOf := map[string]uint64{}
	childAt := map[uint64]int{}
	for c, r := range results {
		assert.Len(t, r.Created, batchRounds*batchOwn+batchRounds-len(r.Taken), "child %d: every object created or taken", c)
		var last uint64
		for _, o := range r.Created {
			rev, err := strconv.ParseUint(o.ResourceVersion, 10, 64)
			require.NoError(t, err)
			assert.Greater(t, rev, last, "child %d: %s in its batches' order", c, o.Name)
			last = rev
			assert.NotContains(t, nameAt, rev, "revision %d taken twice", rev)
			nameAt[rev], revOf[o.Name], childAt[rev] = o.Name, rev, c
		}
	}
	for round := range batchRounds {
		name := contestedName(round)
		assert.Contains(t, revOf, name, "one child created it")
		taken := 0
		for _, r := range results {
			for _, n := range r.Taken {
				if n == name {
					taken++
				}
			}
		}
		assert.Equal(t, 1, taken, "%s: the other child was told it exists", name)
	}
	require.Len(t, revOf, 2*batchRounds*batchOwn+batchRounds)

	ch, err := s.Watch(ctx, 0)
	require.NoError(t, err)
	switches := 0
	for rev := uint64(1); rev <= uint64(len(revOf)); rev++ {
		select {
		case ev := <-ch:
			require.NoError(t, ev.Err)
			require.Equal(t, rev, ev.Revision, "every creation once, without a gap")
			assert.Equal(t, store.Added, ev.Type)
			assert.Equal(t, nameAt[rev], ev.Ref.Name, "revision %d", rev)
		case <-ctx.Done():
			t.Fatalf("watch stopped before revision %d", rev)
		}
		if rev > 1 && childAt[rev] != childAt[rev-1] {
			switches++
		}
	}
	t.Logf("the log switched from one child's batches to the other's %d times", switches)

	list, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.NoError(t, err)
	assert.Len(t, list.Items, len(revOf))
	assert.Equal(t, uint64(len(revOf)), list.Revision)
	for _, item := range list.Items {
		assert.Equal(t, strconv.FormatUint(revOf[item.Ref.Name], 10), item.ResourceVersion, "%s", item.Ref)
	}
}
