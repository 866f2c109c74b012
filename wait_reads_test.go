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
// when the first one is made.
type waiterReads struct {
	store.Store
	gets  atomic.Int32
	first chan struct{}
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
	var reads *waiterReads
	h := startManager(t, func(c *Config) {
		reads = &waiterReads{Store: c.Store, first: make(chan struct{})}
		c.Store, c.Approver = reads, approver
	})
	h.setupCA("default", "ca")
	crt := testrig.Certificate("default", "web", "ca", "web.example.test")
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
		require.NoError(t, err)
	case <-h.ctx.Done():
		t.Fatal("WaitReady never returned")
	}
	assert.EqualValues(t, 1, reads.gets.Load(), "reads of the Certificate by WaitReady")
}
