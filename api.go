package certflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Apply creates obj or updates the stored object of the same name to obj's
// spec, keeping the stored status and bumping Generation when the spec
// changed, like kubectl apply. On return obj holds what was stored.
func (m *Manager) Apply(ctx context.Context, obj meta.Object) error {
	for attempt := 0; ; attempt++ {
		err := m.applyOnce(ctx, obj)
		if !errors.Is(err, store.ErrConflict) || attempt == 10 {
			return err
		}
	}
}

func (m *Manager) applyOnce(ctx context.Context, obj meta.Object) error {
	om := obj.GetMeta()
	if obj.GetKind().ClusterScoped() {
		om.Namespace = ""
	}
	ref := meta.RefOf(obj)
	cur, err := newObject(ref.Kind)
	if err != nil {
		return err
	}
	err = m.cfg.Store.Get(ctx, ref, cur)
	if errors.Is(err, store.ErrNotFound) {
		om.ResourceVersion, om.UID = "", ""
		om.Generation = 1
		if err := clearStatus(obj); err != nil {
			return err
		}
		return m.cfg.Store.Create(ctx, obj)
	}
	if err != nil {
		return err
	}
	changed, err := specChanged(cur, obj)
	if err != nil {
		return err
	}
	cm := cur.GetMeta()
	if err := copyStatus(cur, obj); err != nil {
		return err
	}
	om.UID, om.ResourceVersion, om.CreationTime = cm.UID, cm.ResourceVersion, cm.CreationTime
	om.OwnerRefs = cm.OwnerRefs
	om.Generation = cm.Generation
	if changed {
		om.Generation++
	}
	return m.cfg.Store.Update(ctx, obj)
}

// Get reads the object named ref into into.
func (m *Manager) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	return m.cfg.Store.Get(ctx, ref, into)
}

// Delete removes the object named ref and what it owned: a Certificate's
// requests, orders, challenges and temporary key (its Secret is kept, as
// cert-manager keeps it). A Challenge whose record is still presented is
// cleaned up by the running Manager first, then removed.
func (m *Manager) Delete(ctx context.Context, ref meta.Ref) error {
	if err := m.cfg.Store.Delete(ctx, ref, ""); err != nil {
		return err
	}
	return m.collect(ctx, ref)
}

// Renew triggers a new issuance of the Certificate named ref now, bypassing
// any failure backoff, like `cmctl renew`.
func (m *Manager) Renew(ctx context.Context, ref meta.Ref) error {
	if ref.Kind != meta.KindCertificate {
		return fmt.Errorf("certflow: renew: %s is not a Certificate", ref)
	}
	for attempt := 0; ; attempt++ {
		c := &certificate.Certificate{}
		if err := m.cfg.Store.Get(ctx, ref, c); err != nil {
			return err
		}
		certificate.MarkManualRenewal(c, m.cfg.Clock.Now())
		err := m.cfg.Store.Update(ctx, c)
		if !errors.Is(err, store.ErrConflict) || attempt == 10 {
			return err
		}
	}
}

// specChanged compares everything but metadata and status.
func specChanged(a, b meta.Object) (bool, error) {
	sa, err := specJSON(a)
	if err != nil {
		return false, err
	}
	sb, err := specJSON(b)
	if err != nil {
		return false, err
	}
	return !bytes.Equal(sa, sb), nil
}

func specJSON(o meta.Object) ([]byte, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	for _, k := range []string{"metadata", "status", "apiVersion", "kind"} {
		delete(fields, k)
	}
	return json.Marshal(fields)
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
