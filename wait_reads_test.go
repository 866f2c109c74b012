package certflow

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store"
)

// waiterKey marks the context of the WaitReady whose reads a test counts.
type waiterKey struct{}

// waiterReads counts the reads made with a waiterKey context, and says
// when the first one is made. Once a change of ref finds the Certificate
// Ready, it holds the watch's changes from that one on until returned is
// closed: the Manager's watch would otherwise race its own Ready write to
// the waiter, and a waiter woken by the watch first reads the Certificate
// again. Changes before Ready pass, since the Manager needs them to get
// there.
type waiterReads struct {
	store.Store
	gets  atomic.Int32
	first chan struct{}

	ref      meta.Ref
	returned chan struct{}
}

func (s *waiterReads) Watch(ctx context.Context, from uint64) (<-chan store.WatchEvent, error) {
	in, err := s.Store.Watch(ctx, from)
	if err != nil {
		return nil, err
	}
	out := make(chan store.WatchEvent)
	go func() {
		defer close(out)
		var queue []store.WatchEvent
		holding, returned := false, s.returned
		for {
			var send chan<- store.WatchEvent
			var next store.WatchEvent
			if len(queue) > 0 && !holding {
				send, next = out, queue[0]
			}
			select {
			case ev, ok := <-in:
				if !ok {
					return
				}
				queue = append(queue, ev)
				if ev.Ref == s.ref && returned != nil && !holding && s.ready(ctx) {
					holding = true
				}
			case send <- next:
				queue = queue[1:]
			case <-returned:
				holding, returned = false, nil
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// ready reports whether ref's Certificate is Ready in the store, reading
// it with the watch's context so the waiter's reads are not counted.
func (s *waiterReads) ready(ctx context.Context) bool {
	var c certificate.Certificate
	return s.Store.Get(ctx, s.ref, &c) == nil && c.Status.Conditions.IsTrue(meta.ConditionReady)
}

func (s *waiterReads) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	if ctx.Value(waiterKey{}) != nil && s.gets.Add(1) == 1 {
		close(s.first)
	}
	return s.Store.Get(ctx, ref, into)
}

// WaitReady reads the Certificate once, not again when this Manager's own
// write makes it Ready: that write answers the wait as it stands.
func TestWaitReady_TheManagersReadyWriteIsNotReadBack(t *testing.T) {
	release := make(chan struct{})
	// Approval waits until WaitReady has read the Certificate, so the
	// read finds it Issuing and the Ready write comes after it.
	approver := request.ApproverFunc(func(ctx context.Context, _ *request.CertificateRequest) (request.Decision, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return request.Decision{}, ctx.Err()
		}
		return request.Decision{Approved: true, Reason: "released"}, nil
	})
	crt := testrig.Certificate("default", "web", "ca", "web.example.test")
	var reads *waiterReads
	h := startManager(t, func(c *Config) {
		reads = &waiterReads{Store: c.Store, first: make(chan struct{}), ref: meta.RefOf(crt), returned: make(chan struct{})}
		c.Store, c.Approver = reads, approver
	})
	h.setupCA("default", "ca")
	require.NoError(t, h.m.Apply(h.ctx, crt))
	waitFor(h, meta.RefOf(crt), "Issuing", func(c *certificate.Certificate) bool { return c.Status.Conditions.IsTrue(meta.ConditionIssuing) })

	done := make(chan error, 1)
	go func() { done <- h.m.WaitReady(context.WithValue(h.ctx, waiterKey{}, true), meta.RefOf(crt)) }()
	select {
	case <-reads.first:
	case <-h.ctx.Done():
		t.Fatal("WaitReady never read the Certificate")
	}
	close(release)
	select {
	case err := <-done:
		close(reads.returned)
		require.NoError(t, err)
	case <-h.ctx.Done():
		t.Fatal("WaitReady never returned")
	}
	assert.EqualValues(t, 1, reads.gets.Load(), "reads of the Certificate by WaitReady")
}
