package etcd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

var _ store.Scanner = (*Store)(nil)

// scanKeysPage is how many keys (without values) a Scan reads in its
// first request while it learns which kinds and namespaces hold objects.
const scanKeysPage = 10000

// scanStopEvery is how many keys of a kind apart the keys a Scan's
// requests for objects end at are (see pager.stops): each costs etcd the
// keys up to its stop, not every key left of the kind.
const scanStopEvery = 2000

// scanPageBytes is what a Scan's growing pages aim at. etcd counts every
// key left in the range for each page it answers, so small pages cost its
// index dearly (a restart's Scan of 800k objects, 500k of them small
// Events, in pages of 500: most of a minute of the member's CPU); a page
// is held until handed over, with the next read ahead, one per kind.
const scanPageBytes = 4 << 20

// Scan hands over what List returns one object at a time, all read at one
// etcd revision (the one returned). Keys order objects by kind first and
// List by namespace, name and kind, so it first reads the keys alone (at
// the revision its first page is read at) to learn which kinds each
// namespace holds, then goes through the namespaces in List's order, in
// runs whose keys are in that order too (keyOrderRuns), merging by
// namespace and name one range per kind across the run, each read in
// pages at that revision as List reads them (growing toward scanPageBytes
// when PageSize is left zero), the next read while one is handed over:
// it holds at most two pages per kind. Objects whose values cannot be
// decoded are left out and reported together, as List reports them. A
// compaction past the revision while the keys are read starts it again
// (as List starts again); once objects were handed over, it fails the
// Scan (wrapping store.ErrCompacted): list again.
func (s *Store) Scan(ctx context.Context, opts store.ListOptions, fn func(store.Raw) error) (uint64, error) {
	if err := s.check(ctx); err != nil {
		return 0, fmt.Errorf("etcd: list: %w", err)
	}
	prefix := s.keys.objects()
	switch {
	case opts.Kind != "" && opts.Namespace != "":
		prefix = s.keys.namespace(opts.Kind, opts.Namespace)
	case opts.Kind != "":
		prefix = s.keys.kind(opts.Kind)
	}
	var (
		keys scanKeys
		err  error
	)
	for attempt := 1; ; attempt++ {
		keys, err = s.scanGroups(ctx, prefix, opts)
		if errors.Is(err, rpctypes.ErrCompacted) && attempt < listAttempts {
			continue // the revision of the first page is gone: start again
		}
		break
	}
	if err != nil {
		return 0, s.listFailed(err)
	}
	var corrupt []error
	rev := keys.rev
	for _, run := range keyOrderRuns(keys.groups) {
		bad, err := s.scanRun(ctx, run, keys, opts, fn)
		corrupt = append(corrupt, bad...)
		var stopped stoppedByFn
		if errors.As(err, &stopped) {
			return 0, stopped.err
		}
		if err != nil {
			return 0, s.listFailed(err)
		}
	}
	if len(corrupt) > 0 {
		return uint64(rev), fmt.Errorf("etcd: list: %w", errors.Join(corrupt...))
	}
	return uint64(rev), nil
}

// stoppedByFn carries the error of Scan's fn out, to be returned as it is.
type stoppedByFn struct{ err error }

func (e stoppedByFn) Error() string { return e.err.Error() }

// scanKeys is what a Scan learns from reading the keys alone.
type scanKeys struct {
	groups map[string][]meta.Kind // the kinds of the objects selected, by namespace
	stops  map[meta.Kind][]string // every scanStopEvery-th key of each kind, in order
	rev    int64                  // the revision they were read at
}

// scanGroups reads the keys under prefix alone, the first page at the
// current revision and the others at the same one.
func (s *Store) scanGroups(ctx context.Context, prefix string, opts store.ListOptions) (scanKeys, error) {
	keys := scanKeys{groups: map[string][]meta.Kind{}, stops: map[meta.Kind][]string{}}
	seen := map[meta.Kind]int{}
	// No stops are known yet: each page costs etcd a count of the keys
	// left, which pages of scanPageBytes keep to a few million at 800k
	// keys (a page of keys takes about 200 bytes a key once decoded).
	p := s.scanPager(prefix, clientv3.GetPrefixRangeEnd(prefix), 0, scanKeysPage, min(s.pageBytes, scanPageBytes))
	p.keysOnly = true
	for p.more {
		kvs, err := p.next(ctx)
		if err != nil {
			return scanKeys{}, err
		}
		for _, kv := range kvs {
			ref, ok := s.keys.parseObject(kv.Key)
			if !ok {
				s.log.Warn("etcd store: ignoring a key it never writes", "key", string(kv.Key))
				continue
			}
			if (opts.Kind != "" && ref.Kind != opts.Kind) || (opts.Namespace != "" && ref.Namespace != opts.Namespace) {
				continue
			}
			// Keys come a kind at a time: the namespace's last kind is
			// this one unless the kind is new to it.
			if kinds := keys.groups[ref.Namespace]; len(kinds) == 0 || kinds[len(kinds)-1] != ref.Kind {
				keys.groups[ref.Namespace] = append(kinds, ref.Kind)
			}
			if seen[ref.Kind]++; seen[ref.Kind]%scanStopEvery == 0 {
				keys.stops[ref.Kind] = append(keys.stops[ref.Kind], string(kv.Key))
			}
		}
	}
	keys.rev = p.rev
	return keys, nil
}

