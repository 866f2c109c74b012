package issuer

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"strings"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// An account key rollover (RFC 8555 §7.3.5) is signed by the old key and
// the new one. When a user replaces the key in privateKeySecretRef, the old
// key is gone from that Secret; certflow therefore keeps a copy of the key
// each issuer's account is registered with, in a Secret of its own that the
// issuer owns (so it goes when the issuer goes). The copy is written only
// after the CA confirmed the account for that key.

// LabelAccountKeyCopy marks the Secret holding the copy of an issuer's
// registered account key; its value is the issuer's name.
const LabelAccountKeyCopy = "acme.certflow.io/account-key-copy"

// ErrAccountKeyCopyNotOurs means a Secret by the name of an issuer's
// account key copy exists but lacks LabelAccountKeyCopy for that issuer:
// it is someone else's, and certflow never overwrites it. The issuer is
// not Ready until it is renamed or deleted.
var ErrAccountKeyCopyNotOurs = errors.New("issuer: a Secret by the account key copy's name is not certflow's copy")

// isAccountCopyOf says sec is the copy of the account key of the issuer
// named ref.
func isAccountCopyOf(sec *secret.Secret, ref meta.Ref) bool {
	return sec.ObjectMeta.Labels[LabelAccountKeyCopy] == ref.Name
}

// accountCopyRef names the Secret holding the copy of the registered
// account key of the issuer named ref, in namespace ns.
func accountCopyRef(ref meta.Ref, ns string) meta.Ref {
	return meta.Ref{Kind: meta.KindSecret, Namespace: ns,
		Name: "certflow-acme-account-" + strings.ToLower(string(ref.Kind)) + "-" + ref.Name}
}

// readAccountCopy returns the copied key of the issuer named ref, or nil
// when there is none (or it is unusable, or not certflow's: it is only
// ever a help).
func readAccountCopy(ctx context.Context, st store.Reader, ref meta.Ref, ns string) (crypto.Signer, error) {
	var sec secret.Secret
	err := st.Get(ctx, accountCopyRef(ref, ns), &sec)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read account key copy: %w", err)
	}
	if !isAccountCopyOf(&sec, ref) {
		return nil, nil
	}
	key, err := pki.ParsePrivateKey(sec.Data[secret.TLSKeyKey])
	if err != nil {
		return nil, nil //nolint:nilerr // an unusable copy is as good as none
	}
	return key, nil
}

// saveAccountCopy makes the copy of the issuer obj's registered account key
// hold key, creating the Secret if needed. A same-named Secret that is
// not this issuer's copy is left alone: ErrAccountKeyCopyNotOurs.
func saveAccountCopy(ctx context.Context, st store.Store, obj Object, ns string, key crypto.Signer) error {
	pemKey, err := pki.EncodePrivateKey(key, false)
	if err != nil {
		return fmt.Errorf("encode account key copy: %w", err)
	}
	ref := meta.RefOf(obj)
	cref := accountCopyRef(ref, ns)
	var sec secret.Secret
	err = st.Get(ctx, cref, &sec)
	switch {
	case errors.Is(err, store.ErrNotFound):
		sec = secret.Secret{
			TypeMeta: meta.TypeMeta{APIVersion: meta.KindSecret.APIVersion(), Kind: meta.KindSecret},
			ObjectMeta: meta.ObjectMeta{Namespace: cref.Namespace, Name: cref.Name,
				Labels:    map[string]string{LabelAccountKeyCopy: ref.Name},
				OwnerRefs: []meta.Ref{ref}},
			Type: secret.TypeOpaque,
			Data: map[string][]byte{secret.TLSKeyKey: pemKey},
		}
		err = st.Create(ctx, &sec)
	case err != nil:
	case !isAccountCopyOf(&sec, ref):
		return fmt.Errorf("save account key copy: %w: Secret %s has no label %s=%s", ErrAccountKeyCopyNotOurs, cref, LabelAccountKeyCopy, ref.Name)
	default:
		sec.Data = map[string][]byte{secret.TLSKeyKey: pemKey}
		err = st.Update(ctx, &sec)
	}
	if err != nil {
		return fmt.Errorf("save account key copy %s: %w", cref, err)
	}
	return nil
}

// OrphanedAccountKeyCopy is the rule for a Secret whose owners are gone (a
// reconcile.OrphanRule) as far as issuers are concerned: the copy of a
// deleted issuer's account key goes; for any other Secret it says
// OrphanKeep, leaving the decision to the other rules.
func OrphanedAccountKeyCopy(raw store.Raw) reconcile.Orphan {
	s := &secret.Secret{}
	if err := raw.Decode(s); err != nil {
		return reconcile.OrphanKeep
	}
	if _, ok := s.ObjectMeta.Labels[LabelAccountKeyCopy]; ok {
		return reconcile.OrphanCollect
	}
	return reconcile.OrphanKeep
}
