package certificate

import (
	"strconv"
	"time"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
)

// The request manager (cert-manager's requestmanager controller): one
// CertificateRequest per revision, named <certificate>-<revision+1>, made for
// the current spec and the next private key.

// Annotations on CertificateRequests, as cert-manager names them (the
// certificate's name and the key's Secret use secret.AnnotationCertificateName
// and request.AnnotationPrivateKeyName).
const (
	AnnotationRevision = "cert-manager.io/certificate-revision"
	// AnnotationRejected marks an issued request whose certificate failed
	// verification, so the failure is counted once.
	AnnotationRejected = "certflow.io/issuance-rejected"
)

// newRequest is the CertificateRequest to create for cert and its next key.
// Its CSR is left empty: signing it with the key is done by the reconciler
// just before the request is stored.
func newRequest(cert *Certificate, key *nextKey) *request.CertificateRequest {
	d := meta.Duration{Duration: cert.Spec.EffectiveDuration()}
	iss, more := nextIssuer(cert)
	labels := copyMap(cert.ObjectMeta.Labels)
	delete(labels, LabelSecretName)
	if len(labels) == 0 {
		labels = nil
	}
	r := &request.CertificateRequest{
		ObjectMeta: meta.ObjectMeta{
			Namespace: cert.ObjectMeta.Namespace,
			Name:      requestName(cert),
			Labels:    labels,
			Annotations: map[string]string{
				secret.AnnotationCertificateName: cert.ObjectMeta.Name,
				AnnotationRevision:               strconv.Itoa(revision(cert) + 1),
				request.AnnotationPrivateKeyName: key.name,
				AnnotationSpecHash:               SpecHash(&cert.Spec),
			},
			OwnerRefs: []meta.Ref{meta.RefOf(cert)},
		},
		Spec: request.Spec{
			IssuerRef: iss,
			Duration:  &d,
			IsCA:      cert.Spec.IsCA,
			Usages:    usageStrings(cert.Spec.Usages),
		},
	}
	if more {
		r.ObjectMeta.Annotations[request.AnnotationFallback] = "true"
	}
	return r
}

// orderOptions passes the ACME order options of cert on to its request r:
// the profile the Certificate names, and — when the issuer is ACME and the
// Secret holds a valid leaf that issuer issued — the leaf's ARI CertID as
// replaces, so the CA can link the renewal to it (RFC 9773 §5).
func orderOptions(r *request.CertificateRequest, cert *Certificate, kp *keyPair, t Trigger, acme bool) {
	if p := cert.ObjectMeta.Annotations[request.AnnotationACMEProfile]; p != "" {
		r.ObjectMeta.Annotations[request.AnnotationACMEProfile] = p
	}
	if !acme || kp.leaf == nil || kp.crtErr != nil || t.Reason == ReasonIncorrectIssuer {
		return
	}
	if id, err := acmeproto.CertID(kp.leaf); err == nil {
		r.ObjectMeta.Annotations[request.AnnotationACMEReplaces] = id
	}
}

// requestMatches reports whether req was made for cert's current spec and
// next key.
func requestMatches(req *request.CertificateRequest, cert *Certificate, key *nextKey, p *parsers) bool {
	if v, err := requestMatchesSpec(req, &cert.Spec, p); err != nil || len(v) > 0 {
		return false
	}
	if key == nil {
		// Without its key the request can only be finished if it failed.
		return requestFailed(req)
	}
	csr, err := p.csr(req)
	return err == nil && pki.PublicKeysEqual(key.key.Public(), csr.PublicKey)
}

func requestIssued(req *request.CertificateRequest) bool {
	c := req.Status.Conditions.Get(meta.ConditionReady)
	return c != nil && c.Status == meta.ConditionTrue && req.ObjectMeta.Annotations[AnnotationRejected] == ""
}

func requestFailed(req *request.CertificateRequest) bool {
	if req.ObjectMeta.Annotations[AnnotationRejected] != "" || req.Status.Conditions.IsTrue(meta.ConditionInvalidRequest) {
		return true
	}
	c := req.Status.Conditions.Get(meta.ConditionReady)
	return c != nil && c.Status == meta.ConditionFalse && (c.Reason == request.ReasonFailed || c.Reason == request.ReasonDenied)
}

func requestFinal(req *request.CertificateRequest) bool {
	return requestIssued(req) || requestFailed(req)
}

func requestFailure(req *request.CertificateRequest) string {
	if m := req.ObjectMeta.Annotations[AnnotationRejected]; m != "" {
		return m
	}
	if c := req.Status.Conditions.Get(meta.ConditionReady); c != nil && c.Message != "" {
		return c.Message
	}
	if c := req.Status.Conditions.Get(meta.ConditionInvalidRequest); c != nil {
		return c.Message
	}
	return "unknown failure"
}

// shouldBackoff is cert-manager's shouldBackoffReissuingOnFailure
// (pkg/controller/certificates/trigger/trigger_controller.go, v1.21.1): after
// a failure, wait Backoff(failedIssuanceAttempts) from lastFailureTime —
// unless the spec changed since the next request was made, which retries at
// once. It returns whether to wait and for how long.
func shouldBackoff(cert *Certificate, next *request.CertificateRequest, now time.Time, minDelay, maxDelay time.Duration) (bool, time.Duration) {
	if cert.Status.LastFailureTime == nil {
		return false, 0
	}
	if next != nil {
		v, err := requestMatchesSpec(next, &cert.Spec, nil)
		if err != nil || len(v) > 0 {
			return false, 0
		}
	}
	if minDelay <= 0 {
		return false, 0
	}
	n := 0
	if cert.Status.FailedIssuanceAttempts != nil {
		n = *cert.Status.FailedIssuanceAttempts
	}
	delay := Backoff(n, minDelay, maxDelay)
	since := now.Sub(*cert.Status.LastFailureTime)
	if since >= delay {
		return false, 0
	}
	return true, delay - since
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
