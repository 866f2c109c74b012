package etcd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/certflow/certflow/internal/jsonmember"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// listAttempts bounds how often List starts over when etcd compacts the
// revision it is paging through.
const listAttempts = 3

// List returns the matching objects sorted by namespace, name and kind, all
// read at one etcd revision (the result's Revision), in pages of PageSize.
// Objects whose values cannot be decoded are left out and reported
// together: the items come with a non-nil error joining one
// *store.CorruptError per bad object, so a caller may go on with the rest.
// A revision compacted under each of listAttempts tries fails the List
// with an error wrapping store.ErrCompacted.
func (s *Store) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	if err := s.check(ctx); err != nil {
		return store.ListResult{}, fmt.Errorf("etcd: list: %w", err)
	}
	prefix := s.keys.objects()
	switch {
	case opts.Kind != "" && opts.Namespace != "":
		prefix = s.keys.namespace(opts.Kind, opts.Namespace)
	case opts.Kind != "":
		prefix = s.keys.kind(opts.Kind)
	}
	for attempt := 1; ; attempt++ {
		res, err := s.listAt(ctx, prefix, opts)
		if errors.Is(err, rpctypes.ErrCompacted) {
			if attempt < listAttempts {
				continue // the revision of the first page is gone: start again
			}
			return store.ListResult{}, s.listFailed(err)
		}
		return res, err
	}
}

// listFailed is the error of a List or Scan that failed on err from etcd:
// a compaction wraps store.ErrCompacted, so the caller lists again.
func (s *Store) listFailed(err error) error {
	if errors.Is(err, rpctypes.ErrCompacted) {
		return fmt.Errorf("etcd: list: %w: %w", store.ErrCompacted, err)
	}
	return s.fail("list", err)
}

// listAt reads every key under prefix, the first page at the current
// revision and the others at the same one.
func (s *Store) listAt(ctx context.Context, prefix string, opts store.ListOptions) (store.ListResult, error) {
	var (
		res     store.ListResult
		corrupt []error
	)
	p := s.newPager(prefix, clientv3.GetPrefixRangeEnd(prefix), 0, s.pageSize, s.pageBytes)
	for p.more {
		kvs, err := p.next(ctx)
		if err != nil {
			if errors.Is(err, rpctypes.ErrCompacted) {
				return store.ListResult{}, err
			}
			return store.ListResult{}, s.fail("list", err)
		}
		for _, kv := range kvs {
			raw, ok, err := s.listed(kv, opts)
			if err != nil {
				corrupt = append(corrupt, err)
			} else if ok {
				res.Items = append(res.Items, raw)
			}
		}
	}
	// Keys order namespaces "a-b" before "a" ('-' sorts before '/') and
	// kinds before namespaces: sort as every store does.
	slices.SortFunc(res.Items, func(a, b store.Raw) int { return store.CompareRefs(a.Ref, b.Ref) })
	res.Revision = uint64(p.rev)
	if len(corrupt) > 0 {
		return res, fmt.Errorf("etcd: list: %w", errors.Join(corrupt...))
	}
	return res, nil
}

// listed returns kv as a listed item if it matches opts.
func (s *Store) listed(kv *mvccpb.KeyValue, opts store.ListOptions) (store.Raw, bool, error) {
	ref, ok := s.keys.parseObject(kv.Key)
	if !ok {
		s.log.Warn("etcd store: ignoring a key it never writes", "key", string(kv.Key))
		return store.Raw{}, false, nil
	}
	if (opts.Kind != "" && ref.Kind != opts.Kind) || (opts.Namespace != "" && ref.Namespace != opts.Namespace) {
		return store.Raw{}, false, nil
	}
	v, err := parseValue(kv.Value)
	if err != nil {
		return store.Raw{}, false, corruptValue(ref, kv.Key, err)
	}
	// Corrupt objects are told apart here, so a caller can go on without
	// them. Checked: the stored metadata is valid JSON naming this key's
	// object and (below) the object is valid JSON; neither is checked to
	// decode into its Go type. The metadata is decoded whole only when
	// opts filters by labels or owners, so metadata of the wrong types
	// (say "labels": 5) is corrupt to a filtered List and not to an
	// unfiltered one, as in the file store.
	labels, owners := opts.MetadataRead()
	m, err := v.listedMeta(ref, kv.ModRevision, labels || owners)
	if err != nil {
		return store.Raw{}, false, corruptValue(ref, kv.Key, err)
	}
	if !opts.Matches(ref, &m) {
		return store.Raw{}, false, nil
	}
	// jsonmember.Valid is json.Valid in a fraction of its time: a
	// Manager's start lists every object, most of each long base64
	// strings that encoding/json's scanner walks a call per byte.
	if !jsonmember.Valid(v.object) {
		return store.Raw{}, false, corruptValue(ref, kv.Key, errors.New("the object is not valid JSON"))
	}
	return store.Raw{
		Ref:             ref,
		ResourceVersion: objects.FormatRevision(uint64(kv.ModRevision)),
		Data:            v.objectAt(kv.ModRevision),
	}, true, nil
}

// pageAimPercent is how much of its byte bound a growing page is sized
// to fill: objects up to a third larger than those the size was taken
// from still fit, so only a page where they grow more is refused and
// asked for again (in halves).
const pageAimPercent = 75

// nextPageSize returns how many objects the page after one of limit
// objects asks for when Config.PageSize is left zero: as many objects of
// objectSize bytes as fit in pageBytes, but at most twice limit (a page
// of small objects is no proof about the next) and at least one. So a
// page shrinks as soon as its objects turn larger.
func nextPageSize(limit, objectSize int, pageBytes int64) int {
	fit := int(min(pageBytes/int64(max(1, objectSize)), math.MaxInt32))
	return max(1, min(limit*2, fit))
}

// objectSizeEstimate returns how many bytes each object after the page
// kvs is expected to take: the larger of the page's average and that of
// its last quarter, since neighbouring keys (one kind, one namespace)
// hold alike objects, and a page where they turn larger must not size
// the next from the smaller ones before.
func objectSizeEstimate(kvs []*mvccpb.KeyValue) int {
	total, tail := 0, 0
	tailFrom := len(kvs) * 3 / 4
	for i, kv := range kvs {
		n := kvWireSize(kv)
		total += n
		if i >= tailFrom {
			tail += n
		}
	}
	if len(kvs) == 0 {
		return 0
	}
	return max(total/len(kvs), tail/(len(kvs)-tailFrom))
}

// kvWireSize is how many bytes kv takes in a Range answer, as gRPC's
// receive limit counts them: the KeyValue message (its key and value, and
// its revisions, version and lease as varints) with its own field tag and
// length. Counted by hand: proto.Size walks the message by reflection.
func kvWireSize(kv *mvccpb.KeyValue) int {
	n := bytesField(len(kv.Key)) + bytesField(len(kv.Value)) +
		varintField(kv.CreateRevision) + varintField(kv.ModRevision) + varintField(kv.Version) + varintField(kv.Lease)
	return 1 + varintLen(uint64(n)) + n
}

// bytesField is the encoded size of a bytes field of n bytes (none if 0).
func bytesField(n int) int {
	if n == 0 {
		return 0
	}
	return 1 + varintLen(uint64(n)) + n
}

// varintField is the encoded size of an int64 field of value v (none if 0).
func varintField(v int64) int {
	if v == 0 {
		return 0
	}
	return 1 + varintLen(uint64(v))
}

// varintLen is how many bytes protobuf's varint encoding of v takes.
func varintLen(v uint64) int {
	l := 1
	for ; v >= 0x80; v >>= 7 {
		l++
	}
	return l
}
