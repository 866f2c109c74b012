package certflow

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// handedOver is a Store that records every object its List and Scan hand
// over (their bytes, by kind), and can make a Scan of one kind report a
// corrupt object or fail.
type handedOver struct {
	store.Store
	mu      sync.Mutex
	bytes   map[meta.Kind]int
	corrupt meta.Kind // its Scan leaves out its first object, as corrupt
	failing meta.Kind // its Scan fails after its first object
}

func (h *handedOver) hand(raw store.Raw) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.bytes[raw.Ref.Kind] += len(raw.Data) + 1
}

func (h *handedOver) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	res, err := h.Store.List(ctx, opts)
	for _, raw := range res.Items {
		h.hand(raw)
	}
	return res, err
}

var errUnreachable = errors.New("the store is unreachable")

func (h *handedOver) Scan(ctx context.Context, opts store.ListOptions, fn func(store.Raw) error) (uint64, error) {
	first := true
	var left store.Raw
	rev, err := store.ScanOf(ctx, h.Store, opts, func(raw store.Raw) error {
		if first && opts.Kind != "" && opts.Kind == h.corrupt {
			first, left = false, raw
			return nil
		}
		if !first && opts.Kind != "" && opts.Kind == h.failing {
			return errUnreachable
		}
		first = false
		h.hand(raw)
		return fn(raw)
	})
	if err == nil && left.Ref.Name != "" {
		err = &store.CorruptError{Ref: left.Ref, Err: errors.New("bad json")}
	}
	return rev, err
}

// queued drains m's queue.
func queued(t *testing.T, ctx context.Context, m *Manager) []meta.Ref {
	t.Helper()
	var out []meta.Ref
	for m.queue.Len() > 0 {
		ref, ok := m.queue.Get(ctx)
		require.True(t, ok)
		m.queue.Done(ref)
		out = append(out, ref)
	}
	slices.SortFunc(out, store.CompareRefs)
	return out
}

// After the replicas change, every reconciled object is queued, read from
// the Store an object at a time of the reconciled kinds alone: no Secret
// (a key and a chain each) and no Event passes through to queue them. A
// corrupt object is left out and the rest queued; a Store that fails is
// reported, for the next beat to try again.
func TestRequeueAll_QueuesTheReconciledKindsAloneAnObjectAtATime(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw, _, _ := issuedRig(t, ctx, 3)
	all, err := raw.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	logs := &testrig.Buffer{}
	st := &handedOver{Store: raw, bytes: map[meta.Kind]int{}}
	m, err := New(Config{Store: st, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	require.NoError(t, err)
	var want []meta.Ref
	kinds := map[meta.Kind]bool{}
	for _, item := range all.Items {
		if _, ok := m.reconcilers[item.Ref.Kind]; ok {
			want = append(want, item.Ref)
			kinds[item.Ref.Kind] = true
		}
	}
	require.True(t, kinds[meta.KindCertificate] && kinds[meta.KindCertificateRequest] && kinds[meta.KindIssuer], "the test's premise: %v", kinds)
	for _, k := range []meta.Kind{meta.KindSecret, meta.KindEvent} {
		require.True(t, slices.ContainsFunc(all.Items, func(r store.Raw) bool { return r.Ref.Kind == k }), "the test's premise: the Store holds %ss", k)
	}

	require.True(t, m.requeueAll(ctx), "it could list")
	assert.Equal(t, want, queued(t, ctx, m), "every reconciled object")
	assert.Zero(t, st.bytes[meta.KindSecret], "no Secret's bytes handed over")
	assert.Zero(t, st.bytes[meta.KindEvent], "no Event's bytes handed over")
	assert.Positive(t, st.bytes[meta.KindCertificate], "the test's premise: the recorder sees what is handed over")

	st.corrupt = meta.KindCertificate
	require.True(t, m.requeueAll(ctx), "a corrupt object is no failure to list")
	got := queued(t, ctx, m)
	assert.Len(t, got, len(want)-1, "all but the corrupt object")
	assert.Subset(t, want, got)

	st.corrupt, st.failing = "", meta.KindCertificateRequest
	assert.False(t, m.requeueAll(ctx), "a Store that fails is reported")
	assert.Regexp(t, `level=WARN msg="cannot list the store after the replicas changed" kind=CertificateRequest err="`+errUnreachable.Error()+`"`, logs.String())
}
