package file_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// The test binary re-executes itself as a child process: childModeEnv says
// what the child does, childDirEnv which store directory it opens.
const (
	childModeEnv = "CERTFLOW_FILESTORE_CHILD"
	childDirEnv  = "CERTFLOW_FILESTORE_DIR"
	childTimeout = 30 * time.Second

	increments   = 25 // successful updates per child
	lockRounds   = 15 // critical sections per child
	counterName  = "counter"
	insideName   = "inside"
	fromChild    = "from-child"
	fromParent   = "from-parent"
	childReadyOK = "ready"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childModeEnv); mode != "" {
		if err := runChild(mode, os.Getenv(childDirEnv)); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// childResult is what a child prints as its last line.
type childResult struct {
	WonFrom   []string // resourceVersions this child's winning updates replaced
	Conflicts int
	Overlaps  int // critical sections that found another holder inside
	// Created is what its batches created, in order; Taken the names
	// they found created already.
	Created []createdObject
	Taken   []string
}

func runChild(mode, dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	if mode == "batch-crash" {
		return childBatchCrash(ctx, dir) // returns only if it did not crash
	}
	s, err := file.Open(dir, file.WithPollInterval(testPoll))
	if err != nil {
		return err
	}
	defer func() { _ = s.Close() }()
	var res childResult
	switch mode {
	case "increment":
		err = childIncrement(ctx, s, &res)
	case "lock":
		err = childLock(ctx, s, &res)
	case "create":
		err = s.Create(ctx, storetest.NewWidget("ns", fromChild, nil))
	case "batch":
		err = childBatches(ctx, s, &res)
	case "watch":
		err = childWatch(ctx, s)
	case "crash":
		childCrash(ctx, s, dir) // never returns
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func childIncrement(ctx context.Context, s store.Store, res *childResult) error {
	ref := storetest.NewWidget("ns", counterName, nil).Ref()
	for wins := 0; wins < increments; {
		w := &storetest.Widget{}
		if err := s.Get(ctx, ref, w); err != nil {
			return err
		}
		from := w.Metadata.ResourceVersion
		n, _ := strconv.Atoi(w.Data["n"])
		w.Data["n"] = strconv.Itoa(n + 1)
		switch err := s.Update(ctx, w); {
		case err == nil:
			wins++
			res.WonFrom = append(res.WonFrom, from)
		case errors.Is(err, store.ErrConflict):
			res.Conflicts++
		default:
			return err
		}
	}
	return nil
}

func childLock(ctx context.Context, s store.Store, res *childResult) error {
	owner := "child-" + strconv.Itoa(os.Getpid())
	for range lockRounds {
		lease, err := s.Acquire(ctx, "leader", owner, childTimeout)
		for errors.Is(err, store.ErrLocked) {
			time.Sleep(time.Millisecond) // backoff while the other process holds it
			lease, err = s.Acquire(ctx, "leader", owner, childTimeout)
		}
		if err != nil {
			return err
		}
		if err := s.Create(ctx, storetest.NewWidget("ns", insideName, nil)); errors.Is(err, store.ErrAlreadyExists) {
			res.Overlaps++
		} else if err != nil {
			return err
		}
		if err := s.Delete(ctx, storetest.NewWidget("ns", insideName, nil).Ref(), ""); err != nil {
			return err
		}
		if err := s.Release(ctx, lease); err != nil {
			return err
		}
	}
	return nil
}

// childWatch announces its list revision, then waits for the parent's object.
func childWatch(ctx context.Context, s store.Store) error {
	list, err := s.List(ctx, store.ListOptions{})
	if err != nil {
		return err
	}
	ch, err := s.Watch(ctx, list.Revision)
	if err != nil {
		return err
	}
	fmt.Println(childReadyOK)
	for ev := range ch {
		if ev.Err != nil {
			return ev.Err
		}
		if ev.Type == store.Added && ev.Ref.Name == fromParent {
			return nil
		}
	}
	return ctx.Err()
}

func childCmd(ctx context.Context, mode, dir string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childModeEnv+"="+mode, childDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	return cmd
}

// runChildren runs n children in mode concurrently and returns their results.
func runChildren(ctx context.Context, t *testing.T, mode, dir string, n int) []childResult {
	t.Helper()
	results := make([]childResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			out, err := childCmd(ctx, mode, dir).Output()
			if err == nil {
				err = json.Unmarshal(out, &results[i])
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "child %d", i)
	}
	return results
}

func TestTwoProcessesRaceUpdates(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s := openStore(t, dir)
	counter := storetest.NewWidget("ns", counterName, map[string]string{"n": "0"})
	require.NoError(t, s.Create(ctx, counter))

	results := runChildren(ctx, t, "increment", dir, 2)
	won := map[string]int{}
	conflicts := 0
	for _, r := range results {
		require.Len(t, r.WonFrom, increments)
		for _, rv := range r.WonFrom {
			won[rv]++
		}
		conflicts += r.Conflicts
	}
	for rv, n := range won {
		assert.Equal(t, 1, n, "resourceVersion %s was replaced by %d winners", rv, n)
	}
	got := &storetest.Widget{}
	require.NoError(t, s.Get(ctx, counter.Ref(), got))
	assert.Equal(t, strconv.Itoa(2*increments), got.Data["n"], "no lost update")
	t.Logf("conflicts across processes: %d", conflicts)
}

func TestTwoProcessesContendForLock(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	openStore(t, dir) // lays out the directory before the children race
	results := runChildren(ctx, t, "lock", dir, 2)
	for i, r := range results {
		assert.Zero(t, r.Overlaps, "child %d found another holder inside the critical section", i)
	}
}

func TestTwoProcessesSeeEachOthersChanges(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s := openStore(t, dir, file.WithPollInterval(testPoll))

	t.Run("child sees parent", func(t *testing.T) {
		cmd := childCmd(ctx, "watch", dir)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		lines := bufio.NewScanner(stdout)
		require.True(t, lines.Scan(), "child announces it watches")
		require.Equal(t, childReadyOK, lines.Text())
		require.NoError(t, s.Create(ctx, storetest.NewWidget("ns", fromParent, nil)))
		for lines.Scan() { // drain so the child never blocks on output
		}
		require.NoError(t, cmd.Wait(), "child saw the parent's object")
	})

	t.Run("parent sees child", func(t *testing.T) {
		list, err := s.List(ctx, store.ListOptions{})
		require.NoError(t, err)
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		ch, err := s.Watch(wctx, list.Revision)
		require.NoError(t, err)
		runChildren(ctx, t, "create", dir, 1)
		for ev := range ch {
			require.NoError(t, ev.Err)
			if ev.Ref.Name == fromChild {
				assert.Equal(t, store.Added, ev.Type)
				return
			}
		}
		t.Fatal("watch ended without the child's object")
	})
}

// crashExit is how a "crash" child ends: without closing the store.
const crashExit = 3

// childCrash writes through s, leaves a temporary file as a write cut
// short would, and exits without closing the store.
func childCrash(ctx context.Context, s store.Store, dir string) {
	if err := s.Create(ctx, newSecret(fromChild)); err != nil {
		os.Exit(1)
	}
	if os.WriteFile(filepath.Join(dir, "objects/Secret/ns/.tmp-crashed"), []byte(privateKey), 0o600) != nil {
		os.Exit(1)
	}
	os.Exit(crashExit)
}
