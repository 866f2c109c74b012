package etcd_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
	"github.com/certflow/certflow/store/storetest"
)

// A namespace too large for one etcd response is listed in pages: the
// client here refuses responses over 64 KiB, the namespace holds 400 KiB.
func TestListLargerThanOneResponse(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	cfg := srv.ClientConfig()
	cfg.MaxCallRecvMsgSize = 64 << 10
	small, err := clientv3.New(cfg)
	require.NoError(t, err)
	defer small.Close()

	writer := openStore(t, srv, etcd.Config{Prefix: "/large/"})
	blob := strings.Repeat("x", 10<<10)
	var want []string
	for i := range 40 {
		// Namespaces "a" and "a-b": keys order them the other way round.
		ns := []string{"a", "a-b"}[i%2]
		w := storetest.NewWidget(ns, fmt.Sprintf("w%02d", i), map[string]string{"blob": blob})
		require.NoError(t, writer.Create(ctx, w))
	}
	for _, ns := range []string{"a", "a-b"} {
		for i := range 40 {
			if []string{"a", "a-b"}[i%2] == ns {
				want = append(want, fmt.Sprintf("%s/w%02d", ns, i))
			}
		}
	}

	unpaged, err := etcd.Open(etcd.Config{Client: small, Prefix: "/large/", PageSize: 1000})
	require.NoError(t, err)
	defer unpaged.Close()
	_, err = unpaged.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.Error(t, err, "one page of 400 KiB exceeds what this client accepts")

	paged, err := etcd.Open(etcd.Config{Client: small, Prefix: "/large/", PageSize: 4})
	require.NoError(t, err)
	defer paged.Close()
	res, err := paged.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.NoError(t, err)
	var got []string
	for _, raw := range res.Items {
		got = append(got, raw.Ref.Namespace+"/"+raw.Ref.Name)
		var w storetest.Widget
		require.NoError(t, raw.Decode(&w))
		assert.Equal(t, blob, w.Data["blob"])
		assert.Equal(t, raw.ResourceVersion, w.Metadata.ResourceVersion)
	}
	assert.Equal(t, want, got, "every object, sorted by namespace then name")

	res, err = paged.List(ctx, store.ListOptions{Kind: storetest.KindWidget, Namespace: "a"})
	require.NoError(t, err)
	assert.Len(t, res.Items, 20)
}

// Every page of a List is read at the revision of the first: objects
// created while the List runs are all absent, those created before all
// present, whatever page they fall on.
func TestListReadsOneRevision(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	st := openStore(t, srv, etcd.Config{Prefix: "/snapshot/", PageSize: 1})
	created := map[string]uint64{}
	for i := range 30 {
		w := storetest.NewWidget("ns", fmt.Sprintf("a%02d", i), nil)
		require.NoError(t, st.Create(ctx, w))
		created[w.Metadata.Name] = revision(t, w.Metadata.ResourceVersion)
	}

	// A writer adds objects that sort after every page read so far.
	writerCtx, stopWriter := context.WithCancel(ctx)
	done := make(chan map[string]uint64)
	go func() {
		late := map[string]uint64{}
		defer func() { done <- late }()
		for i := 0; writerCtx.Err() == nil; i++ {
			w := storetest.NewWidget("ns", fmt.Sprintf("z%04d", i), nil)
			if err := st.Create(writerCtx, w); err != nil {
				return
			}
			late[w.Metadata.Name] = revision(t, w.Metadata.ResourceVersion)
		}
	}()
	var lists []store.ListResult
	for range 5 {
		res, err := st.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
		require.NoError(t, err)
		lists = append(lists, res)
	}
	stopWriter()
	for name, rev := range <-done {
		created[name] = rev
	}

	sawLater := false
	for _, res := range lists {
		var want, got []string
		for name, rev := range created {
			if rev <= res.Revision {
				want = append(want, name)
			} else {
				sawLater = true
			}
		}
		for _, raw := range res.Items {
			got = append(got, raw.Ref.Name)
			assert.LessOrEqual(t, revision(t, raw.ResourceVersion), res.Revision)
		}
		assert.ElementsMatch(t, want, got, "list at revision %d", res.Revision)
	}
	assert.True(t, sawLater, "the writer created objects while lists ran")
}

func revision(t testing.TB, rv string) uint64 {
	n, err := strconv.ParseUint(rv, 10, 64)
	require.NoError(t, err)
	return n
}

