package etcd_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
	"github.com/certflow/certflow/store/storetest"
)

// While etcd is down every operation fails with ErrUnavailable within its
// deadline (RequestTimeout when the caller set none), never hangs; when it
// is back the store works again, and a watch opened meanwhile delivers.
func TestUnavailableFailsWithinDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	const requestTimeout = 300 * time.Millisecond
	st := openStore(t, srv, etcd.Config{RequestTimeout: requestTimeout})
	w := storetest.NewWidget("ns", "a", nil)
	require.NoError(t, st.Create(ctx, w))
	srv.Stop()

	ops := map[string]func(context.Context) error{
		"get":    func(ctx context.Context) error { return st.Get(ctx, w.Ref(), &storetest.Widget{}) },
		"create": func(ctx context.Context) error { return st.Create(ctx, storetest.NewWidget("ns", "b", nil)) },
		"update": func(ctx context.Context) error { return st.Update(ctx, w) },
		"delete": func(ctx context.Context) error { return st.Delete(ctx, w.Ref(), "") },
		"list": func(ctx context.Context) error {
			_, err := st.List(ctx, store.ListOptions{})
			return err
		},
		"acquire": func(ctx context.Context) error {
			_, err := st.Acquire(ctx, "l", "o", time.Minute)
			return err
		},
	}
	for name, op := range ops {
		t.Run(name+" without deadline", func(t *testing.T) {
			start := time.Now()
			err := op(ctx) // ctx's own deadline is far away
			assert.ErrorIs(t, err, etcd.ErrUnavailable)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), requestTimeout+5*time.Second, "bounded by RequestTimeout")
		})
		t.Run(name+" with deadline", func(t *testing.T) {
			short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := op(short)
			assert.ErrorIs(t, err, etcd.ErrUnavailable)
			assert.Less(t, time.Since(start), 5*time.Second, "bounded by the caller's deadline")
		})
	}

	ch, err := st.Watch(ctx, revision(t, w.Metadata.ResourceVersion))
	require.NoError(t, err, "a watch opens while etcd is down, and waits")
	require.NoError(t, srv.Restart())
	// The client reconnects by itself; RequestTimeout is shorter than its
	// reconnection, so the first attempts may fail, and one that timed
	// out may still have been applied (then the next is a conflict).
	for {
		err := st.Update(ctx, w)
		if err == nil {
			break
		}
		if errors.Is(err, store.ErrConflict) {
			if err := st.Get(ctx, w.Ref(), w); err != nil {
				require.ErrorIs(t, err, etcd.ErrUnavailable)
			}
			continue
		}
		require.ErrorIs(t, err, etcd.ErrUnavailable, "back: the same store works again")
	}
	want := revision(t, w.Metadata.ResourceVersion)
	for {
		ev := next(t, ch)
		require.NoError(t, ev.Err)
		require.LessOrEqual(t, ev.Revision, want)
		if ev.Revision == want {
			break
		}
	}
}

// logBuffer is a slog handler's destination that tests read safely.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// With etcd's auth on, the right password works, a wrong one is ErrAuth,
// and the password never shows in an error or a log line.
func TestAuth(t *testing.T) {
	const password = "correct-horse-battery-staple"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithAuth("certflow", password))
	var logs logBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	// Logging in is checked, not how fast it is: a loaded machine took
	// longer than the default DialTimeout (5 s).
	st := openStore(t, srv, etcd.Config{Username: "certflow", Password: password, Logger: logger, DialTimeout: time.Minute})
	w := storetest.NewWidget("ns", "a", nil)
	require.NoError(t, st.Create(ctx, w))
	require.NoError(t, st.Get(ctx, w.Ref(), &storetest.Widget{}))

	var errs []error
	_, err := etcd.Open(etcd.Config{Endpoints: srv.Endpoints(), Username: "certflow", Password: password + "-wrong", Logger: logger,
		DialTimeout: time.Minute})
	require.ErrorIs(t, err, etcd.ErrAuth)
	errs = append(errs, err)

	anon := openStore(t, srv, etcd.Config{Logger: logger})
	err = anon.Get(ctx, w.Ref(), &storetest.Widget{})
	require.ErrorIs(t, err, etcd.ErrAuth, "no credentials, no data")
	errs = append(errs, err)

	srv.Stop()
	_, err = etcd.Open(etcd.Config{Endpoints: srv.Endpoints(), Username: "certflow", Password: password,
		DialTimeout: 300 * time.Millisecond, Logger: logger})
	require.ErrorIs(t, err, etcd.ErrUnavailable, "logging in needs etcd")
	errs = append(errs, err)
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelShort()
	err = st.Get(short, w.Ref(), &storetest.Widget{})
	require.ErrorIs(t, err, etcd.ErrUnavailable)
	errs = append(errs, err)

	for _, err := range errs {
		assert.NotContains(t, err.Error(), "correct-horse", "the password in %q", err)
	}
	assert.NotContains(t, logs.String(), "correct-horse")
}

