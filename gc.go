package certflow

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store"
)

// collect deletes what owner owned once owner is gone, as Kubernetes'
// garbage collector does for owner references: a Certificate's requests
// and temporary key (its TLS Secret stays, as cert-manager keeps it), a
// request's Orders, an Order's Challenges. A Challenge whose solver may
// still hold a record is left to its reconciler, which cleans up when it
// sees its Order gone; collectChallenge removes it afterwards.
func (m *Manager) collect(ctx context.Context, owner meta.Ref) error {
	switch owner.Kind {
	case meta.KindCertificate, meta.KindCertificateRequest, meta.KindOrder:
	default:
		return nil
	}
	res, err := m.cfg.Store.List(ctx, store.ListOptions{Namespace: owner.Namespace, Owner: &owner})
	if err != nil {
		return err
	}
	var errs []error
	for _, raw := range res.Items {
		precondition := ""
		switch raw.Ref.Kind {
		case meta.KindSecret:
			if !isNextKey(raw) {
				continue
			}
		case meta.KindChallenge:
			ch := &challenge.Challenge{}
			if err := raw.Decode(ch); err != nil || !challenge.SafeToDelete(ch) {
				continue
			}
			// Only the version judged safe; a newer one is judged again by
			// collectChallenge when its change is observed.
			precondition = raw.ResourceVersion
		}
		err := m.cfg.Store.Delete(ctx, raw.Ref, precondition)
		switch {
		case errors.Is(err, store.ErrConflict):
			continue
		case err != nil && !errors.Is(err, store.ErrNotFound):
			errs = append(errs, err)
			continue
		}
		errs = append(errs, m.collect(ctx, raw.Ref))
	}
	return errors.Join(errs...)
}

func isNextKey(raw store.Raw) bool {
	var obj struct {
		Metadata meta.ObjectMeta `json:"metadata"`
	}
	return json.Unmarshal(raw.Data, &obj) == nil && obj.Metadata.Labels[certificate.LabelNextPrivateKey] == "true"
}

// collectChallenge deletes a cleaned-up Challenge whose Order is gone: the
// last step of collect for Challenges that still had a record to remove.
func (m *Manager) collectChallenge(ctx context.Context, ch *challenge.Challenge) {
	if !challenge.SafeToDelete(ch) {
		return
	}
	for _, owner := range ch.ObjectMeta.OwnerRefs {
		if owner.Kind != meta.KindOrder {
			continue
		}
		err := m.cfg.Store.Get(ctx, owner, &order.Order{})
		if errors.Is(err, store.ErrNotFound) {
			err = m.cfg.Store.Delete(ctx, meta.RefOf(ch), ch.ObjectMeta.ResourceVersion)
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
			m.cfg.Logger.Warn("cannot collect challenge", "namespace", ch.ObjectMeta.Namespace, "name", ch.ObjectMeta.Name, "err", err)
		}
		return
	}
}
