package certflow

import (
	"context"
	"errors"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"reflect"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// applyAttempts bounds how often Apply starts over after losing a race to
// another writer. Every lost race is another writer's success, so only a
// caller contending with this many writes in a row gives up.
const applyAttempts = 64

// Apply creates obj or updates the stored object of the same name to obj's
// spec, keeping the stored status and bumping Generation when the spec
// changed, like kubectl apply. On return obj holds what was stored.
//
// Apply first validates obj as its kind's own validation does (cert-manager's
// webhook checks) and checks that its solvers name DNS-01 providers this
// Manager has (unless AnyDNS01Provider): an object that cannot work is
// refused with an *InvalidError (errors.Is ErrInvalid) carrying the kind's
// typed error, and nothing is stored. A Certificate naming IP addresses is
// also refused (an *IPSolverError) when its ACME issuer, already stored, has
// no HTTP-01 or TLS-ALPN-01 solver for one of them.
//
// Apply is create-or-update under concurrency: when another caller (in this
// process or another sharing the Store) creates or updates the object
// between Apply's read and its write, Apply reads again and applies obj over
// what that caller stored. Applying what is already stored writes nothing;
// ReportResult tells which of created, configured and unchanged happened.
//
// Applying many objects (a manifest of thousands) is one Apply each: its
// cost is the Store write's (BenchmarkApply measures both, side by side),
// and no Store offers a batched write that a bulk Apply could use.
func (m *Manager) Apply(ctx context.Context, obj meta.Object, opts ...ApplyOption) error {
	var o applyOptions
	for _, opt := range opts {
		opt.applyOption(&o)
	}
	normalize(obj)
	if err := m.validate(obj, o); err != nil {
		return err
	}
	if err := m.checkIPSolvers(ctx, obj); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		res, err := m.applyOnce(ctx, obj)
		if err == nil && o.result != nil {
			*o.result = res
		}
		// A Create that lost to another creator, an Update that lost to
		// another writer, or an Update of an object deleted meanwhile: the
		// next read decides between create and update again.
		retry := errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrAlreadyExists) ||
			errors.Is(err, store.ErrNotFound)
		if !retry || attempt == applyAttempts {
			return err
		}
		if attempt > 2 {
			// Sustained contention: spread the contenders out.
			d := time.Duration(mrand.Int64N(int64(time.Millisecond) << min(attempt-2, 5)))
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
		}
	}
}

// normalize fills in what Apply derives: no namespace for a cluster-scoped
// kind, the kind's own defaults.
func normalize(obj meta.Object) {
	if obj.GetKind().ClusterScoped() {
		obj.GetMeta().Namespace = ""
	}
	if d, ok := obj.(meta.Defaulter); ok {
		d.Default()
	}
}

func (m *Manager) applyOnce(ctx context.Context, obj meta.Object) (ApplyResult, error) {
	om := obj.GetMeta()
	normalize(obj)
	ref := meta.RefOf(obj)
	cur, err := newObject(ref.Kind)
	if err != nil {
		return "", err
	}
	err = m.cfg.Store.Get(ctx, ref, cur)
	if errors.Is(err, store.ErrNotFound) {
		om.ResourceVersion, om.UID = "", ""
		om.Generation = 1
		if err := clearStatus(obj); err != nil {
			return "", err
		}
		return ApplyCreated, m.cfg.Store.Create(ctx, obj)
	}
	if err != nil {
		return "", err
	}
	changed, err := specChanged(cur, obj)
	if err != nil {
		return "", err
	}
	cm := cur.GetMeta()
	if err := copyStatus(cur, obj); err != nil {
		return "", err
	}
	om.UID, om.ResourceVersion, om.CreationTime = cm.UID, cm.ResourceVersion, cm.CreationTime
	om.OwnerRefs = cm.OwnerRefs
	om.Generation = cm.Generation
	if !changed && maps.Equal(om.Labels, cm.Labels) && maps.Equal(om.Annotations, cm.Annotations) &&
		timesEqual(om.DeletionTime, cm.DeletionTime) {
		return ApplyUnchanged, nil // already applied: a write would only wake every reconciler
	}
	if changed {
		om.Generation++
	}
	return ApplyConfigured, m.cfg.Store.Update(ctx, obj)
}