// With PageSize left zero, each page asks for twice as many objects as
// the one before (etcd counts the whole rest of the range for every page,
// so fixed pages make a long list quadratic); a PageSize set is kept.
func TestListPagesGrowUnlessPageSizeIsSet(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	writer := openStore(t, srv, etcd.Config{})
	const n = etcd.DefaultPageSize*3 - 100 // pages of 500 and 900 if they grow, else 500, 500 and 400
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < n; i += 16 {
				errs <- writer.Create(ctx, storetest.NewWidget("ns", fmt.Sprintf("w%04d", i), nil))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for _, tc := range []struct {
		pageSize, requests int
	}{{0, 2}, {etcd.DefaultPageSize, 3}} {
		var ranges atomic.Int32
		cfg := srv.ClientConfig()
		cfg.DialOptions = append(cfg.DialOptions, grpc.WithUnaryInterceptor(
			func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
				if strings.HasSuffix(method, "/Range") {
					ranges.Add(1)
				}
				return invoker(ctx, method, req, reply, cc, opts...)
			}))
		c, err := clientv3.New(cfg)
		require.NoError(t, err)
		s, err := etcd.Open(etcd.Config{Client: c, PageSize: tc.pageSize})
		require.NoError(t, err)
		ranges.Store(0)
		res, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
		require.NoError(t, err)
		require.Len(t, res.Items, n)
		for i, raw := range res.Items {
			require.Equal(t, fmt.Sprintf("w%04d", i), raw.Ref.Name)
		}
		assert.Equal(t, int32(tc.requests), ranges.Load(), "PageSize %d", tc.pageSize)
		require.NoError(t, s.Close())
		require.NoError(t, c.Close())
	}
}

// With PageSize left zero, a page past the receive limit of a caller's
// client (here gRPC's usual 4 MiB) is refused and asked for again in
// halves at the same revision, instead of failing the List: 1,000 objects
// of 1 KiB make the second page 1,000 objects long, and 1,000 of 12 KiB
// follow.
func TestListHalvesPagesTooLargeForTheClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithoutFsync())
	writer := openStore(t, srv, etcd.Config{})
	createWidgets(ctx, t, writer, "a", 1000, strings.Repeat("x", 1<<10))
	createWidgets(ctx, t, writer, "b", 1000, strings.Repeat("x", 12<<10))

	rec := &rangeRecorder{}
	const limit = 4 << 20
	s, err := etcd.Open(etcd.Config{Client: rec.client(t, srv, limit)})
	require.NoError(t, err)
	defer s.Close()
	res, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.NoError(t, err)
	require.Len(t, res.Items, 2000)
	for i, raw := range res.Items {
		require.Equal(t, fmt.Sprintf("w%05d", i%1000), raw.Ref.Name)
	}
	pages, refused := rec.seen()
	assert.Positive(t, refused, "some page was too large for the client")
	for _, n := range pages {
		assert.LessOrEqual(t, n, limit)
	}
}

// passKV is a KV of a caller's own (as namespace.NewKV makes): List reads
// through it.
type passKV struct {
	clientv3.KV
	gets atomic.Int32
}

func (p *passKV) Get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	p.gets.Add(1)
	return p.KV.Get(ctx, key, opts...)
}

// A Client whose KV was replaced is read through that KV; its pages,
// bounded only by its receive limit (64 KiB here, 400 KiB of objects),
// are halved when refused.
func TestListReadsThroughAReplacedKV(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithoutFsync())
	writer := openStore(t, srv, etcd.Config{})
	createWidgets(ctx, t, writer, "ns", 40, strings.Repeat("x", 10<<10))

	rec := &rangeRecorder{}
	c := rec.client(t, srv, 64<<10)
	kv := &passKV{KV: c.KV}
	c.KV = kv
	s, err := etcd.Open(etcd.Config{Client: c})
	require.NoError(t, err)
	defer s.Close()
	res, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.NoError(t, err)
	require.Len(t, res.Items, 40)
	_, refused := rec.seen()
	assert.Positive(t, refused)
	assert.Positive(t, kv.gets.Load(), "read through the client's KV")
}

