package certificate

import (
	"fmt"
	"slices"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
)

// Issuer fallback (a certflow extension): a Certificate names spec.issuerRef
// and, optionally, spec.fallbackIssuerRefs. An issuance asks the first; when
// its request fails because that issuer cannot issue now (the request says
// why in Status.Fallback: rate limited, unreachable, not Ready, identifier
// rejected), the failed request is replaced by one for the next issuer, with
// no failure counted and no backoff. Any other failure, or the last issuer's,
// counts and backs off as before, and the retry starts again at the first
// issuer, as does every renewal.

// ReasonIssuerSkipped is the event reason when an issuance passes an issuer
// over for the next one.
const ReasonIssuerSkipped meta.Reason = "IssuerSkipped"

// SkippedIssuer is an issuer passed over in an issuance, and why.
type SkippedIssuer struct {
	IssuerRef meta.IssuerRef `json:"issuerRef"`
	// Reason is one of request.ReasonRateLimited, ReasonUnreachable,
	// ReasonIdentifierRejected, ReasonIssuerNotReady.
	Reason meta.Reason `json:"reason"`
	// Message is the CA's problem or the issuer's condition.
	Message string `json:"message"`
	// Request names the CertificateRequest that was made for the issuer.
	Request string    `json:"request"`
	Time    time.Time `json:"time"`
	// Revision and Attempt place the skip in its issuance: the revision
	// being issued, and the failed issuance attempts before it.
	Revision int `json:"revision"`
	Attempt  int `json:"attempt"`
	// RetryAt, after a rate limit, is when the CA's Retry-After lets the
	// issuer be asked again: until then every issuance of this
	// Certificate (a retry after a counted failure, a renewal) passes it
	// over without asking, and the skip is kept. nil if unknown.
	RetryAt *time.Time `json:"retryAt,omitempty"`
}

// IssuerRefs returns the issuers in the order an issuance tries them:
// IssuerRef, then FallbackIssuerRefs.
func (s *Spec) IssuerRefs() []meta.IssuerRef {
	return append([]meta.IssuerRef{s.IssuerRef}, s.FallbackIssuerRefs...)
}

// issuerIndex returns where ref is in refs (cert-manager's defaults applied
// to kind and group), or -1.
func issuerIndex(refs []meta.IssuerRef, ref meta.IssuerRef) int {
	return slices.IndexFunc(refs, func(r meta.IssuerRef) bool { return issuerRefsEqual(r, ref) })
}

// attemptOf identifies the issuance in progress: the revision it issues and
// the failed attempts before it. A failure counted, or an issuance done,
// starts another.
func attemptOf(cert *Certificate) (rev, attempt int) {
	n := 0
	if cert.Status.FailedIssuanceAttempts != nil {
		n = *cert.Status.FailedIssuanceAttempts
	}
	return revision(cert) + 1, n
}

// currentSkips returns the skips of the issuance in progress.
func currentSkips(cert *Certificate) []SkippedIssuer {
	rev, n := attemptOf(cert)
	var out []SkippedIssuer
	for _, s := range cert.Status.SkippedIssuers {
		if s.Revision == rev && s.Attempt == n {
			out = append(out, s)
		}
	}
	return out
}

// nextIssuer returns the issuer the issuance in progress asks next and
// whether another one follows it: the one after the last skipped, else
// the first. A skipped issuer no longer in the list (the spec changed)
// starts the list over.
func nextIssuer(cert *Certificate) (meta.IssuerRef, bool) {
	refs := cert.Spec.IssuerRefs()
	i := 0
	if skips := currentSkips(cert); len(skips) > 0 {
		if j := issuerIndex(refs, skips[len(skips)-1].IssuerRef); j >= 0 && j+1 < len(refs) {
			i = j + 1
		}
	}
	return refs[i], i+1 < len(refs)
}

// passedOver reports whether req failed because its issuer cannot issue now
// and the Certificate has another issuer after it.
func passedOver(cert *Certificate, req *request.CertificateRequest) bool {
	if req.Status.Fallback == nil || req.ObjectMeta.Annotations[AnnotationRejected] != "" {
		return false
	}
	refs := cert.Spec.IssuerRefs()
	i := issuerIndex(refs, req.Spec.IssuerRef)
	return i >= 0 && i+1 < len(refs)
}

// skip records that req's issuer was passed over (once: a visit that finds
// it recorded, its request not deleted yet, adds nothing) and deletes req,
// whose name the request for the next issuer reuses.
func (d *decision) skip(req *request.CertificateRequest, t Trigger) {
	cert, now := d.cert, d.s.Now
	rev, n := attemptOf(cert)
	f := req.Status.Fallback
	recorded := slices.ContainsFunc(cert.Status.SkippedIssuers, func(s SkippedIssuer) bool {
		return s.Revision == rev && s.Attempt == n && issuerRefsEqual(s.IssuerRef, req.Spec.IssuerRef)
	})
	if !recorded {
		at := now
		if req.Status.FailureTime != nil {
			at = *req.Status.FailureTime
		}
		cert.Status.SkippedIssuers = append(keptSkips(cert, now), SkippedIssuer{IssuerRef: req.Spec.IssuerRef,
			Reason: f.Reason, Message: f.Message, Request: req.ObjectMeta.Name, Time: at, Revision: rev, Attempt: n,
			RetryAt: f.RetryAt})
		ref := req.Spec.IssuerRef.Resolve(cert.ObjectMeta.Namespace)
		d.plan.Eventf(meta.EventWarning, ReasonIssuerSkipped, fmt.Sprintf("%s %q skipped (%s: %s); trying the next issuer",
			ref.Kind, ref.Name, f.Reason, f.Message))
	}
	d.setIssuing(t)
	d.deleteRequest(req)
}

// recordIssuer records which issuer issued req's certificate, on a
// Certificate that names more than one (a single issuer needs no saying,
// and its status stays as cert-manager's).
func recordIssuer(cert *Certificate, req *request.CertificateRequest) {
	if len(cert.Spec.FallbackIssuerRefs) == 0 {
		cert.Status.IssuedBy, cert.Status.SkippedIssuers = nil, nil
		return
	}
	ref := req.Spec.IssuerRef
	cert.Status.IssuedBy = &ref
}

// secretIssuer is the issuer the Secret's annotations should name: the one
// they name when it is in the Certificate's list (it issued the leaf),
// else spec.issuerRef.
func secretIssuer(cert *Certificate, a map[string]string) meta.IssuerRef {
	if len(cert.Spec.FallbackIssuerRefs) == 0 {
		return cert.Spec.IssuerRef
	}
	for _, r := range cert.Spec.FallbackIssuerRefs {
		if annotatedIssuer(a, r) {
			return r
		}
	}
	return cert.Spec.IssuerRef
}

// issuedTheSecret reports whether iss issued the leaf in sec: only its CA
// can be asked to replace it.
func issuedTheSecret(cert *Certificate, sec *secret.Secret, iss meta.IssuerRef) bool {
	return sec != nil && issuerRefsEqual(iss, secretIssuer(cert, sec.ObjectMeta.Annotations))
}

// annotatedIssuer reports whether the issuer annotations a name ref, read
// as cert-manager's issuer annotation check reads them.
func annotatedIssuer(a map[string]string, ref meta.IssuerRef) bool {
	return a[secret.AnnotationIssuerName] == ref.Name && issuerKind(a[secret.AnnotationIssuerKind]) == issuerKind(string(ref.Kind)) &&
		issuerGroup(a[AnnotationIssuerGroup]) == issuerGroup(ref.Group)
}