// scanPager returns the pager of a Scan's reads: List's, its pages
// aiming at aim bytes, asking a page too large for the client again in
// halves whatever PageSize says.
func (s *Store) scanPager(from, end string, rev int64, limit int, aim int64) *pager {
	p := s.newPager(from, end, rev, limit, aim)
	p.halve = true
	return p
}

// keyOrderRuns returns the namespaces of groups in List's order, cut
// into runs whose order is also the order of their keys: a kind's keys
// order namespace "a-b" before "a" ('-' sorts before '/'), so one range
// of a kind across the namespaces of a run hands them over in List's
// order. Namespaces of which none begins another make one run, read with
// a range per kind: a range per kind and namespace cost one request for
// each (1,000 namespaces of four kinds, each object alone: 4,000
// requests, 30 times List's time).
func keyOrderRuns(groups map[string][]meta.Kind) [][]string {
	listed := make([]string, 0, len(groups))
	for ns := range groups {
		listed = append(listed, ns)
	}
	slices.Sort(listed)
	byKey := slices.Clone(listed)
	slices.SortFunc(byKey, func(a, b string) int { return strings.Compare(a+"/", b+"/") })
	at := make(map[string]int, len(byKey))
	for i, ns := range byKey {
		at[ns] = i
	}
	var runs [][]string
	for i, ns := range listed {
		if i == 0 || at[ns] != at[listed[i-1]]+1 {
			runs = append(runs, nil)
		}
		runs[len(runs)-1] = append(runs[len(runs)-1], ns)
	}
	return runs
}

// scanRun hands over the objects of the namespaces of run (one of
// keyOrderRuns) at keys.rev, in List's order (by namespace, name, then
// kind): it merges one range per kind the run holds, from the run's first
// namespace to its last, each read a page at a time, each request ending
// at the kind's next stop. It returns the objects it could not decode.
func (s *Store) scanRun(ctx context.Context, run []string, keys scanKeys, opts store.ListOptions, fn func(store.Raw) error) ([]error, error) {
	var kinds []meta.Kind
	for _, ns := range run {
		kinds = append(kinds, keys.groups[ns]...)
	}
	slices.Sort(kinds)
	kinds = slices.Compact(kinds)
	first, last := run[0], run[len(run)-1]
	// The run's reads ahead end with it, whichever way it ends.
	ctx, cancel := context.WithCancel(ctx)
	cursors := make([]*scanCursor, len(kinds))
	defer func() {
		cancel()
		for _, c := range cursors {
			c.stop()
		}
	}()
	for i, k := range kinds {
		from, end := s.keys.namespace(k, first), clientv3.GetPrefixRangeEnd(s.keys.namespace(k, last))
		p := s.scanPager(from, end, keys.rev, s.pageSize, min(s.pageBytes, scanPageBytes))
		stops := keys.stops[k]
		lo, _ := slices.BinarySearch(stops, from)
		hi, _ := slices.BinarySearch(stops, end)
		p.stops = stops[lo:hi]
		cursors[i] = &scanCursor{prefix: s.keys.kind(k), pages: p}
	}
	var corrupt []error
	for {
		// The cursor whose next key has the least namespace and name;
		// kinds are in order, so the first of equal ones is the least
		// kind.
		var next *scanCursor
		for _, c := range cursors {
			ok, err := c.fill(ctx)
			if err != nil {
				return corrupt, err
			}
			if ok && (next == nil || c.before(next)) {
				next = c
			}
		}
		if next == nil {
			return corrupt, nil
		}
		kv := next.take()
		raw, ok, err := s.listed(kv, opts)
		switch {
		case err != nil:
			corrupt = append(corrupt, err)
		case ok:
			if err := fn(raw); err != nil {
				return corrupt, stoppedByFn{err}
			}
		}
	}
}