// createWidgets creates n Widgets w00000… in namespace ns, each with blob
// as data (none if empty), concurrently: etcd batches their fsyncs.
func createWidgets(ctx context.Context, t *testing.T, s *etcd.Store, ns string, n int, blob string) {
	t.Helper()
	var data map[string]string
	if blob != "" {
		data = map[string]string{"blob": blob}
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				errs <- s.Create(ctx, storetest.NewWidget(ns, fmt.Sprintf("w%05d", i), data))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// rangeRecorder notes the wire size of every Range answer a client
// accepts, and counts those refused as too large.
type rangeRecorder struct {
	mu      sync.Mutex
	pages   []int
	refused int
}

// record is a dial option that makes a client report to r.
func (r *rangeRecorder) record() grpc.DialOption {
	return grpc.WithUnaryInterceptor(
		func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			err := invoker(ctx, method, req, reply, cc, opts...)
			if !strings.HasSuffix(method, "/Range") {
				return err
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			switch {
			case err == nil:
				r.pages = append(r.pages, proto.Size(reply.(*etcdserverpb.RangeResponse)))
			case status.Code(err) == codes.ResourceExhausted:
				r.refused++
			}
			return err
		})
}

// client is a caller's client of srv (for Config.Client) reporting to r.
func (r *rangeRecorder) client(t *testing.T, srv *etcdtest.Server, recvLimit int) *clientv3.Client {
	t.Helper()
	cfg := srv.ClientConfig()
	cfg.MaxCallRecvMsgSize = recvLimit
	cfg.DialOptions = append(cfg.DialOptions, r.record())
	c, err := clientv3.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// open is a store of srv on a client it dials itself, reporting to r.
func (r *rangeRecorder) open(t *testing.T, srv *etcdtest.Server) *etcd.Store {
	t.Helper()
	s, err := etcd.OpenDialling(etcd.Config{Endpoints: srv.Endpoints()}, r.record())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func (r *rangeRecorder) seen() (pages []int, refused int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.pages), r.refused
}

// No growing page of the client the store dialled is received past its
// byte target, however suddenly the objects grow: 1,000 small objects, 1,000 of 4 KiB, then 3,000 small
// again, listed with pages aiming at 256 KiB. A page sized from the small
// objects that reaches the large ones is refused before it is decoded and
// asked for again in halves; once past the large ones, pages grow again
// (a List of small objects in small pages is quadratic in etcd).
func TestListPagesNeverExceedTheirByteTarget(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithoutFsync())
	writer := openStore(t, srv, etcd.Config{})
	createWidgets(ctx, t, writer, "a", 1000, "")
	createWidgets(ctx, t, writer, "b", 1000, strings.Repeat("x", 4<<10))
	createWidgets(ctx, t, writer, "c", 3000, "")

	rec := &rangeRecorder{}
	s := rec.open(t, srv)
	const target = 256 << 10
	etcd.SetPageBytes(s, target)
	res, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.NoError(t, err)
	require.Len(t, res.Items, 5000)
	for i, ns := range []string{"a", "b", "c"} {
		from := []int{0, 1000, 2000}[i]
		n := []int{1000, 1000, 3000}[i]
		for j := range n {
			require.Equal(t, ns, res.Items[from+j].Ref.Namespace)
			require.Equal(t, fmt.Sprintf("w%05d", j), res.Items[from+j].Ref.Name)
		}
	}
	pages, refused := rec.seen()
	t.Logf("pages (bytes): %v; refused: %d", pages, refused)
	for _, n := range pages {
		assert.LessOrEqual(t, n, target, "a page of %d bytes, of %v", n, pages)
	}
	assert.Positive(t, refused, "the page where objects grew was refused")
	// 1,000 small objects fit in one page of the target, 1,000 large in
	// about 22: a List whose pages stayed small after the large objects
	// would take 3,000/40 = 75 pages for the last namespace alone.
	assert.Less(t, len(pages), 50, "pages grew again after the large objects: %v", pages)
}

// An object larger than the page target on its own is still listed: read
// alone, up to the receive limit of the client the store dialled.
func TestListReadsAnObjectLargerThanThePageTargetAlone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithoutFsync())
	writer := openStore(t, srv, etcd.Config{})
	createWidgets(ctx, t, writer, "a", 20, "")
	createWidgets(ctx, t, writer, "b", 3, strings.Repeat("x", 8<<10))
	createWidgets(ctx, t, writer, "c", 20, "")

	rec := &rangeRecorder{}
	s := rec.open(t, srv)
	const target = 4 << 10
	etcd.SetPageBytes(s, target)
	res, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.NoError(t, err)
	require.Len(t, res.Items, 43)
	var w storetest.Widget
	require.NoError(t, res.Items[20].Decode(&w))
	assert.Equal(t, "b", w.Metadata.Namespace)
	assert.Len(t, w.Data["blob"], 8<<10)
	pages, _ := rec.seen()
	over := 0
	for _, n := range pages {
		if n > target {
			over++
		}
	}
	assert.Equal(t, 3, over, "only the three large objects, each alone: %v", pages)
}
