// Package reconcile holds what every resource reconciler is given by the
// Manager: the Store, the Clock, an event Recorder and a logger. Reconcilers
// live in their resource packages and implement
//
//	Reconcile(ctx context.Context, ref meta.Ref) (next time.Time, err error)
//
// returning when they want to look at the object again (zero: only when it or
// a child changes). An error is retried with backoff; store.ErrConflict is
// retried at once.
//
// A Reconcile is a decision and its execution kept apart: it loads a
// snapshot (the object, what it reads, and the recorded results of earlier
// effects), calls a pure decide(snapshot) → Plan that is given Now and never
// touches the Store, the network or the clock, and hands the Plan to
// Execute, the one place that writes (compare-and-swap), creates and deletes
// children, records events and performs an effect under its claim.
package reconcile

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Deps are the Manager's shared services. Every field is required; the
// Manager fills them all (a discarding logger when none was configured).
type Deps struct {
	// Store holds every object; reconcilers write with the ResourceVersion
	// they read and return store.ErrConflict as is.
	Store store.Store
	// Clock is the only time source of decisions.
	Clock clock.Clock
	// Events records what happened to each object, for Status.
	Events meta.Recorder
	// Log is for operators; never log key material or secrets.
	Log *slog.Logger
	// ClusterResourceNamespace is where Secrets referenced by ClusterIssuers live.
	ClusterResourceNamespace string
	// Owner identifies this Manager in Store leases (claims), so replicas
	// sharing a Store tell their claims apart.
	Owner string
	// Observer, if set, is told of every decision before it is executed.
	Observer Observer
	// Owners, if set, checks before each effect marked ForOwners, once its
	// claim is held, that the object's owner chain still stands in the
	// Store: another replica may have deleted the Certificate an Order is
	// for, and this one's watch not told it yet.
	Owners OwnersCheck
}

// Reconciler drives one kind's state machine.
type Reconciler interface {
	Reconcile(ctx context.Context, ref meta.Ref) (next time.Time, err error)
}

// ErrTerminal marks an error that retrying cannot fix (a malformed spec, a
// denied request): the reconciler records it in status and does not retry.
var ErrTerminal = errors.New("reconcile: terminal")

// Earliest returns the earlier non-zero time of a and b.
func Earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	case b.Before(a):
		return b
	}
	return a
}

// SecretNamespace returns the namespace holding Secrets referenced by the
// issuer named ref: its own, or ClusterResourceNamespace for a ClusterIssuer.
func (d Deps) SecretNamespace(issuer meta.Ref) string {
	if issuer.Kind == meta.KindClusterIssuer {
		return d.ClusterResourceNamespace
	}
	return issuer.Namespace
}