// A store reaches a TLS-only etcd that requires client certificates, from
// the files alone.
func TestTLSFiles(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithTLS())
	files := srv.TLS()
	st := openStore(t, srv, etcd.Config{CAFile: files.CA, CertFile: files.ClientCert, KeyFile: files.ClientKey})
	w := storetest.NewWidget("ns", "a", nil)
	require.NoError(t, st.Create(ctx, w))

	noCert := openStore(t, srv, etcd.Config{CAFile: files.CA, RequestTimeout: time.Second})
	assert.Error(t, noCert.Get(ctx, w.Ref(), &storetest.Widget{}), "etcd wants a client certificate")

	_, err := etcd.Open(etcd.Config{Endpoints: srv.Endpoints(), CAFile: files.CA, CertFile: files.ClientCert, KeyFile: files.CA})
	require.Error(t, err, "a key file without a key")
	assert.NotContains(t, err.Error(), "BEGIN")
}

// Values this store did not write are corrupt objects: Get names the key,
// List returns the others and the error, Watch still reports the change.
func TestCorruptValues(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	st := openStore(t, srv, etcd.Config{Prefix: "/corrupt/"})
	good := storetest.NewWidget("ns", "good", nil)
	require.NoError(t, st.Create(ctx, good))
	from := revision(t, good.Metadata.ResourceVersion)
	ch, err := st.Watch(ctx, from)
	require.NoError(t, err)

	admin, err := srv.Client()
	require.NoError(t, err)
	goodMeta := `{"name":"bad-json","namespace":"ns"}`
	for name, val := range map[string]string{
		"garbage":   "not a value",
		"bad-json":  fmt.Sprintf("certflow1 %d 0\n%s{\"x\":", len(goodMeta), goodMeta),
		"bad-sizes": "certflow1 999 0\n{}",
	} {
		_, err := admin.Put(ctx, "/corrupt/objects/Widget/ns/"+name, val)
		require.NoError(t, err)
	}

	bad := storetest.NewWidget("ns", "garbage", nil)
	err = st.Get(ctx, bad.Ref(), &storetest.Widget{})
	var ce *store.CorruptError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, bad.Ref(), ce.Ref)
	assert.Contains(t, ce.Where, "/corrupt/objects/Widget/ns/garbage")
	require.ErrorIs(t, st.Get(ctx, storetest.NewWidget("ns", "bad-json", nil).Ref(), &storetest.Widget{}), store.ErrCorrupt)

	res, err := st.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.ErrorIs(t, err, store.ErrCorrupt)
	require.Len(t, res.Items, 1)
	assert.Equal(t, "good", res.Items[0].Ref.Name)
	var joined interface{ Unwrap() []error }
	require.True(t, errors.As(err, &joined))
	assert.Len(t, joined.Unwrap(), 3, "one error per corrupt object")

	seen := map[string]bool{}
	for range 3 {
		ev := next(t, ch)
		require.NoError(t, ev.Err)
		assert.Equal(t, ev.Ref.Name, ev.Meta.Name)
		seen[ev.Ref.Name] = true
	}
	assert.Len(t, seen, 3)
}

func TestOpenRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]etcd.Config{
		"no endpoints":          {},
		"user without password": {Endpoints: []string{"http://127.0.0.1:1"}, Username: "u"},
		"cert without key":      {Endpoints: []string{"http://127.0.0.1:1"}, CertFile: "c"},
		"client and endpoints":  {Endpoints: []string{"http://127.0.0.1:1"}, Client: new(clientv3.Client)},
		"missing CA file":       {Endpoints: []string{"http://127.0.0.1:1"}, CAFile: "/nonexistent/ca.crt"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := etcd.Open(cfg)
			assert.Error(t, err)
		})
	}
}

// An object larger than etcd takes is invalid, not a sign of an outage.
func TestTooLargeIsInvalid(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	st := openStore(t, srv, etcd.Config{})
	for _, size := range []int{1600 << 10, 3 << 20} { // over etcd's 1.5 MiB; over the client's 2 MiB
		w := storetest.NewWidget("ns", "big", map[string]string{"blob": strings.Repeat("x", size)})
		err := st.Create(ctx, w)
		assert.ErrorIs(t, err, store.ErrInvalid, "%d bytes", size)
		assert.NotErrorIs(t, err, etcd.ErrUnavailable)
		assert.Empty(t, w.Metadata.ResourceVersion)
	}
}
