package order

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// acmeOrder fetches the recorded ACME order, or creates it (recording its
// URL first of all). A nil order comes with when to look again or the
// error to retry.
func (r *Reconciler) acmeOrder(ctx context.Context, cl *acme.Client, o *Order, issuerProfile string) (*acme.Order, time.Time, error) {
	if o.Status.URL == "" {
		ao, next, err := r.newOrder(ctx, cl, o, issuerProfile)
		if ao != nil || err != nil || !next.IsZero() || o.Status.URL == "" {
			// Created, retry later, or failed for good (o says why).
			return ao, next, err
		}
		// Another replica recorded its order meanwhile; o now holds it.
	}
	actx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
	defer cancel()
	ao, err := cl.GetOrder(actx, o.Status.URL)
	if err != nil {
		next, err := r.acmeError(ctx, o, "get order", err)
		return nil, next, err
	}
	return ao, time.Time{}, nil
}

// newOrder creates the ACME order under the Store lock
// "acme-order:<namespace>:<name>", so that replicas sharing the Store never
// open two ACME orders for one Order: whoever holds the lock re-reads the
// Order and creates the ACME order only if no URL is recorded yet. A nil
// order with no error and no next time means either that o was refreshed
// with a recorded URL or that o failed (its status says why).
func (r *Reconciler) newOrder(ctx context.Context, cl *acme.Client, o *Order, issuerProfile string) (*acme.Order, time.Time, error) {
	ref := meta.RefOf(o)
	lockName := "acme-order:" + ref.Namespace + ":" + ref.Name
	lease, err := r.deps.Store.Acquire(ctx, lockName, r.opts.LockOwner, r.opts.LockTTL)
	if errors.Is(err, store.ErrLocked) {
		return nil, r.deps.Clock.Now().Add(r.opts.PollInterval), nil
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("order: lock %s: %w", lockName, err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = r.deps.Store.Release(rctx, lease)
	}()
	fresh := &Order{}
	if err := r.deps.Store.Get(ctx, ref, fresh); err != nil {
		return nil, time.Time{}, fmt.Errorf("order: get %s: %w", ref, err)
	}
	*o = *fresh
	if o.Status.URL != "" {
		return nil, time.Time{}, nil
	}

	profile := o.Spec.Profile
	if profile == "" {
		profile = issuerProfile
	}
	var opts []acme.OrderOption
	if profile != "" {
		opts = append(opts, acme.WithOrderIssuanceProfile(acme.ProfileName(profile)))
	}
	actx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
	defer cancel()
	ao, err := cl.AuthorizeOrder(actx, identifiers(o.Spec), opts...)
	if err != nil {
		if strings.HasPrefix(err.Error(), "acme: certificate authority does not") {
			// x/crypto/acme refuses a profile the directory does not list;
			// its sentinel errors are unexported.
			_, ferr := r.fail(ctx, o, challenge.StateErrored, ReasonFailed, "new order: "+err.Error())
			return nil, time.Time{}, ferr
		}
		next, err := r.acmeError(ctx, o, "new order", err)
		return nil, next, err
	}
	if ao.URI == "" {
		return nil, time.Time{}, errors.New("order: new order: the CA sent no order URL")
	}
	// Recorded before anything else: a crash from here on continues this
	// ACME order instead of opening a second one.
	o.Status.URL = ao.URI
	o.Status.FinalizeURL = ao.FinalizeURL
	o.Status.State = stateOf(ao.Status)
	o.Status.Reason = ""
	if err := r.update(ctx, o); err != nil {
		return nil, time.Time{}, err
	}
	r.event(o, meta.EventNormal, ReasonCreated, "created ACME order "+ao.URI)
	return ao, time.Time{}, nil
}
