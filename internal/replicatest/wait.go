package replicatest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Ready tells whether c is Ready for its current spec.
func Ready(c *certificate.Certificate) bool {
	r := c.Status.Conditions.Get(meta.ConditionReady)
	return r != nil && r.Status == meta.ConditionTrue && r.ObservedGeneration == c.ObjectMeta.Generation && c.Status.Revision != nil
}

// storeRetry is the pause before reading a Store again that failed (one
// that is down for a while, on purpose).
const storeRetry = 100 * time.Millisecond

// AwaitReady blocks until every Certificate of refs is Ready in st,
// looking again on every change of a Certificate, or returns an error
// naming those that are not when ctx ends. A Store that fails is read
// again until ctx ends.
func AwaitReady(ctx context.Context, st store.Store, refs []meta.Ref) error {
	var pending []string
	for {
		rev, notReady, err := notReady(ctx, st, refs)
		if err == nil && len(notReady) == 0 {
			return nil
		}
		if err == nil {
			pending = notReady
			err = awaitChange(ctx, st, rev, meta.KindCertificate)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("replicatest: %d certificates not ready (%s): %w", len(pending), strings.Join(pending, " "), ctx.Err())
		}
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(storeRetry):
			}
		}
	}
}

// notReady lists the names of refs whose Certificate is not Ready, and the
// revision they were read at.
func notReady(ctx context.Context, st store.Store, refs []meta.Ref) (uint64, []string, error) {
	res, err := st.List(ctx, store.ListOptions{Kind: meta.KindCertificate})
	if err != nil {
		return 0, nil, err
	}
	ready := map[meta.Ref]bool{}
	for _, raw := range res.Items {
		c := &certificate.Certificate{}
		if raw.Decode(c) == nil && Ready(c) {
			ready[raw.Ref] = true
		}
	}
	var out []string
	for _, r := range refs {
		if !ready[r] {
			out = append(out, r.Namespace+"/"+r.Name)
		}
	}
	return res.Revision, out, nil
}

// AwaitIssuerReady blocks until the Issuer ref is Ready in st, looking
// again on every change of an Issuer, or returns an error when ctx ends.
// A Store that fails is read again until ctx ends.
func AwaitIssuerReady(ctx context.Context, st store.Store, ref meta.Ref) error {
	for {
		res, err := st.List(ctx, store.ListOptions{Kind: meta.KindIssuer, Namespace: ref.Namespace})
		if err == nil {
			for _, raw := range res.Items {
				iss := &issuer.Issuer{}
				if raw.Ref == ref && raw.Decode(iss) == nil && iss.Status.Conditions.IsTrue(meta.ConditionReady) {
					return nil
				}
			}
			err = awaitChange(ctx, st, res.Revision, meta.KindIssuer)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("replicatest: issuer %s/%s not ready: %w", ref.Namespace, ref.Name, ctx.Err())
		}
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(storeRetry):
			}
		}
	}
}

// awaitChange returns after the first change of an object of kind past
// rev, or an error if the watch ends first.
func awaitChange(ctx context.Context, st store.Store, rev uint64, kind meta.Kind) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := st.Watch(ctx, rev)
	if err != nil {
		return err
	}
	for ev := range events {
		if ev.Err != nil {
			return ev.Err
		}
		if ev.Ref.Kind == kind {
			return nil
		}
	}
	return ctx.Err()
}