// Get reads the object named ref into into.
func (m *Manager) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	return m.cfg.Store.Get(ctx, ref, into)
}

// Delete removes the object named ref and what it owned: a Certificate's
// requests, orders, challenges and temporary key (its Secret is kept, as
// cert-manager keeps it, except after AnnotationRevokeOnDelete). A
// Challenge whose record is still presented is cleaned up by the running
// Manager first, then removed.
//
// Deleting a Certificate also deactivates the authorizations its unfinished
// orders left pending at the CA, and, with AnnotationRevokeOnDelete, first
// revokes its certificate and afterwards deletes its Secret, so the revoked
// certificate is no longer served (delete_hygiene.go). If the Store fails
// to delete a Certificate whose certificate was revoked, a renewal is
// requested to replace it, and the error says so.
func (m *Manager) Delete(ctx context.Context, ref meta.Ref) error {
	plan, err := m.beforeDelete(ctx, ref)
	if err != nil {
		return err
	}
	before := m.events.writer.Mark() // a namesake's events are recorded after it
	if err := m.cfg.Store.Delete(ctx, ref, ""); err != nil {
		if plan.revoked != nil {
			return m.revokedNotDeleted(ctx, ref, plan.revoked, err)
		}
		return err
	}
	m.events.writer.Gone(ref, before) // its waiting events would be collected at once
	m.deactivate(ctx, plan.pending)
	var secErr error
	if plan.revoked != nil {
		secErr = m.afterRevokedDelete(ctx, ref, plan.revoked.secret)
	}
	return errors.Join(secErr, m.collectOwned(ctx, ref))
}

// Renew triggers a new issuance of the Certificate named ref now, bypassing
// any failure backoff, like `cmctl renew`, and returns the Renewal it asked
// for: the revision that issuance will have. WaitReady with ForRenewal
// waits until that revision is issued, or its attempt failed.
func (m *Manager) Renew(ctx context.Context, ref meta.Ref) (Renewal, error) {
	return m.renew(ctx, ref, nil)
}

// renew is Renew that also applies mark, if set, to the Certificate in the
// same write.
func (m *Manager) renew(ctx context.Context, ref meta.Ref, mark func(*certificate.Certificate) error) (Renewal, error) {
	if ref.Kind != meta.KindCertificate {
		return Renewal{}, fmt.Errorf("certflow: renew: %s is not a Certificate", ref)
	}
	for attempt := 0; ; attempt++ {
		c := &certificate.Certificate{}
		if err := m.cfg.Store.Get(ctx, ref, c); err != nil {
			return Renewal{}, err
		}
		r := Renewal{Certificate: ref, Revision: 1}
		if c.Status.Revision != nil {
			r.Revision = *c.Status.Revision + 1
		}
		if c.Status.FailedIssuanceAttempts != nil {
			r.FailedAttempts = *c.Status.FailedIssuanceAttempts
		}
		certificate.MarkManualRenewal(c, m.cfg.Clock.Now())
		if mark != nil {
			if err := mark(c); err != nil {
				return Renewal{}, err
			}
		}
		err := m.cfg.Store.Update(ctx, c)
		if err == nil {
			m.events.recordNow(ctx, c, meta.EventNormal, certificate.ReasonManuallyTrigger,
				fmt.Sprintf("Renewal to revision %d requested", r.Revision))
			return r, nil
		}
		if !errors.Is(err, store.ErrConflict) || attempt == 10 {
			return Renewal{}, err
		}
	}
}

// copyStatus moves the stored status into obj, so Apply never overwrites
// what reconcilers recorded. Both are of the type newObject returns for the
// kind, so their Status fields have one type.
func copyStatus(from, to meta.Object) error {
	src := reflect.ValueOf(from).Elem().FieldByName("Status")
	dst := reflect.ValueOf(to).Elem().FieldByName("Status")
	if !src.IsValid() || !dst.IsValid() {
		return nil
	}
	if src.Type() != dst.Type() {
		return fmt.Errorf("certflow: apply: %T and %T disagree on %s", from, to, to.GetKind())
	}
	dst.Set(src)
	return nil
}

func clearStatus(o meta.Object) error {
	if f := reflect.ValueOf(o).Elem().FieldByName("Status"); f.IsValid() {
		f.Set(reflect.Zero(f.Type()))
	}
	return nil
}

func timesEqual(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
