package certificate

import (
	"context"
	"crypto"
	"errors"
	"strconv"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// LabelNextPrivateKey marks the temporary Secret that holds the key of the
// issuance in progress.
const LabelNextPrivateKey = "certflow.io/next-private-key"

// nextKey is the private key of the issuance in progress. It lives in a
// temporary Secret from before the CSR is made until the new Secret is
// written, so a crash in between never loses the key a CA is signing for.
type nextKey struct {
	name string
	key  crypto.Signer
}

func nextKeyName(cert *Certificate) string { return cert.ObjectMeta.Name + "-next-private-key" }

func (r *Reconciler) loadNextKey(ctx context.Context, cert *Certificate) (*nextKey, error) {
	s, err := r.getSecret(ctx, cert.ObjectMeta.Namespace, nextKeyName(cert))
	if err != nil || s == nil {
		return nil, err
	}
	if s.ObjectMeta.Annotations[AnnotationRevision] != strconv.Itoa(revision(cert)+1) {
		// Left over from an issuance that already completed.
		if err := r.deleteNextKey(ctx, cert); err != nil {
			return nil, err
		}
		return nil, nil
	}
	k, err := pki.ParsePrivateKey(s.Data[secret.TLSKeyKey])
	if err != nil {
		// An unreadable temporary key is replaced, never used.
		if err := r.deleteNextKey(ctx, cert); err != nil {
			return nil, err
		}
		return nil, nil
	}
	spec := cert.Spec.KeyConfig()
	if !pki.KeyMatches(k, string(spec.Algorithm), spec.Size) {
		// The spec changed while issuing: this key no longer fits.
		if err := r.deleteNextKey(ctx, cert); err != nil {
			return nil, err
		}
		return nil, nil
	}
	return &nextKey{name: s.ObjectMeta.Name, key: k}, nil
}

// createNextKey generates the key (rotationPolicy Always) or reuses the
// current Secret's key (Never) and stores it before anything uses it.
func (r *Reconciler) createNextKey(ctx context.Context, cert *Certificate, current *secret.Secret) (*nextKey, error) {
	spec := cert.Spec.KeyConfig()
	var key crypto.Signer
	if spec.RotationPolicy == RotationNever {
		if kp := parseKeyPair(current); kp != nil && kp.key != nil && pki.KeyMatches(kp.key, string(spec.Algorithm), spec.Size) {
			key = kp.key
		}
	}
	if key == nil {
		var err error
		if key, err = pki.GenerateKey(string(spec.Algorithm), spec.Size); err != nil {
			return nil, err
		}
	}
	pemKey, err := pki.EncodePrivateKey(key, true)
	if err != nil {
		return nil, err
	}
	s := &secret.Secret{
		ObjectMeta: meta.ObjectMeta{
			Namespace:   cert.ObjectMeta.Namespace,
			Name:        nextKeyName(cert),
			Labels:      map[string]string{LabelNextPrivateKey: "true"},
			Annotations: map[string]string{AnnotationRevision: strconv.Itoa(revision(cert) + 1)},
			OwnerRefs:   []meta.Ref{meta.RefOf(cert)},
		},
		Type: secret.TypeOpaque,
		Data: map[string][]byte{secret.TLSKeyKey: pemKey},
	}
	if err := r.deps.Store.Create(ctx, s); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			// Another worker or process won the race; use its key.
			return r.loadNextKey(ctx, cert)
		}
		return nil, err
	}
	r.deps.Events.Event(meta.RefOf(cert), meta.EventNormal, ReasonKeyGenerated,
		"Stored new private key in temporary Secret "+s.ObjectMeta.Name)
	return &nextKey{name: s.ObjectMeta.Name, key: key}, nil
}

func (r *Reconciler) deleteNextKey(ctx context.Context, cert *Certificate) error {
	ref := meta.Ref{Kind: meta.KindSecret, Namespace: cert.ObjectMeta.Namespace, Name: nextKeyName(cert)}
	if err := r.deps.Store.Delete(ctx, ref, ""); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}
