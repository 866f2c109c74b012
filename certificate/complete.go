package certificate

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// complete verifies an issued request's certificate and moves it with the
// next key into the Secret. It is idempotent, so a crash between writing the
// Secret and the status finishes here on the next visit.
func (r *Reconciler) complete(ctx context.Context, cert *Certificate, sec *secret.Secret, req *request.CertificateRequest, key *nextKey, now time.Time) (time.Time, error) {
	leaf, problem := verifyIssued(cert, req, key, now)
	if problem != "" {
		return r.reject(ctx, cert, req, problem)
	}
	if err := r.writeSecret(ctx, cert, sec, req, key); err != nil {
		return time.Time{}, err
	}
	rev := revision(cert) + 1
	nb, na := leaf.NotBefore, leaf.NotAfter
	rt := RenewalTime(nb, na, &cert.Spec, JitterKey(cert))
	cert.Status.Revision = &rev
	cert.Status.NotBefore, cert.Status.NotAfter, cert.Status.RenewalTime = &nb, &na, &rt
	cert.Status.FailedIssuanceAttempts, cert.Status.LastFailureTime = nil, nil
	cert.Status.NextPrivateKeySecretName = ""
	cert.Status.Conditions.Remove(meta.ConditionIssuing)
	r.setReady(cert, meta.ConditionTrue, ReasonReady, "Certificate is up to date and has not expired", now)
	r.deps.Events.Event(meta.RefOf(cert), meta.EventNormal, ReasonIssued,
		fmt.Sprintf("The certificate has been successfully issued (revision %d, expires %s)", rev, na.UTC().Format(time.RFC3339)))
	// The temporary key and old requests go on the next visit, once this
	// status (the revision bump) is stored: deleting them first would strand
	// an issued request without its key if the status write conflicted.
	return rt, nil
}

// verifyIssued checks the leaf against what was asked for and returns it, or
// a description of what is wrong.
func verifyIssued(cert *Certificate, req *request.CertificateRequest, key *nextKey, now time.Time) (*x509.Certificate, string) {
	chain, err := pki.ParseChain(req.Status.Certificate)
	if err != nil {
		return nil, "issued certificate is unreadable: " + err.Error()
	}
	leaf := chain[0]
	csrKey, err := pki.CSRPublicKey(req.Spec.Request)
	if err != nil {
		return nil, "request's CSR is unreadable: " + err.Error()
	}
	switch {
	case !pki.PublicKeysEqual(leaf.PublicKey, csrKey):
		return nil, "issued certificate's public key does not match the CSR"
	case !pki.PublicKeysEqual(leaf.PublicKey, key.key.Public()):
		return nil, "issued certificate's public key does not match the private key"
	case !now.Before(leaf.NotAfter):
		return nil, "issued certificate expired at " + leaf.NotAfter.UTC().Format(time.RFC3339)
	}
	if diff := namesDiff(&cert.Spec, leaf); diff != "" {
		return nil, "issued certificate does not match the requested names: " + diff
	}
	return leaf, ""
}

// reject marks an issued request as failed once, so it counts as one failure.
func (r *Reconciler) reject(ctx context.Context, cert *Certificate, req *request.CertificateRequest, problem string) (time.Time, error) {
	if req.ObjectMeta.Annotations == nil {
		req.ObjectMeta.Annotations = map[string]string{}
	}
	req.ObjectMeta.Annotations[AnnotationRejected] = problem
	now := r.deps.Clock.Now()
	req.Status.FailureTime = &now
	if err := r.deps.Store.Update(ctx, req); err != nil {
		return time.Time{}, err
	}
	r.recordFailure(cert, req, now)
	return r.retryAt(cert), nil
}

func (r *Reconciler) writeSecret(ctx context.Context, cert *Certificate, sec *secret.Secret, req *request.CertificateRequest, key *nextKey) error {
	k := cert.Spec.KeyConfig()
	keyPEM, err := pki.EncodePrivateKey(key.key, k.Encoding == PKCS8)
	if err != nil {
		return err
	}
	create := sec == nil
	if create {
		sec = &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: cert.ObjectMeta.Namespace, Name: cert.Spec.SecretName}}
	}
	want := map[string][]byte{
		secret.TLSCertKey: req.Status.Certificate,
		secret.TLSKeyKey:  keyPEM,
		secret.CACertKey:  req.Status.CA,
	}
	if !create && secretUpToDate(sec, want, cert) {
		return nil
	}
	if sec.Data == nil {
		sec.Data = map[string][]byte{}
	}
	for k, v := range want {
		sec.Data[k] = v
	}
	sec.Type = secret.TypeTLS
	applySecretMeta(&sec.ObjectMeta, cert)
	if create {
		err = r.deps.Store.Create(ctx, sec)
	} else {
		err = r.deps.Store.Update(ctx, sec)
	}
	if errors.Is(err, store.ErrAlreadyExists) {
		return fmt.Errorf("certificate: secret %s appeared meanwhile: %w", cert.Spec.SecretName, store.ErrConflict)
	}
	return err
}

// secretUpToDate avoids rewriting a Secret that already holds this issuance
// (the crash-recovery path), since key re-encoding is not byte-stable for all
// algorithms.
func secretUpToDate(sec *secret.Secret, want map[string][]byte, cert *Certificate) bool {
	if !bytes.Equal(sec.Data[secret.TLSCertKey], want[secret.TLSCertKey]) {
		return false
	}
	got, err := pki.ParsePrivateKey(sec.Data[secret.TLSKeyKey])
	if err != nil {
		return false
	}
	wantKey, err := pki.ParsePrivateKey(want[secret.TLSKeyKey])
	return err == nil && pki.PublicKeysEqual(got.Public(), wantKey.Public()) &&
		sec.ObjectMeta.Annotations[AnnotationSpecHash] == SpecHash(&cert.Spec)
}

func applySecretMeta(m *meta.ObjectMeta, cert *Certificate) {
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	if t := cert.Spec.SecretTemplate; t != nil {
		for k, v := range t.Annotations {
			m.Annotations[k] = v
		}
		for k, v := range t.Labels {
			m.Labels[k] = v
		}
	}
	ref := cert.Spec.IssuerRef.Resolve(cert.ObjectMeta.Namespace)
	a := m.Annotations
	a[secret.AnnotationCertificateName] = cert.ObjectMeta.Name
	a[secret.AnnotationIssuerName] = ref.Name
	a[secret.AnnotationIssuerKind] = string(ref.Kind)
	a[secret.AnnotationCommonName] = cert.Spec.CommonName
	a[secret.AnnotationAltNames] = strings.Join(cert.Spec.DNSNames, ",")
	a[secret.AnnotationIPSANs] = strings.Join(cert.Spec.IPAddresses, ",")
	a[secret.AnnotationURISANs] = strings.Join(cert.Spec.URIs, ",")
	a[secret.AnnotationEmailSANs] = strings.Join(cert.Spec.EmailAddresses, ",")
	a[AnnotationSpecHash] = SpecHash(&cert.Spec)
	if !m.IsOwnedBy(meta.RefOf(cert)) {
		m.OwnerRefs = append(m.OwnerRefs, meta.RefOf(cert))
	}
}
